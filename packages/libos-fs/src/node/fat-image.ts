import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileSystem } from '../api/file-system.js';
import type { FatType } from '../fat/index.js';
import { formatFat, mountFat } from '../fat/index.js';
import { FsError } from '../fs-error.js';
import type { WallClock } from '../wall-clock.js';
import {
  type CopyTreeResult,
  copyFileSystemToHostDirectory,
  copyHostDirectoryToFileSystem,
} from './copy-tree.js';
import { FileBlockDevice } from './file-block-device.js';

/**
 * Options of {@link buildFatImage}.
 *
 * @example
 * ```ts
 * import type { BuildFatImageOptions } from '@libos/fs/node';
 * const options: BuildFatImageOptions = { size: 64 << 20, type: 32, label: 'BOOT' };
 * ```
 */
export interface BuildFatImageOptions {
  /**
   * Image size in bytes, a multiple of 512. Default: room for the tree (files rounded up
   * to 4 KiB, plus a quarter and 1 MiB), grown and retried when it turns out too small.
   */
  readonly size?: number;
  /** FAT12, FAT16 or FAT32; by default chosen from the size like `mkfs.fat`. */
  readonly type?: FatType;
  /** Volume label: up to 11 characters valid in short names. */
  readonly label?: string;
  /** Time source for new timestamps. Default: the host clock. */
  readonly clock?: WallClock;
  /** Deepest directory level copied. Default 64. */
  readonly maxDepth?: number;
}

/**
 * What {@link buildFatImage} made.
 *
 * @example
 * ```ts
 * import type { FatImageResult } from '@libos/fs/node';
 * const describe = (r: FatImageResult) => `${r.size} byte image with ${r.copied.files} files`;
 * ```
 */
export interface FatImageResult {
  /** Size of the image in bytes. */
  readonly size: number;
  /** What was copied. */
  readonly copied: CopyTreeResult;
}

const MIB = 1024 * 1024;
const SECTOR = 512;
/** Attempts with a doubled size when an estimated image turns out too small. */
const ATTEMPTS = 4;
const hostClock: WallClock = { now: () => Date.now() };

/** Bytes the tree needs with 4 KiB allocation, plus a quarter and 1 MiB of slack (bounded walk). */
async function estimateSize(hostDir: string, maxDepth: number): Promise<number> {
  let need = 0;
  const stack: { dir: string; depth: number }[] = [{ dir: hostDir, depth: 0 }];
  while (stack.length > 0) {
    const { dir, depth } = stack.pop() as { dir: string; depth: number };
    need += 4096;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < maxDepth) stack.push({ dir: p, depth: depth + 1 });
      else if (e.isFile()) need += Math.ceil((await stat(p)).size / 4096) * 4096 + 64;
    }
  }
  const bytes = Math.ceil((need * 1.25 + MIB) / MIB) * MIB;
  return Math.max(2 * MIB, bytes);
}

/**
 * Builds a FAT disk image (no partition table) from a host directory: creates or
 * replaces `imagePath`, formats it with {@link formatFat}, copies the tree in byte for
 * byte with times, and unmounts. Host names FAT cannot store reject with the volume's
 * error; symbolic links are skipped.
 *
 * @param hostDir The directory whose contents become the image's root.
 * @param imagePath Host path of the image file to write.
 * @param options Size, FAT type, label, clock.
 * @example
 * ```ts
 * import { buildFatImage } from '@libos/fs/node';
 * await buildFatImage('./boot-files', './boot.img', { label: 'BOOT' });
 * ```
 */
export async function buildFatImage(
  hostDir: string,
  imagePath: string,
  options: BuildFatImageOptions = {},
): Promise<FatImageResult> {
  const maxDepth = options.maxDepth ?? 64;
  if (
    options.size !== undefined &&
    (!Number.isSafeInteger(options.size) || options.size <= 0 || options.size % SECTOR !== 0)
  ) {
    throw new RangeError(`image size ${options.size} is not a positive multiple of ${SECTOR}`);
  }
  let size = options.size ?? (await estimateSize(hostDir, maxDepth));
  for (let attempt = 1; ; attempt++) {
    try {
      return { size, copied: await buildOnce(hostDir, imagePath, size, options, maxDepth) };
    } catch (e) {
      const tooSmall = e instanceof FsError && e.code === 'ENOSPC';
      if (!tooSmall || options.size !== undefined || attempt >= ATTEMPTS) throw e;
      size *= 2;
    }
  }
}

async function buildOnce(
  hostDir: string,
  imagePath: string,
  size: number,
  options: BuildFatImageOptions,
  maxDepth: number,
): Promise<CopyTreeResult> {
  const clock = options.clock ?? hostClock;
  await writeFile(imagePath, new Uint8Array(0));
  const device = await FileBlockDevice.open(imagePath, { create: true, byteLength: size });
  try {
    await formatFat(device, {
      clock,
      ...(options.type !== undefined ? { type: options.type } : {}),
      ...(options.label !== undefined ? { label: options.label } : {}),
    });
    const fs = createFileSystem();
    fs.mount('/', await mountFat(device, { clock }));
    try {
      return await copyHostDirectoryToFileSystem(hostDir, fs, '/', { maxDepth });
    } finally {
      await fs.unmount('/');
    }
  } finally {
    await device.close();
  }
}

/**
 * Options of {@link extractFatImage}.
 *
 * @example
 * ```ts
 * import type { ExtractFatImageOptions } from '@libos/fs/node';
 * const options: ExtractFatImageOptions = { maxDepth: 16 };
 * ```
 */
export interface ExtractFatImageOptions {
  /** Time source for the read-only mount. Default: the host clock. */
  readonly clock?: WallClock;
  /** Deepest directory level copied. Default 64. */
  readonly maxDepth?: number;
}

/**
 * Copies every file and directory of a FAT image (no partition table) into a host
 * directory, byte for byte with modification times. The image is opened read-only.
 *
 * @param imagePath Host path of the image.
 * @param hostDir Host directory to fill (created when missing).
 * @param options Clock (for the read-only mount) and depth bound.
 * @example
 * ```ts
 * import { extractFatImage } from '@libos/fs/node';
 * const { files } = await extractFatImage('./boot.img', './boot-files');
 * ```
 */
export async function extractFatImage(
  imagePath: string,
  hostDir: string,
  options: ExtractFatImageOptions = {},
): Promise<CopyTreeResult> {
  const device = await FileBlockDevice.open(imagePath, { readOnly: true });
  try {
    const fs = createFileSystem();
    fs.mount('/', await mountFat(device, { clock: options.clock ?? hostClock, readOnly: true }));
    try {
      return await copyFileSystemToHostDirectory(fs, '/', hostDir, {
        ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
      });
    } finally {
      await fs.unmount('/');
    }
  } finally {
    await device.close();
  }
}
