/**
 * The Node-style codes file system calls reject with. They match the `code` property of
 * errors thrown by `node:fs/promises`, so code written against Node keeps working.
 *
 * @example
 * ```ts
 * import type { FsErrorCode } from '@libos/fs';
 * const missing = (code: FsErrorCode) => code === 'ENOENT';
 * ```
 */
export type FsErrorCode =
  | 'ENOENT'
  | 'EEXIST'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'ENOSPC'
  | 'EROFS'
  | 'EIO'
  | 'EINVAL'
  | 'EBADF'
  | 'EBUSY'
  | 'EXDEV'
  | 'EFBIG'
  | 'ENAMETOOLONG';

/** Linux errno values, negated as Node reports them in `err.errno`. */
const ERRNO: Readonly<Record<FsErrorCode, number>> = {
  ENOENT: -2,
  EIO: -5,
  EBADF: -9,
  EBUSY: -16,
  EEXIST: -17,
  EXDEV: -18,
  ENOTDIR: -20,
  EISDIR: -21,
  EINVAL: -22,
  EFBIG: -27,
  ENOSPC: -28,
  EROFS: -30,
  ENAMETOOLONG: -36,
  ENOTEMPTY: -39,
};

/** The message Node prints for each code (`strerror`). */
const DESCRIPTION: Readonly<Record<FsErrorCode, string>> = {
  ENOENT: 'no such file or directory',
  EIO: 'i/o error',
  EBADF: 'bad file descriptor',
  EBUSY: 'resource busy or locked',
  EEXIST: 'file already exists',
  EXDEV: 'cross-device link not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EINVAL: 'invalid argument',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'name too long',
  ENOTEMPTY: 'directory not empty',
};

/**
 * Error rejected by every file system call. Shaped like Node's `SystemError`: `code`,
 * `errno`, `syscall` and (when a path is involved) `path`, with a message such as
 * `ENOENT: no such file or directory, open '/data/a.txt'`.
 *
 * @example
 * ```ts
 * import { FsError } from '@libos/fs';
 * try { await fs.readFile('/missing'); } catch (e) {
 *   if (e instanceof FsError && e.code === 'ENOENT') console.log('no such file');
 * }
 * ```
 */
export class FsError extends Error {
  /** The negated Linux errno, as Node reports it. */
  readonly errno: number;

  /**
   * @param code The stable error code.
   * @param syscall The call that failed (`open`, `mkdir`, `rename`...).
   * @param path The path the call was given, when there is one.
   * @param detail Extra words for people, appended to the message.
   * @param dest The second path of a two-path call (`rename`), as Node reports it.
   */
  constructor(
    readonly code: FsErrorCode,
    readonly syscall: string,
    readonly path?: string,
    detail?: string,
    readonly dest?: string,
  ) {
    const to = dest === undefined ? '' : ` -> '${dest}'`;
    const where = path === undefined ? '' : ` '${path}'${to}`;
    const extra = detail === undefined ? '' : ` (${detail})`;
    super(`${code}: ${DESCRIPTION[code]}, ${syscall}${where}${extra}`);
    this.name = 'FsError';
    this.errno = ERRNO[code];
  }
}

/**
 * What kind of damage a file system found on disk.
 *
 * @example
 * ```ts
 * import type { CorruptionKind } from '@libos/fs';
 * const fatal = (kind: CorruptionKind) => kind !== 'size-mismatch';
 * ```
 */
export type CorruptionKind =
  /** The boot sector / superblock is not a valid file system of this kind. */
  | 'bad-boot-sector'
  /** A cluster chain visits a cluster twice. */
  | 'chain-loop'
  /** Two files or directories claim the same cluster. */
  | 'cross-link'
  /** A pointer names a cluster or sector outside the volume. */
  | 'out-of-range'
  /** A chain ends in a free or bad cluster. */
  | 'broken-chain'
  /** A directory's `.` or `..` entry is missing or points elsewhere. */
  | 'bad-dot-entry'
  /** A file's recorded size disagrees with its cluster chain. */
  | 'size-mismatch'
  /** A directory entry is malformed (bad name, bad long-name sequence...). */
  | 'bad-directory-entry';

/**
 * The typed error for on-disk corruption: an {@link FsError} with code `EIO` (as Linux
 * reports file system errors) that also says what was found and where.
 *
 * @example
 * ```ts
 * import { FsCorruptionError } from '@libos/fs';
 * try { await fs.readFile('/a.bin'); } catch (e) {
 *   if (e instanceof FsCorruptionError) console.log(e.kind, e.where);
 * }
 * ```
 */
export class FsCorruptionError extends FsError {
  /**
   * @param kind What kind of damage.
   * @param where Where it was found, for people (e.g. `cluster 1234 of /a.bin`).
   * @param syscall The call that found it.
   * @param path The path the call was given, when there is one.
   */
  constructor(
    readonly kind: CorruptionKind,
    readonly where: string,
    syscall: string,
    path?: string,
  ) {
    super('EIO', syscall, path, `file system corrupt: ${kind} at ${where}`);
    this.name = 'FsCorruptionError';
  }
}
