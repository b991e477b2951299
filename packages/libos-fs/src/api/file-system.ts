import { FsCorruptionError, FsError } from '../fs-error.js';
import type { Volume, VolumeDirEntry, VolumeStat } from '../volume.js';
import { Dirent } from './dirent.js';
import { FileHandle } from './file-handle.js';
import { type Mount, MountTable } from './mount-table.js';
import { formatPath, type ParsedPath, parsePath } from './normalize-path.js';
import { type OpenFlags, parseOpenFlags } from './open-flags.js';
import { StatFs, Stats } from './stats.js';
import { encodeUtf8 } from './utf8.js';
import {
  type FileReadableStream,
  type FileWritableStream,
  fileReadableStream,
  fileWritableStream,
  type ReadStreamOptions,
  type WriteStreamOptions,
} from './web-streams.js';

/**
 * Text encodings the file system converts: UTF-8 only.
 *
 * @example
 * ```ts
 * import type { TextEncoding } from '@libos/fs';
 * const e: TextEncoding = 'utf8';
 * ```
 */
export type TextEncoding = 'utf8' | 'utf-8';

/**
 * Options of {@link FileSystem.writeFile} and {@link FileSystem.appendFile}.
 *
 * @example
 * ```ts
 * import type { WriteFileOptions } from '@libos/fs';
 * const createOnly: WriteFileOptions = { flag: 'wx' };
 * ```
 */
export interface WriteFileOptions {
  /** How to open the file. Default `'w'` (`'a'` for `appendFile`). */
  readonly flag?: OpenFlags;
  /** Encoding of string data: UTF-8. */
  readonly encoding?: TextEncoding;
  /** Accepted for Node compatibility and ignored: volumes keep no permissions. */
  readonly mode?: number;
}

/**
 * Options of {@link FileSystem.readdir}.
 *
 * @example
 * ```ts
 * import type { ReaddirOptions } from '@libos/fs';
 * const everything: ReaddirOptions = { withFileTypes: true, recursive: true };
 * ```
 */
export interface ReaddirOptions {
  /** Return {@link Dirent}s instead of names. Default false. */
  readonly withFileTypes?: boolean;
  /** List the whole subtree, breadth first; names are paths relative to the directory. Default false. */
  readonly recursive?: boolean;
}

/**
 * Options of {@link FileSystem.rm}.
 *
 * @example
 * ```ts
 * import type { RmOptions } from '@libos/fs';
 * const rmRf: RmOptions = { recursive: true, force: true };
 * ```
 */
export interface RmOptions {
  /** Remove directories and their contents. Default false. */
  readonly recursive?: boolean;
  /** Do not fail when the path does not exist. Default false. */
  readonly force?: boolean;
}

/**
 * A time for {@link FileSystem.utimes}: a `Date`, or seconds since the epoch as a number
 * or numeric string (as in Node).
 *
 * @example
 * ```ts
 * import type { TimeLike } from '@libos/fs';
 * const t: TimeLike = new Date('2024-01-01T00:00:00Z');
 * ```
 */
export type TimeLike = Date | number | string;

/** `access` mode bits, as in Node's `fs.constants`. */
const W_OK = 2;

/** Where a path lands. */
interface Where {
  /** The path as the caller gave it, for errors. */
  readonly display: string;
  readonly parsed: ParsedPath;
  readonly mount: Mount | undefined;
  /** Components below the mount point. */
  readonly rest: readonly string[];
}

const SYNTHETIC_DIRECTORY: VolumeStat = {
  type: 'directory',
  size: 0,
  ino: 0,
  blockSize: 4096,
  blocks: 0,
  birthtimeMs: 0,
  mtimeMs: 0,
  atimeMs: 0,
};

/** Rewrites a volume's error with the call and path the user gave, as Node reports them. */
function rethrow(e: unknown, syscall: string, path?: string, dest?: string): never {
  if (e instanceof FsCorruptionError) throw new FsCorruptionError(e.kind, e.where, syscall, path);
  if (e instanceof FsError) throw new FsError(e.code, syscall, path, undefined, dest);
  throw e;
}

function toMs(time: TimeLike, syscall: string, path: string): number {
  const ms =
    time instanceof Date
      ? time.getTime()
      : typeof time === 'number'
        ? time * 1000
        : Number(time) * 1000;
  if (!Number.isFinite(ms)) throw new FsError('EINVAL', syscall, path, `bad time ${String(time)}`);
  return ms;
}

/**
 * A `node:fs/promises`-shaped file system over a table of mounted {@link Volume}s.
 * Paths are absolute POSIX paths, normalised lexically (`.`, `..` clamped at the root,
 * repeated slashes); a relative path rejects with `EINVAL`. Each path goes to the volume
 * mounted at its longest matching prefix; directories above mount points exist
 * implicitly (read-only, listing the mount points). Errors are {@link FsError}s with the
 * `code`, `syscall`, `path` (and `dest` for `rename`) Node reports for the same mistake
 * on Linux; differences: `rm` of a directory without `recursive` rejects with code
 * `EISDIR` (Node: `ERR_FS_EISDIR`), bad arguments with `EINVAL` (Node: `TypeError`s), and
 * there are no symbolic links, permissions or owners.
 *
 * Streams are WHATWG streams: {@link FileSystem.createReadStream} and
 * {@link FileSystem.createWriteStream} (for Node.js streams see `@libos/fs/node`).
 *
 * @example
 * ```ts
 * import { createFileSystem, ManualWallClock, MemoryVolume } from '@libos/fs';
 * const fs = createFileSystem();
 * fs.mount('/', new MemoryVolume({ clock: { now: () => Date.now() } }));
 * await fs.mkdir('/etc/app', { recursive: true });
 * await fs.writeFile('/etc/app/config.json', '{"debug":true}');
 * const text = await fs.readFile('/etc/app/config.json', 'utf8');
 * ```
 */
export class FileSystem {
  readonly #table = new MountTable();
  readonly #fds = new Set<number>();

  /**
   * Mounts a volume.
   *
   * @param path Absolute mount point; it need not exist on the volume below.
   * @param volume The volume.
   * @throws FsError `EBUSY` when a volume is already mounted there; `EINVAL` for a bad path.
   */
  mount(path: string, volume: Volume): void {
    const { components } = parsePath(path, 'mount');
    try {
      this.#table.mount(components, volume);
    } catch (e) {
      rethrow(e, 'mount', path);
    }
  }

  /**
   * Unmounts the volume at `path`, syncing it and detaching it (`Volume.unmount`).
   *
   * @param path The mount point.
   * @throws FsError `EINVAL` when nothing is mounted there; `EBUSY` with files open on it
   *   or volumes mounted below it.
   */
  async unmount(path: string): Promise<void> {
    const { components } = parsePath(path, 'umount');
    const mount = this.#table.mountAt(components);
    if (mount === undefined) throw new FsError('EINVAL', 'umount', path, 'not a mount point');
    if (mount.openFiles > 0 || this.#table.below(components).any) {
      throw new FsError('EBUSY', 'umount', path);
    }
    try {
      await mount.volume.unmount();
    } catch (e) {
      rethrow(e, 'umount', path);
    }
    this.#table.remove(mount);
  }

  /** Every mount point and its volume, in mount order. */
  mounts(): {
    /** The mount point. */
    readonly path: string;
    /** The mounted volume. */
    readonly volume: Volume;
  }[] {
    return this.#table.mounts.map((m) => ({ path: formatPath(m.at), volume: m.volume }));
  }

  #where(path: string, syscall: string): Where {
    const parsed = parsePath(path, syscall);
    const { mount, rest } = this.#table.lookup(parsed.components);
    return { display: path, parsed, mount, rest };
  }

  /** The volume, or the error for a path no volume holds (implicit directories are read-only). */
  #volume(w: Where, syscall: string): { mount: Mount; volume: Volume } {
    if (w.mount !== undefined) return { mount: w.mount, volume: w.mount.volume };
    const all = w.parsed.components;
    const implicit =
      this.#table.below(all).any || (all.length > 0 && this.#table.below(all.slice(0, -1)).any);
    throw new FsError(implicit ? 'EROFS' : 'ENOENT', syscall, w.display);
  }

  /** Metadata, with implicit directories and the trailing-slash rule (POSIX.1-2017 §4.13). */
  async #stat(
    w: Where,
    syscall: string,
  ): Promise<{ stat: VolumeStat; dev: number; readOnly: boolean }> {
    if (w.mount === undefined) {
      if (this.#table.below(w.parsed.components).any) {
        return { stat: SYNTHETIC_DIRECTORY, dev: 0, readOnly: true };
      }
      throw new FsError('ENOENT', syscall, w.display);
    }
    let stat: VolumeStat;
    try {
      stat = await w.mount.volume.stat(w.rest);
    } catch (e) {
      if (
        e instanceof FsError &&
        e.code === 'ENOENT' &&
        this.#table.below(w.parsed.components).any
      ) {
        return { stat: SYNTHETIC_DIRECTORY, dev: 0, readOnly: true };
      }
      rethrow(e, syscall, w.display);
    }
    if (w.parsed.trailingSlash && stat.type !== 'directory') {
      throw new FsError('ENOTDIR', syscall, w.display);
    }
    return { stat, dev: w.mount.dev, readOnly: w.mount.volume.readOnly };
  }

  /**
   * POSIX.1-2017 §4.13: a path with a trailing slash must name a directory; on a file it
   * is `ENOTDIR` (a missing node is left to the call itself).
   */
  async #checkTrailingSlash(w: Where, syscall: string, dest?: string): Promise<void> {
    if (!w.parsed.trailingSlash || w.mount === undefined) return;
    const s = await w.mount.volume.stat(w.rest).catch(() => undefined);
    if (s !== undefined && s.type !== 'directory') {
      throw new FsError('ENOTDIR', syscall, w.display, undefined, dest);
    }
  }

  #busy(w: Where, syscall: string, dest?: string): void {
    const isMountPoint = w.mount !== undefined && w.rest.length === 0;
    if (isMountPoint || this.#table.below(w.parsed.components).any) {
      throw new FsError('EBUSY', syscall, w.display, undefined, dest);
    }
  }

  #allocateFd(): number {
    let fd = 3;
    while (this.#fds.has(fd)) fd++;
    this.#fds.add(fd);
    return fd;
  }

  /**
   * Opens a file (Node's `fsPromises.open`). A directory can be opened with `'r'`:
   * `stat` works, reading rejects with `EISDIR`.
   *
   * @param path Absolute path.
   * @param flags How to open it (Node's flag strings). Default `'r'`.
   * @param _mode Accepted for Node compatibility and ignored: volumes keep no permissions.
   */
  async open(path: string, flags: OpenFlags = 'r', _mode?: number): Promise<FileHandle> {
    const w = this.#where(path, 'open');
    const mode = parseOpenFlags(flags, path);
    const { mount, volume } = this.#volume(w, 'open');
    if (w.parsed.trailingSlash) {
      // POSIX.1-2017 §4.13: a trailing slash names a directory; creating a file there is EISDIR.
      const existing = await volume.stat(w.rest).catch(() => undefined);
      if (existing === undefined && mode.create) throw new FsError('EISDIR', 'open', path);
      if (existing !== undefined && existing.type !== 'directory') {
        throw new FsError('ENOTDIR', 'open', path);
      }
    }
    let file: Awaited<ReturnType<Volume['open']>> | undefined;
    let directoryStat: (() => Promise<VolumeStat>) | undefined;
    try {
      file = await volume.open(w.rest, {
        write: mode.write,
        create: mode.create,
        exclusive: mode.exclusive,
        truncate: mode.truncate,
      });
    } catch (e) {
      const readOnlyDirectory =
        e instanceof FsError && e.code === 'EISDIR' && !mode.write && !mode.create;
      if (!readOnlyDirectory) rethrow(e, 'open', path);
      const rest = w.rest;
      directoryStat = () => volume.stat(rest);
    }
    const fd = this.#allocateFd();
    mount.openFiles++;
    return new FileHandle({
      fd,
      file,
      directoryStat,
      mode,
      dev: mount.dev,
      readOnly: volume.readOnly,
      release: () => {
        mount.openFiles--;
        this.#fds.delete(fd);
      },
    });
  }

  /**
   * Reads a whole file.
   *
   * @param path Absolute path.
   */
  async readFile(path: string): Promise<Uint8Array>;
  /**
   * Reads a whole file as text.
   *
   * @param path Absolute path.
   * @param options `'utf8'` or `{ encoding: 'utf8' }`.
   */
  async readFile(
    path: string,
    options: TextEncoding | { readonly encoding: TextEncoding; readonly flag?: OpenFlags },
  ): Promise<string>;
  /**
   * Reads a whole file; as text when an encoding is given.
   *
   * @param path Absolute path.
   * @param options Encoding and open flag (default `'r'`).
   */
  async readFile(
    path: string,
    options?: TextEncoding | { readonly encoding?: TextEncoding | null; readonly flag?: OpenFlags },
  ): Promise<Uint8Array | string>;
  async readFile(
    path: string,
    options?: TextEncoding | { readonly encoding?: TextEncoding | null; readonly flag?: OpenFlags },
  ): Promise<Uint8Array | string> {
    const encoding = typeof options === 'string' ? options : (options?.encoding ?? undefined);
    const flag = typeof options === 'object' ? (options.flag ?? 'r') : 'r';
    const h = await this.open(path, flag);
    try {
      return encoding === undefined ? await h.readFile() : await h.readFile(encoding);
    } finally {
      await h.close();
    }
  }

  /**
   * Writes a whole file, creating or replacing it (by default).
   *
   * @param path Absolute path.
   * @param data Bytes, or text written as UTF-8.
   * @param options Open flag (default `'w'`), or an encoding.
   */
  async writeFile(
    path: string,
    data: Uint8Array | string,
    options?: TextEncoding | WriteFileOptions,
  ): Promise<void> {
    const flag = typeof options === 'object' ? (options.flag ?? 'w') : 'w';
    const h = await this.open(path, flag);
    try {
      await h.writeFile(typeof data === 'string' ? encodeUtf8(data) : data);
    } finally {
      await h.close();
    }
  }

  /**
   * Appends to a file, creating it when missing.
   *
   * @param path Absolute path.
   * @param data Bytes, or text written as UTF-8.
   * @param options Open flag (default `'a'`), or an encoding.
   */
  async appendFile(
    path: string,
    data: Uint8Array | string,
    options?: TextEncoding | WriteFileOptions,
  ): Promise<void> {
    const flag = typeof options === 'object' ? (options.flag ?? 'a') : 'a';
    await this.writeFile(path, data, { flag });
  }

  /**
   * Creates a directory. With `recursive`, creates missing parents too, succeeds when the
   * directory exists, and resolves with the first directory created (`undefined` when
   * none was), like Node.
   *
   * @param path Absolute path.
   * @param options `recursive`.
   */
  async mkdir(
    path: string,
    options: {
      /** Create missing parents; succeed when the directory exists. */
      readonly recursive?: boolean;
      /** Accepted for Node compatibility and ignored: volumes keep no permissions. */
      readonly mode?: number;
    } = {},
  ): Promise<string | undefined> {
    const w = this.#where(path, 'mkdir');
    if (!options.recursive) {
      const { volume } = this.#mkdirTarget(w, path);
      try {
        await volume.mkdir(w.rest);
      } catch (e) {
        rethrow(e, 'mkdir', path);
      }
      return undefined;
    }
    const all = w.parsed.components;
    let first: string | undefined;
    for (let i = 1; i <= all.length; i++) {
      const prefix = all.slice(0, i);
      const p = this.#where(formatPath(prefix), 'mkdir');
      const existing = await this.#stat(p, 'mkdir').catch((e: unknown) => {
        if (e instanceof FsError && e.code === 'ENOENT') return undefined;
        if (e instanceof FsError && e.code === 'ENOTDIR')
          throw new FsError('ENOTDIR', 'mkdir', path);
        return rethrow(e, 'mkdir', path);
      });
      if (existing !== undefined) {
        if (existing.stat.type === 'directory') continue;
        throw new FsError(i === all.length ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      }
      const { volume } = this.#mkdirTarget(p, path);
      try {
        await volume.mkdir(p.rest);
      } catch (e) {
        rethrow(e, 'mkdir', path);
      }
      // Node reports the path as given when the first directory made is the last one.
      first ??= i === all.length ? path : formatPath(prefix);
    }
    return first;
  }

  #mkdirTarget(w: Where, path: string): { volume: Volume } {
    if (w.mount === undefined || w.rest.length === 0) {
      // A mount point, the root, or an implicit directory: it exists.
      if (w.mount !== undefined || this.#table.below(w.parsed.components).any) {
        throw new FsError('EEXIST', 'mkdir', path);
      }
    }
    return { volume: this.#volume(w, 'mkdir').volume };
  }

  /**
   * Lists a directory, without `.` and `..`. Mount points directly inside it are listed
   * as directories.
   *
   * @param path Absolute path.
   * @param options `recursive`: list the whole subtree as relative paths (`a`, `a/b`).
   */
  async readdir(
    path: string,
    options?: { readonly withFileTypes?: false; readonly recursive?: boolean },
  ): Promise<string[]>;
  /**
   * Lists a directory as {@link Dirent}s.
   *
   * @param path Absolute path.
   * @param options `{ withFileTypes: true }`; `recursive` to list the whole subtree.
   */
  async readdir(
    path: string,
    options: { readonly withFileTypes: true; readonly recursive?: boolean },
  ): Promise<Dirent[]>;
  /**
   * Lists a directory; names, or {@link Dirent}s with `withFileTypes`.
   *
   * @param path Absolute path.
   * @param options `withFileTypes`, `recursive`.
   */
  async readdir(path: string, options?: ReaddirOptions): Promise<string[] | Dirent[]>;
  async readdir(path: string, options: ReaddirOptions = {}): Promise<string[] | Dirent[]> {
    const top = await this.#list(path);
    if (!options.recursive) {
      if (options.withFileTypes) return top.map((e) => new Dirent(e.name, e.type, path));
      return top.map((e) => e.name);
    }
    // Breadth first with an explicit queue, as Node lists recursive results.
    const names: string[] = [];
    const dirents: Dirent[] = [];
    const queue: { dir: string; relative: string; entries: VolumeDirEntry[] }[] = [
      { dir: path, relative: '', entries: top },
    ];
    for (let i = 0; i < queue.length; i++) {
      const { dir, relative, entries } = queue[i] as (typeof queue)[number];
      for (const e of entries) {
        const rel = relative === '' ? e.name : `${relative}/${e.name}`;
        names.push(rel);
        dirents.push(new Dirent(e.name, e.type, dir));
        if (e.type === 'directory') {
          const child = dir.endsWith('/') ? `${dir}${e.name}` : `${dir}/${e.name}`;
          queue.push({ dir: child, relative: rel, entries: await this.#list(child) });
        }
      }
    }
    return options.withFileTypes ? dirents : names;
  }

  /** One directory's entries, with the mount points directly inside it. */
  async #list(path: string): Promise<VolumeDirEntry[]> {
    const w = this.#where(path, 'scandir');
    const below = this.#table.below(w.parsed.components);
    let entries: VolumeDirEntry[] = [];
    if (w.mount !== undefined) {
      try {
        entries = await w.mount.volume.readdir(w.rest);
      } catch (e) {
        if (!(below.any && e instanceof FsError && e.code === 'ENOENT')) {
          rethrow(e, 'scandir', path);
        }
      }
    } else if (!below.any) {
      throw new FsError('ENOENT', 'scandir', path);
    }
    const merged = [...entries];
    for (const name of below.childNames) {
      if (!merged.some((e) => e.name === name)) merged.push({ name, type: 'directory' });
    }
    return merged;
  }

  /**
   * Metadata of a file or directory.
   *
   * @param path Absolute path.
   */
  async stat(path: string): Promise<Stats> {
    const s = await this.#stat(this.#where(path, 'stat'), 'stat');
    return new Stats(s.stat, s.dev, s.readOnly);
  }

  /**
   * Same as {@link FileSystem.stat} (volumes have no symbolic links).
   *
   * @param path Absolute path.
   */
  async lstat(path: string): Promise<Stats> {
    const s = await this.#stat(this.#where(path, 'lstat'), 'lstat');
    return new Stats(s.stat, s.dev, s.readOnly);
  }

  /**
   * Checks that a path exists (and, with `W_OK` = 2 in `mode`, that its volume is
   * writable), like Node's `fsPromises.access`.
   *
   * @param path Absolute path.
   * @param mode `F_OK` (0, default), or bits of `R_OK` (4), `W_OK` (2), `X_OK` (1).
   */
  async access(path: string, mode = 0): Promise<void> {
    const s = await this.#stat(this.#where(path, 'access'), 'access');
    if ((mode & W_OK) !== 0 && s.readOnly) throw new FsError('EROFS', 'access', path);
  }

  /**
   * Whether a path exists. Never rejects for a missing path; other errors (e.g. `EIO`)
   * reject.
   *
   * @param path Absolute path.
   */
  async exists(path: string): Promise<boolean> {
    try {
      await this.#stat(this.#where(path, 'access'), 'access');
      return true;
    } catch (e) {
      if (e instanceof FsError && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return false;
      throw e;
    }
  }

  /**
   * Renames or moves a file or directory (POSIX `rename(2)`: replaces a file or an empty
   * directory at `newPath`).
   *
   * @param oldPath Absolute path of what to move.
   * @param newPath Absolute path of its new name.
   * @throws FsError `EXDEV` across mounts; `EBUSY` for mount points.
   */
  async rename(oldPath: string, newPath: string): Promise<void> {
    const from = this.#where(oldPath, 'rename');
    const to = this.#where(newPath, 'rename');
    if (from.mount === undefined) this.#volume(from, 'rename');
    this.#busy(from, 'rename', newPath);
    this.#busy(to, 'rename', newPath);
    if (from.mount !== to.mount) {
      throw new FsError('EXDEV', 'rename', oldPath, undefined, newPath);
    }
    await this.#checkTrailingSlash(from, 'rename', newPath);
    if (to.parsed.trailingSlash) {
      // A file cannot take a name that ends in a slash (POSIX.1-2017 §4.13).
      const s = await (from.mount as Mount).volume.stat(from.rest).catch(() => undefined);
      if (s?.type === 'file') throw new FsError('ENOTDIR', 'rename', oldPath, undefined, newPath);
    }
    const volume = (from.mount as Mount).volume;
    try {
      await volume.rename(from.rest, to.rest);
    } catch (e) {
      rethrow(e, 'rename', oldPath, newPath);
    }
  }

  /**
   * Removes a file, or with `recursive` a directory tree, like Node's `fsPromises.rm`.
   *
   * @param path Absolute path.
   * @param options `recursive`, `force` (no error when missing).
   */
  async rm(path: string, options: RmOptions = {}): Promise<void> {
    const w = this.#where(path, 'rm');
    let top: VolumeStat;
    try {
      top = (await this.#stat(w, 'lstat')).stat;
    } catch (e) {
      if (options.force && e instanceof FsError && e.code === 'ENOENT') return;
      throw e;
    }
    if (top.type === 'file') {
      await this.unlink(path);
      return;
    }
    if (!options.recursive) {
      throw new FsError('EISDIR', 'rm', path, 'is a directory; use { recursive: true }');
    }
    this.#busy(w, 'rm');
    const { volume } = this.#volume(w, 'rm');
    // Depth-first with an explicit stack: the tree's depth does not grow the call stack.
    const stack: { path: readonly string[]; listed: boolean }[] = [{ path: w.rest, listed: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { path: readonly string[]; listed: boolean };
      try {
        if (!top.listed) {
          top.listed = true;
          for (const e of await volume.readdir(top.path)) {
            const child = [...top.path, e.name];
            if (e.type === 'directory') stack.push({ path: child, listed: false });
            else await volume.unlink(child);
          }
        } else {
          stack.pop();
          await volume.rmdir(top.path);
        }
      } catch (e) {
        rethrow(e, 'rm', path);
      }
    }
  }

  /**
   * Removes an empty directory.
   *
   * @param path Absolute path.
   */
  async rmdir(path: string): Promise<void> {
    const w = this.#where(path, 'rmdir');
    this.#volume(w, 'rmdir');
    this.#busy(w, 'rmdir');
    try {
      await (w.mount as Mount).volume.rmdir(w.rest);
    } catch (e) {
      rethrow(e, 'rmdir', path);
    }
  }

  /**
   * Removes a file.
   *
   * @param path Absolute path.
   */
  async unlink(path: string): Promise<void> {
    const w = this.#where(path, 'unlink');
    const { volume } = this.#volume(w, 'unlink');
    await this.#checkTrailingSlash(w, 'unlink');
    if (w.rest.length === 0) throw new FsError('EISDIR', 'unlink', path);
    try {
      await volume.unlink(w.rest);
    } catch (e) {
      rethrow(e, 'unlink', path);
    }
  }

  /**
   * Sets a file's size (zeros appended when it grows).
   *
   * @param path Absolute path.
   * @param length The new size. Default 0.
   */
  async truncate(path: string, length = 0): Promise<void> {
    const h = await this.open(path, 'r+');
    try {
      await h.truncate(length);
    } finally {
      await h.close();
    }
  }

  /**
   * Sets access and modification times.
   *
   * @param path Absolute path.
   * @param atime Access time: a `Date`, or seconds since the epoch.
   * @param mtime Modification time: a `Date`, or seconds since the epoch.
   */
  async utimes(path: string, atime: TimeLike, mtime: TimeLike): Promise<void> {
    const w = this.#where(path, 'utime');
    const a = toMs(atime, 'utime', path);
    const m = toMs(mtime, 'utime', path);
    const { volume } = this.#volume(w, 'utime');
    await this.#checkTrailingSlash(w, 'utime');
    try {
      await volume.utimes(w.rest, a, m);
    } catch (e) {
      rethrow(e, 'utime', path);
    }
  }

  /**
   * Space on the volume holding `path`.
   *
   * @param path Absolute path.
   */
  async statfs(path: string): Promise<StatFs> {
    const w = this.#where(path, 'statfs');
    await this.#stat(w, 'statfs');
    const { volume } = this.#volume(w, 'statfs');
    try {
      return new StatFs(await volume.statfs());
    } catch (e) {
      return rethrow(e, 'statfs', path);
    }
  }

  /** Writes every volume's cached changes through to its device. */
  async sync(): Promise<void> {
    for (const m of this.#table.mounts) {
      try {
        await m.volume.sync();
      } catch (e) {
        rethrow(e, 'sync', formatPath(m.at));
      }
    }
  }

  /**
   * A WHATWG `ReadableStream` of a file's bytes (like Node's `fs.createReadStream`,
   * `end` inclusive). The file is opened when the stream starts; an open error errors the
   * stream.
   *
   * @param path Absolute path.
   * @param options `start`, `end`, `highWaterMark` (chunk size, default 64 KiB).
   * @throws TypeError when the host has no Web Streams.
   */
  createReadStream(path: string, options: ReadStreamOptions = {}): FileReadableStream {
    return fileReadableStream(() => this.open(path, 'r'), options);
  }

  /**
   * A WHATWG `WritableStream` into a file (like Node's `fs.createWriteStream`); a write
   * resolves when the volume took the chunk, so `writer.ready` carries back-pressure.
   *
   * @param path Absolute path.
   * @param options `flags` (default `'w'`), `start`, `highWaterMark` (bytes, default 64 KiB).
   * @throws TypeError when the host has no Web Streams.
   */
  createWriteStream(path: string, options: WriteStreamOptions = {}): FileWritableStream {
    return fileWritableStream(() => this.open(path, options.flags ?? 'w'), options);
  }
}

/**
 * Makes an empty {@link FileSystem}; mount volumes on it.
 *
 * @example
 * ```ts
 * import { createFileSystem, MemoryVolume } from '@libos/fs';
 * const fs = createFileSystem();
 * fs.mount('/', new MemoryVolume({ clock: { now: () => Date.now() } }));
 * fs.mount('/tmp', new MemoryVolume({ clock: { now: () => Date.now() }, capacityBytes: 1 << 20 }));
 * await fs.writeFile('/tmp/x', 'hello');
 * ```
 */
export function createFileSystem(): FileSystem {
  return new FileSystem();
}
