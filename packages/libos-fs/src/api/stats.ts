import type { VolumeSpace, VolumeStat } from '../volume.js';
import { NodeKind } from './node-kind.js';

/** S_IFREG and S_IFDIR (POSIX `<sys/stat.h>`). */
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * Metadata of a file or directory, shaped like Node's `fs.Stats`: the same fields and
 * `is*()` methods. `blocks` counts 512-byte units and `blksize` is the volume's
 * allocation unit, as on Linux; `ctime` (no separate change time on the volumes) equals
 * `mtime`; `uid`/`gid` are 0 and `nlink` is 1.
 *
 * @example
 * ```ts
 * const s = await fs.stat('/data/a.txt');
 * if (s.isFile()) console.log(s.size, s.mtime.toISOString());
 * ```
 */
export class Stats extends NodeKind {
  /** The mount's device number. */
  readonly dev: number;
  /** The node's number on its volume. */
  readonly ino: number;
  /** File type and permission bits (`0o100644` files, `0o40755` directories; no write bits when read-only). */
  readonly mode: number;
  /** Hard links: always 1. */
  readonly nlink = 1;
  /** Owner: 0. */
  readonly uid = 0;
  /** Group: 0. */
  readonly gid = 0;
  /** Device number for special files: 0. */
  readonly rdev = 0;
  /** Size in bytes. */
  readonly size: number;
  /** The volume's allocation unit in bytes. */
  readonly blksize: number;
  /** Space taken, in 512-byte units. */
  readonly blocks: number;
  /** Last access, ms since the epoch. */
  readonly atimeMs: number;
  /** Last modification, ms since the epoch. */
  readonly mtimeMs: number;
  /** Same as `mtimeMs`. */
  readonly ctimeMs: number;
  /** Creation, ms since the epoch. */
  readonly birthtimeMs: number;
  /** Last access. */
  readonly atime: Date;
  /** Last modification. */
  readonly mtime: Date;
  /** Same as `mtime`. */
  readonly ctime: Date;
  /** Creation. */
  readonly birthtime: Date;

  /**
   * @param stat What the volume reported.
   * @param dev The mount's device number.
   * @param readOnly Whether the volume is read-only (clears the write bits of `mode`).
   */
  constructor(stat: VolumeStat, dev: number, readOnly: boolean) {
    super(stat.type);
    this.dev = dev;
    this.ino = stat.ino;
    const perm = stat.type === 'directory' ? 0o755 : 0o644;
    this.mode = (stat.type === 'directory' ? S_IFDIR : S_IFREG) | (readOnly ? perm & 0o555 : perm);
    this.size = stat.size;
    this.blksize = stat.blockSize;
    this.blocks = Math.ceil((stat.blocks * stat.blockSize) / 512);
    this.atimeMs = stat.atimeMs;
    this.mtimeMs = stat.mtimeMs;
    this.ctimeMs = stat.mtimeMs;
    this.birthtimeMs = stat.birthtimeMs;
    this.atime = new Date(stat.atimeMs);
    this.mtime = new Date(stat.mtimeMs);
    this.ctime = new Date(stat.mtimeMs);
    this.birthtime = new Date(stat.birthtimeMs);
  }
}

/**
 * Space on the volume holding a path, shaped like Node's `fs.StatFs`.
 *
 * @example
 * ```ts
 * const s = await fs.statfs('/data');
 * const freeBytes = s.bavail * s.bsize;
 * ```
 */
export class StatFs {
  /** File system type magic: 0 (not a kernel file system). */
  readonly type = 0;
  /** Allocation unit in bytes. */
  readonly bsize: number;
  /** Allocation units for data. */
  readonly blocks: number;
  /** Free allocation units. */
  readonly bfree: number;
  /** Free allocation units available to unprivileged users (same as `bfree`). */
  readonly bavail: number;
  /** File nodes in all: 0 (not fixed on these volumes). */
  readonly files = 0;
  /** Free file nodes: 0 (not fixed on these volumes). */
  readonly ffree = 0;

  /**
   * @param space What the volume reported.
   */
  constructor(space: VolumeSpace) {
    this.bsize = space.blockSize;
    this.blocks = space.totalBlocks;
    this.bfree = space.freeBlocks;
    this.bavail = space.freeBlocks;
  }
}
