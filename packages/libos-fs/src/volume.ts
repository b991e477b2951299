/**
 * The kinds of node a {@link Volume} stores.
 *
 * @example
 * ```ts
 * import type { NodeType } from '@libos/fs';
 * const isDir = (t: NodeType) => t === 'directory';
 * ```
 */
export type NodeType = 'file' | 'directory';

/**
 * What a {@link Volume} knows about one file or directory. Times are milliseconds since
 * the Unix epoch, at the resolution the on-disk format keeps (FAT: 2 s for
 * modification, 10 ms for creation, a day for access).
 *
 * @example
 * ```ts
 * import type { VolumeStat } from '@libos/fs';
 * const describe = (s: VolumeStat) => `${s.type} of ${s.size} bytes`;
 * ```
 */
export interface VolumeStat {
  /** File or directory. */
  readonly type: NodeType;
  /** Bytes in the file; for directories, the bytes their entries occupy on disk. */
  readonly size: number;
  /**
   * A number that identifies the node while the volume is mounted (FAT: derived from
   * the position of its directory entry; the root is 1).
   */
  readonly ino: number;
  /** Allocation unit in bytes (FAT: the cluster size). */
  readonly blockSize: number;
  /** Allocation units the node occupies. */
  readonly blocks: number;
  /** Creation time. */
  readonly birthtimeMs: number;
  /** Last modification of the contents. */
  readonly mtimeMs: number;
  /** Last access. */
  readonly atimeMs: number;
}

/**
 * One entry returned by {@link Volume.readdir}.
 *
 * @example
 * ```ts
 * import type { VolumeDirEntry } from '@libos/fs';
 * const names = (entries: VolumeDirEntry[]) => entries.map((e) => e.name);
 * ```
 */
export interface VolumeDirEntry {
  /** The name as stored (FAT: the long name, or the short name when there is none). */
  readonly name: string;
  /** File or directory. */
  readonly type: NodeType;
}

/**
 * Space on a volume, like `statfs`.
 *
 * @example
 * ```ts
 * import type { VolumeSpace } from '@libos/fs';
 * const freeBytes = (s: VolumeSpace) => s.freeBlocks * s.blockSize;
 * ```
 */
export interface VolumeSpace {
  /** Allocation unit in bytes. */
  readonly blockSize: number;
  /** Allocation units for data in all. */
  readonly totalBlocks: number;
  /** Allocation units not in use. */
  readonly freeBlocks: number;
}

/**
 * How {@link Volume.open} opens a file.
 *
 * @example
 * ```ts
 * import type { VolumeOpenOptions } from '@libos/fs';
 * const createNew: VolumeOpenOptions = { write: true, create: true, exclusive: true };
 * ```
 */
export interface VolumeOpenOptions {
  /** The handle may write and truncate (otherwise those reject with `EBADF`). */
  readonly write?: boolean;
  /** Create the file when it does not exist (the parent must exist). */
  readonly create?: boolean;
  /** With `create`: reject with `EEXIST` when the file exists. */
  readonly exclusive?: boolean;
  /** Cut the file to zero bytes on open (needs `write`). */
  readonly truncate?: boolean;
}

/**
 * An open file on a {@link Volume}. Positions are byte offsets; handles opened on the
 * same file share its contents and size.
 *
 * @example
 * ```ts
 * import type { VolumeFile } from '@libos/fs';
 * async function readAll(file: VolumeFile): Promise<Uint8Array> {
 *   const out = new Uint8Array(file.size());
 *   let done = 0;
 *   while (done < out.length) {
 *     const n = await file.read(done, out.subarray(done));
 *     if (n === 0) break;
 *     done += n;
 *   }
 *   return out.subarray(0, done);
 * }
 * ```
 */
export interface VolumeFile {
  /** The file's current size in bytes. */
  size(): number;
  /**
   * Reads up to `buffer.length` bytes at `position`; resolves with the count read,
   * 0 at or past the end.
   */
  read(position: number, buffer: Uint8Array): Promise<number>;
  /**
   * Writes all of `data` at `position`, growing the file (a gap reads as zeros).
   * Rejects without writing anything when space runs out (`ENOSPC`) or the file
   * would pass the format's size limit (`EFBIG`).
   */
  write(position: number, data: Uint8Array): Promise<void>;
  /** Sets the size, freeing space or appending zeros. */
  truncate(size: number): Promise<void>;
  /** The file's metadata. */
  stat(): Promise<VolumeStat>;
  /** Writes the file's data and metadata through to the device and flushes it. */
  sync(): Promise<void>;
  /** Writes back what `sync` would and releases the handle; later calls reject `EBADF`. */
  close(): Promise<void>;
}

/**
 * A mounted file system as the {@link FileSystem} layer drives it. Paths are arrays of
 * components relative to the volume root, already normalised by the caller (no empty,
 * `.` or `..` components); `[]` is the root. Every method rejects with an
 * {@link FsError} carrying a Node code; on-disk damage rejects with an
 * {@link FsCorruptionError}.
 *
 * Semantics follow POSIX `rename(2)`, `unlink(2)`, `mkdir(2)`, `rmdir(2)`: e.g. renaming
 * a file over an existing file replaces it; over a directory is `EISDIR`; a directory
 * into its own subtree is `EINVAL`; `rmdir` of a non-empty directory is `ENOTEMPTY`.
 *
 * @example
 * ```ts
 * import type { Volume } from '@libos/fs';
 * async function listRoot(volume: Volume): Promise<string[]> {
 *   return (await volume.readdir([])).map((e) => e.name);
 * }
 * ```
 */
export interface Volume {
  /** True when every mutating call rejects with `EROFS`. */
  readonly readOnly: boolean;
  /** Metadata of the node at `path`. */
  stat(path: readonly string[]): Promise<VolumeStat>;
  /** The entries of the directory at `path`, without `.` and `..`. */
  readdir(path: readonly string[]): Promise<VolumeDirEntry[]>;
  /** Creates a directory; the parent must exist. */
  mkdir(path: readonly string[]): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: readonly string[]): Promise<void>;
  /** Removes a file. */
  unlink(path: readonly string[]): Promise<void>;
  /** Moves or renames a file or directory, across directories too. */
  rename(from: readonly string[], to: readonly string[]): Promise<void>;
  /** Opens the file at `path`. Directories reject with `EISDIR`. */
  open(path: readonly string[], options: VolumeOpenOptions): Promise<VolumeFile>;
  /** Sets access and modification times. */
  utimes(path: readonly string[], atimeMs: number, mtimeMs: number): Promise<void>;
  /** Space in use and free. */
  statfs(): Promise<VolumeSpace>;
  /** Writes every cached change through and flushes the device. */
  sync(): Promise<void>;
  /** Syncs and detaches; later calls reject with `EIO`. Rejects `EBUSY` with open files. */
  unmount(): Promise<void>;
}
