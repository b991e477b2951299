import { mkdir, open, readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSystem } from '../api/file-system.js';

/**
 * Options of {@link copyHostDirectoryToFileSystem} and {@link copyFileSystemToHostDirectory}.
 *
 * @example
 * ```ts
 * import type { CopyTreeOptions } from '@libos/fs/node';
 * const options: CopyTreeOptions = { maxDepth: 8, preserveTimes: false };
 * ```
 */
export interface CopyTreeOptions {
  /** Deepest directory level copied below the source (the source itself is level 0). Default 64. */
  readonly maxDepth?: number;
  /** Copy access and modification times too. Default true. */
  readonly preserveTimes?: boolean;
}

/**
 * What a tree copy did.
 *
 * @example
 * ```ts
 * import type { CopyTreeResult } from '@libos/fs/node';
 * const summary = (r: CopyTreeResult) => `${r.files} files, ${r.bytes} bytes`;
 * ```
 */
export interface CopyTreeResult {
  /** Files copied. */
  readonly files: number;
  /** Directories created or reused, the target included. */
  readonly directories: number;
  /** Bytes copied. */
  readonly bytes: number;
  /** Host entries left out because they are neither files nor directories (symbolic links, sockets...). */
  readonly skipped: readonly string[];
}

/** Bytes moved per read/write pair. */
const CHUNK = 1024 * 1024;
const DEFAULT_MAX_DEPTH = 64;

interface Pending {
  readonly from: string;
  readonly to: string;
  readonly depth: number;
}

function tooDeep(path: string, maxDepth: number): RangeError {
  return new RangeError(`${path} is more than ${maxDepth} directories deep`);
}

function checkDepth(maxDepth: number): void {
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 0) {
    throw new RangeError(`maxDepth must be an integer >= 0, got ${maxDepth}`);
  }
}

/**
 * Copies a host directory tree into a libos file system, byte for byte (e.g. to build a
 * disk image from a directory). `targetPath` is created with its parents when missing;
 * existing files are replaced. Symbolic links and special files are skipped (listed in
 * the result). Walks with an explicit stack, so depth costs no call stack; deeper than
 * `maxDepth` rejects with a RangeError.
 *
 * @param hostDir Host directory to copy from.
 * @param fs Target file system.
 * @param targetPath Absolute libos path of the directory to copy into.
 * @param options Depth bound and whether to copy times.
 * @example
 * ```ts
 * import { copyHostDirectoryToFileSystem } from '@libos/fs/node';
 * const r = await copyHostDirectoryToFileSystem('./site', fs, '/www');
 * console.log(`${r.files} files copied`);
 * ```
 */
export async function copyHostDirectoryToFileSystem(
  hostDir: string,
  fs: FileSystem,
  targetPath: string,
  options: CopyTreeOptions = {},
): Promise<CopyTreeResult> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  checkDepth(maxDepth);
  const preserve = options.preserveTimes ?? true;
  let files = 0;
  let directories = 0;
  let bytes = 0;
  const skipped: string[] = [];
  const base =
    targetPath.endsWith('/') && targetPath.length > 1 ? targetPath.slice(0, -1) : targetPath;
  const stack: Pending[] = [{ from: hostDir, to: base, depth: 0 }];
  const directoryTimes: { to: string; atime: Date; mtime: Date }[] = [];
  while (stack.length > 0) {
    const dir = stack.pop() as Pending;
    await fs.mkdir(dir.to, { recursive: true });
    directories++;
    // The target directory keeps its own times (a volume root may have none).
    if (preserve && dir.depth > 0) {
      const s = await stat(dir.from);
      directoryTimes.push({ to: dir.to, atime: s.atime, mtime: s.mtime });
    }
    for (const entry of await readdir(dir.from, { withFileTypes: true })) {
      const from = join(dir.from, entry.name);
      const to = dir.to === '/' ? `/${entry.name}` : `${dir.to}/${entry.name}`;
      if (entry.isDirectory()) {
        if (dir.depth + 1 > maxDepth) throw tooDeep(from, maxDepth);
        stack.push({ from, to, depth: dir.depth + 1 });
      } else if (entry.isFile()) {
        bytes += await copyHostFile(from, fs, to, preserve);
        files++;
      } else {
        skipped.push(from);
      }
    }
  }
  // Children changed the directories' times; set them last, deepest first.
  for (const d of directoryTimes.reverse()) await fs.utimes(d.to, d.atime, d.mtime);
  return { files, directories, bytes, skipped };
}

async function copyHostFile(
  from: string,
  fs: FileSystem,
  to: string,
  preserve: boolean,
): Promise<number> {
  const source = await open(from, 'r');
  let copied = 0;
  try {
    const target = await fs.open(to, 'w');
    try {
      const buffer = new Uint8Array(CHUNK);
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, CHUNK, copied);
        if (bytesRead === 0) break;
        await target.write(buffer, 0, bytesRead, copied);
        copied += bytesRead;
      }
    } finally {
      await target.close();
    }
    if (preserve) {
      const s = await source.stat();
      await fs.utimes(to, s.atime, s.mtime);
    }
  } finally {
    await source.close();
  }
  return copied;
}

/**
 * Copies a directory tree of a libos file system to the host, byte for byte (e.g. to
 * extract a disk image). `hostDir` is created with its parents when missing; existing
 * host files are replaced. Walks with an explicit stack; deeper than `maxDepth` rejects
 * with a RangeError.
 *
 * @param fs Source file system.
 * @param sourcePath Absolute libos path of the directory to copy.
 * @param hostDir Host directory to copy into.
 * @param options Depth bound and whether to copy times.
 * @example
 * ```ts
 * import { copyFileSystemToHostDirectory } from '@libos/fs/node';
 * await copyFileSystemToHostDirectory(fs, '/', './extracted');
 * ```
 */
export async function copyFileSystemToHostDirectory(
  fs: FileSystem,
  sourcePath: string,
  hostDir: string,
  options: CopyTreeOptions = {},
): Promise<CopyTreeResult> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  checkDepth(maxDepth);
  const preserve = options.preserveTimes ?? true;
  let files = 0;
  let directories = 0;
  let bytes = 0;
  const base =
    sourcePath.endsWith('/') && sourcePath.length > 1 ? sourcePath.slice(0, -1) : sourcePath;
  const stack: Pending[] = [{ from: base, to: hostDir, depth: 0 }];
  const directoryTimes: { to: string; atime: Date; mtime: Date }[] = [];
  while (stack.length > 0) {
    const dir = stack.pop() as Pending;
    await mkdir(dir.to, { recursive: true });
    directories++;
    // The target directory keeps its own times (a volume root may have none).
    if (preserve && dir.depth > 0) {
      const s = await fs.stat(dir.from);
      directoryTimes.push({ to: dir.to, atime: s.atime, mtime: s.mtime });
    }
    for (const entry of await fs.readdir(dir.from, { withFileTypes: true })) {
      const from = dir.from === '/' ? `/${entry.name}` : `${dir.from}/${entry.name}`;
      const to = join(dir.to, entry.name);
      if (entry.isDirectory()) {
        if (dir.depth + 1 > maxDepth) throw tooDeep(from, maxDepth);
        stack.push({ from, to, depth: dir.depth + 1 });
      } else {
        bytes += await copyToHostFile(fs, from, to, preserve);
        files++;
      }
    }
  }
  for (const d of directoryTimes.reverse()) await utimes(d.to, d.atime, d.mtime);
  return { files, directories, bytes, skipped: [] };
}

async function copyToHostFile(
  fs: FileSystem,
  from: string,
  to: string,
  preserve: boolean,
): Promise<number> {
  const source = await fs.open(from, 'r');
  let copied = 0;
  try {
    const target = await open(to, 'w');
    try {
      const buffer = new Uint8Array(CHUNK);
      for (;;) {
        const { bytesRead } = await source.read(buffer, 0, CHUNK, copied);
        if (bytesRead === 0) break;
        await target.write(buffer, 0, bytesRead, copied);
        copied += bytesRead;
      }
    } finally {
      await target.close();
    }
    if (preserve) {
      const s = await source.stat();
      await utimes(to, s.atime, s.mtime);
    }
  } finally {
    await source.close();
  }
  return copied;
}
