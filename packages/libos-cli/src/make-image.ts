import { rm, stat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { type FatType, FsError, planFatGeometry } from '@libos/fs';
import { buildFatImage, type FatImageResult } from '@libos/fs/node';
import { CliError } from './cli-error.js';
import { formatSize } from './parse-size.js';

/**
 * The file systems `libos mkimage --fs` can write: `fat` picks FAT12, FAT16 or FAT32 from
 * the size the way `mkfs.fat` does; the others force one.
 *
 * @example
 * ```ts
 * import type { ImageFileSystem } from '@libos/cli';
 * const fs: ImageFileSystem = 'fat32';
 * ```
 */
export type ImageFileSystem = 'fat' | 'fat12' | 'fat16' | 'fat32';

/**
 * Every {@link ImageFileSystem}, in the order `--help` lists them.
 *
 * @example
 * ```ts
 * import { IMAGE_FILE_SYSTEMS, type ImageFileSystem } from '@libos/cli';
 * const isImageFs = (s: string): s is ImageFileSystem => IMAGE_FILE_SYSTEMS.some((f) => f === s);
 * ```
 */
export const IMAGE_FILE_SYSTEMS: readonly ImageFileSystem[] = ['fat', 'fat12', 'fat16', 'fat32'];

/**
 * Options of {@link makeImage}.
 *
 * @example
 * ```ts
 * import type { MakeImageOptions } from '@libos/cli';
 * const options: MakeImageOptions = { dir: 'public', image: 'disk.img', size: 16 << 20 };
 * ```
 */
export interface MakeImageOptions {
  /** Host directory whose contents become the image's root. */
  readonly dir: string;
  /** Image file to create or replace. Must not lie inside {@link MakeImageOptions.dir}. */
  readonly image: string;
  /** Image size in bytes (a multiple of 512). Default: what the files need, plus slack. */
  readonly size?: number;
  /** File system. Default `fat`. */
  readonly fs?: ImageFileSystem;
  /** Volume label: up to 11 characters valid in FAT short names. */
  readonly label?: string;
  /** Directory relative paths are resolved against. Default: the process's working directory. */
  readonly cwd?: string;
}

/**
 * What {@link makeImage} made.
 *
 * @example
 * ```ts
 * import type { MakeImageResult } from '@libos/cli';
 * const describe = (r: MakeImageResult) => `FAT${r.fatType}, ${r.size} B, ${r.copied.files} files`;
 * ```
 */
export interface MakeImageResult extends FatImageResult {
  /** The FAT variant formatted: 12, 16 or 32. */
  readonly fatType: FatType;
}

const SECTOR = 512;
const FAT_TYPE = { fat: undefined, fat12: 12, fat16: 16, fat32: 32 } as const;

/**
 * Builds a FAT disk image (no partition table) from a host directory with
 * `buildFatImage` from `@libos/fs/node`, turning what a user can get wrong into
 * {@link CliError}s.
 *
 * @param options Source directory, image path, size, file system, label.
 * @returns Image size, FAT type and what was copied.
 * @throws {@link CliError} `not-found` when the directory is missing, `image-too-small`
 * when the files do not fit in `size`, `usage` for a label or size FAT cannot use, `io`
 * when the image cannot be written.
 * @example
 * ```ts
 * import { makeImage } from '@libos/cli';
 * const { size, copied } = await makeImage({ dir: 'public', image: 'disk.img', label: 'WWW' });
 * console.log(`${size} bytes, ${copied.files} files`);
 * ```
 */
export async function makeImage(options: MakeImageOptions): Promise<MakeImageResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const dir = resolve(cwd, options.dir);
  const image = resolve(cwd, options.image);
  let isDirectory = false;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch {
    throw new CliError('not-found', `directory not found: ${options.dir}`);
  }
  if (!isDirectory) throw new CliError('not-found', `not a directory: ${options.dir}`);
  const inside = relative(dir, image);
  if (inside === '' || (!inside.startsWith(`..${sep}`) && inside !== '..')) {
    throw new CliError(
      'usage',
      `image file ${options.image} must not be inside the directory it is built from`,
    );
  }
  const type = FAT_TYPE[options.fs ?? 'fat'];
  let result: FatImageResult;
  try {
    result = await buildFatImage(dir, image, {
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(options.label !== undefined ? { label: options.label } : {}),
    });
  } catch (e) {
    // A half-built image is no use to anyone; leave nothing behind.
    await rm(image, { force: true }).catch(() => {});
    throw imageFailure(e, options);
  }
  // formatFat lays the volume out with planFatGeometry: the same plan names its type.
  const fatType = planFatGeometry(
    result.size / SECTOR,
    SECTOR,
    type !== undefined ? { type } : {},
  ).type;
  return { ...result, fatType };
}

function imageFailure(e: unknown, options: MakeImageOptions): Error {
  const size = options.size !== undefined ? formatSize(options.size) : '';
  if (e instanceof FsError) {
    if (e.code === 'ENOSPC') {
      return new CliError(
        'image-too-small',
        `image too small: ${options.dir} does not fit in ${size} (give a larger --size, or none)`,
      );
    }
    if (e.code === 'EINVAL' && e.syscall === 'format') {
      const detail = /\((.*)\)$/.exec(e.message)?.[1] ?? e.message;
      return new CliError('usage', `cannot format ${size || 'the image'} as FAT: ${detail}`);
    }
    return new CliError('io', `cannot copy ${options.dir} into the image: ${e.message}`);
  }
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return new CliError('io', `cannot write ${options.image}: ${(e as Error).message}`);
  }
  return e as Error;
}
