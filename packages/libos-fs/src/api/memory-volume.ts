import { FsError } from '../fs-error.js';
import type {
  Volume,
  VolumeDirEntry,
  VolumeFile,
  VolumeOpenOptions,
  VolumeSpace,
  VolumeStat,
} from '../volume.js';
import type { WallClock } from '../wall-clock.js';
import { ChunkedBytes } from './chunked-bytes.js';
import type {
  MemoryDirectoryNode,
  MemoryEntry,
  MemoryFileNode,
  MemoryNode,
} from './memory-node.js';
import { type MemoryFileHost, MemoryVolumeFile } from './memory-volume-file.js';

/**
 * Options of a {@link MemoryVolume}.
 *
 * @example
 * ```ts
 * import { ManualWallClock, type MemoryVolumeOptions } from '@libos/fs';
 * const options: MemoryVolumeOptions = {
 *   clock: new ManualWallClock(),
 *   capacityBytes: 1 << 20,
 *   caseInsensitive: true,
 * };
 * ```
 */
export interface MemoryVolumeOptions {
  /** Stamps creation, modification and access times. */
  readonly clock: WallClock;
  /** Bytes of storage; writes that need more reject with `ENOSPC`. Default: unlimited. */
  readonly capacityBytes?: number;
  /**
   * Look names up regardless of case (each UTF-16 unit upper-cased, like FAT) while
   * keeping the case they were made with. Default false.
   */
  readonly caseInsensitive?: boolean;
  /** Every change rejects with `EROFS`. Default false. */
  readonly readOnly?: boolean;
  /** Allocation unit in bytes for space accounting (`statfs`, `blocks`). Default 4096. */
  readonly blockSize?: number;
  /** Longest name in UTF-16 code units; longer is `ENAMETOOLONG`. Default 255. */
  readonly maxNameLength?: number;
  /** Largest file in bytes; larger is `EFBIG`. Default `Number.MAX_SAFE_INTEGER`. */
  readonly maxFileBytes?: number;
}

interface Located {
  readonly parent: MemoryDirectoryNode;
  readonly key: string;
  readonly entry: MemoryEntry | undefined;
  /** Every directory from the root to `parent`, for the rename subtree check. */
  readonly ancestors: readonly MemoryDirectoryNode[];
}

/**
 * A complete {@link Volume} held in memory: the reference model of the volume contract
 * (it passes `describeVolume`), a scratch file system for programs and tests, and the
 * model property tests compare disk formats with. Space is accounted in blocks like a
 * disk (a file takes `ceil(size / blockSize)` blocks, a directory one), so `ENOSPC` and
 * `statfs` behave as on a real volume when `capacityBytes` is given. Contents are held
 * in 64 KiB chunks allocated on first write, so sparse files are cheap.
 *
 * @example
 * ```ts
 * import { ManualWallClock, MemoryVolume } from '@libos/fs';
 * const volume = new MemoryVolume({ clock: new ManualWallClock(), capacityBytes: 8 << 20 });
 * await volume.mkdir(['docs']);
 * const f = await volume.open(['docs', 'a.txt'], { write: true, create: true });
 * await f.write(0, new TextEncoder().encode('hello'));
 * await f.close();
 * (await volume.readdir(['docs'])).map((e) => e.name); // ['a.txt']
 * ```
 */
export class MemoryVolume implements Volume {
  /** True when every change rejects with `EROFS`. */
  readonly readOnly: boolean;
  readonly #clock: WallClock;
  readonly #caseInsensitive: boolean;
  readonly #blockSize: number;
  readonly #totalBlocks: number;
  readonly #maxName: number;
  readonly #maxFile: number;
  readonly #root: MemoryDirectoryNode;
  readonly #options: MemoryVolumeOptions;
  #usedBlocks = 1;
  #nextIno = 2;
  #openFiles = 0;
  #mounted = true;

  /**
   * @param options Clock, capacity and behaviour.
   * @throws RangeError for a block size that is not a positive integer, or a capacity
   *   smaller than one block.
   */
  constructor(options: MemoryVolumeOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.readOnly = options.readOnly ?? false;
    this.#caseInsensitive = options.caseInsensitive ?? false;
    this.#blockSize = options.blockSize ?? 4096;
    if (!Number.isSafeInteger(this.#blockSize) || this.#blockSize < 1) {
      throw new RangeError(`bad block size ${this.#blockSize}`);
    }
    const capacity = options.capacityBytes ?? Number.MAX_SAFE_INTEGER;
    this.#totalBlocks = Math.floor(capacity / this.#blockSize);
    if (this.#totalBlocks < 1) throw new RangeError(`capacity ${capacity} is less than a block`);
    this.#maxName = options.maxNameLength ?? 255;
    this.#maxFile = options.maxFileBytes ?? Number.MAX_SAFE_INTEGER;
    const now = this.#clock.now();
    this.#root = {
      type: 'directory',
      ino: 1,
      entries: new Map(),
      times: { birthtimeMs: now, mtimeMs: now, atimeMs: now },
    };
  }

  /**
   * A deep copy of this volume's tree as a new, independent volume (open handles are not
   * copied) — e.g. a read-only snapshot, or a model state to compare against.
   *
   * @param options What to change in the copy: `readOnly`.
   * @example
   * ```ts
   * import { ManualWallClock, MemoryVolume } from '@libos/fs';
   * const v = new MemoryVolume({ clock: new ManualWallClock() });
   * await v.mkdir(['d']);
   * const frozen = v.clone({ readOnly: true });
   * ```
   */
  clone(options: { readonly readOnly?: boolean } = {}): MemoryVolume {
    const copy = new MemoryVolume({
      ...this.#options,
      readOnly: options.readOnly ?? this.readOnly,
    });
    copy.#root.entries.clear();
    copyDirectory(this.#root, copy.#root);
    Object.assign(copy.#root.times, this.#root.times);
    copy.#usedBlocks = this.#usedBlocks;
    copy.#nextIno = this.#nextIno;
    return copy;
  }

  #key(name: string): string {
    return this.#caseInsensitive ? foldCase(name) : name;
  }

  #show(path: readonly string[]): string {
    return `/${path.join('/')}`;
  }

  #assertMounted(syscall: string, path: readonly string[]): void {
    if (!this.#mounted) throw new FsError('EIO', syscall, this.#show(path), 'volume unmounted');
  }

  #assertWritable(syscall: string, path: readonly string[]): void {
    if (this.readOnly) throw new FsError('EROFS', syscall, this.#show(path));
  }

  /** Walks to the directory holding the last component of `path` (which must be non-empty). */
  #locate(path: readonly string[], syscall: string): Located {
    let dir = this.#root;
    const ancestors: MemoryDirectoryNode[] = [dir];
    for (let i = 0; i < path.length; i++) {
      const name = path[i] as string;
      if (name.length > this.#maxName) {
        throw new FsError('ENAMETOOLONG', syscall, this.#show(path));
      }
      const key = this.#key(name);
      const entry = dir.entries.get(key);
      if (i === path.length - 1) return { parent: dir, key, entry, ancestors };
      if (entry === undefined) throw new FsError('ENOENT', syscall, this.#show(path));
      if (entry.node.type !== 'directory') throw new FsError('ENOTDIR', syscall, this.#show(path));
      dir = entry.node;
      ancestors.push(dir);
    }
    throw new FsError('EINVAL', syscall, this.#show(path), 'the root has no parent');
  }

  #resolve(path: readonly string[], syscall: string): MemoryNode {
    if (path.length === 0) return this.#root;
    const { entry } = this.#locate(path, syscall);
    if (entry === undefined) throw new FsError('ENOENT', syscall, this.#show(path));
    return entry.node;
  }

  #charge(blocks: number, syscall: string, path?: string): void {
    if (this.#usedBlocks + blocks > this.#totalBlocks) throw new FsError('ENOSPC', syscall, path);
    this.#usedBlocks += blocks;
  }

  #blocksOf(node: MemoryNode): number {
    return node.type === 'directory' ? 1 : Math.ceil(node.size / this.#blockSize);
  }

  #statOf(node: MemoryNode): VolumeStat {
    return {
      type: node.type,
      size: node.type === 'directory' ? this.#blockSize : node.size,
      ino: node.ino,
      blockSize: this.#blockSize,
      blocks: this.#blocksOf(node),
      birthtimeMs: node.times.birthtimeMs,
      mtimeMs: node.times.mtimeMs,
      atimeMs: node.times.atimeMs,
    };
  }

  #newTimes(): { birthtimeMs: number; mtimeMs: number; atimeMs: number } {
    const now = this.#clock.now();
    return { birthtimeMs: now, mtimeMs: now, atimeMs: now };
  }

  #touch(dir: MemoryDirectoryNode): void {
    dir.times.mtimeMs = this.#clock.now();
  }

  /** Frees the space of a removed node and everything under it. */
  #free(node: MemoryNode): void {
    this.#usedBlocks -= this.#blocksOf(node);
    if (node.type === 'directory') for (const e of node.entries.values()) this.#free(e.node);
  }

  readonly #host: MemoryFileHost = {
    now: () => this.#clock.now(),
    resize: (node, size, syscall) => {
      if (size > this.#maxFile) throw new FsError('EFBIG', syscall);
      const delta = Math.ceil(size / this.#blockSize) - Math.ceil(node.size / this.#blockSize);
      this.#charge(delta, syscall);
      if (size < node.size) node.bytes.cut(size);
      node.size = size;
    },
    statOf: (node) => this.#statOf(node),
    release: () => {
      this.#openFiles--;
    },
  };

  /**
   * Metadata of the node at `path`.
   *
   * @param path Components from the volume root.
   */
  async stat(path: readonly string[]): Promise<VolumeStat> {
    this.#assertMounted('stat', path);
    return this.#statOf(this.#resolve(path, 'stat'));
  }

  /**
   * The entries of a directory, in creation order.
   *
   * @param path Components from the volume root.
   */
  async readdir(path: readonly string[]): Promise<VolumeDirEntry[]> {
    this.#assertMounted('scandir', path);
    const node = this.#resolve(path, 'scandir');
    if (node.type !== 'directory') throw new FsError('ENOTDIR', 'scandir', this.#show(path));
    return [...node.entries.values()].map((e) => ({ name: e.name, type: e.node.type }));
  }

  /**
   * Creates a directory.
   *
   * @param path Components from the volume root.
   */
  async mkdir(path: readonly string[]): Promise<void> {
    this.#assertMounted('mkdir', path);
    if (path.length === 0) throw new FsError('EEXIST', 'mkdir', '/');
    const at = this.#locate(path, 'mkdir');
    if (at.entry !== undefined) throw new FsError('EEXIST', 'mkdir', this.#show(path));
    this.#assertWritable('mkdir', path);
    this.#charge(1, 'mkdir', this.#show(path));
    const node: MemoryDirectoryNode = {
      type: 'directory',
      ino: this.#nextIno++,
      entries: new Map(),
      times: this.#newTimes(),
    };
    at.parent.entries.set(at.key, { name: path[path.length - 1] as string, node });
    this.#touch(at.parent);
  }

  /**
   * Removes an empty directory.
   *
   * @param path Components from the volume root.
   */
  async rmdir(path: readonly string[]): Promise<void> {
    this.#assertMounted('rmdir', path);
    if (path.length === 0) throw new FsError('EBUSY', 'rmdir', '/');
    this.#assertWritable('rmdir', path);
    const at = this.#locate(path, 'rmdir');
    if (at.entry === undefined) throw new FsError('ENOENT', 'rmdir', this.#show(path));
    const node = at.entry.node;
    if (node.type !== 'directory') throw new FsError('ENOTDIR', 'rmdir', this.#show(path));
    if (node.entries.size > 0) throw new FsError('ENOTEMPTY', 'rmdir', this.#show(path));
    at.parent.entries.delete(at.key);
    this.#free(node);
    this.#touch(at.parent);
  }

  /**
   * Removes a file.
   *
   * @param path Components from the volume root.
   */
  async unlink(path: readonly string[]): Promise<void> {
    this.#assertMounted('unlink', path);
    if (path.length === 0) throw new FsError('EISDIR', 'unlink', '/');
    this.#assertWritable('unlink', path);
    const at = this.#locate(path, 'unlink');
    if (at.entry === undefined) throw new FsError('ENOENT', 'unlink', this.#show(path));
    if (at.entry.node.type === 'directory') throw new FsError('EISDIR', 'unlink', this.#show(path));
    at.parent.entries.delete(at.key);
    this.#free(at.entry.node);
    this.#touch(at.parent);
  }

  /**
   * Moves or renames, replacing a file or an empty directory at `to` (POSIX `rename(2)`).
   *
   * @param from Components of the node to move.
   * @param to Components of its new name.
   */
  async rename(from: readonly string[], to: readonly string[]): Promise<void> {
    this.#assertMounted('rename', from);
    if (from.length === 0 || to.length === 0) {
      throw new FsError('EBUSY', 'rename', this.#show(from.length === 0 ? from : to));
    }
    this.#assertWritable('rename', from);
    // Both parents are resolved before either last component is looked up (as Linux
    // renameat2 does), so a bad target parent wins over a missing source.
    const src = this.#locate(from, 'rename');
    const dst = this.#locate(to, 'rename');
    if (src.entry === undefined) throw new FsError('ENOENT', 'rename', this.#show(from));
    const moving = src.entry.node;
    if (dst.entry?.node === moving) {
      // Same node: a no-op, except that a case-only change renames on a case-insensitive volume.
      const newName = to[to.length - 1] as string;
      if (src.parent === dst.parent && src.entry.name !== newName) {
        src.entry.name = newName;
        this.#touch(src.parent);
      }
      return;
    }
    if (moving.type === 'directory' && dst.ancestors.includes(moving)) {
      throw new FsError('EINVAL', 'rename', this.#show(from));
    }
    const target = dst.entry?.node;
    // Linux renameat2: a target that is a directory above the source is ENOTEMPTY,
    // checked before the types of source and target.
    if (target?.type === 'directory' && src.ancestors.includes(target)) {
      throw new FsError('ENOTEMPTY', 'rename', this.#show(to));
    }
    if (target !== undefined) {
      if (moving.type === 'file' && target.type === 'directory') {
        throw new FsError('EISDIR', 'rename', this.#show(to));
      }
      if (moving.type === 'directory' && target.type === 'file') {
        throw new FsError('ENOTDIR', 'rename', this.#show(to));
      }
      if (target.type === 'directory' && target.entries.size > 0) {
        throw new FsError('ENOTEMPTY', 'rename', this.#show(to));
      }
      this.#free(target);
    }
    src.parent.entries.delete(src.key);
    dst.parent.entries.delete(dst.key);
    dst.parent.entries.set(dst.key, { name: to[to.length - 1] as string, node: moving });
    this.#touch(src.parent);
    this.#touch(dst.parent);
  }

  /**
   * Opens a file.
   *
   * @param path Components from the volume root.
   * @param options Access and creation flags.
   */
  async open(path: readonly string[], options: VolumeOpenOptions): Promise<VolumeFile> {
    this.#assertMounted('open', path);
    if (path.length === 0) throw new FsError('EISDIR', 'open', '/');
    const at = this.#locate(path, 'open');
    let node = at.entry?.node;
    if (node !== undefined && options.create && options.exclusive) {
      throw new FsError('EEXIST', 'open', this.#show(path));
    }
    if (node?.type === 'directory') throw new FsError('EISDIR', 'open', this.#show(path));
    if (node === undefined && !options.create)
      throw new FsError('ENOENT', 'open', this.#show(path));
    if (options.truncate && !options.write) {
      throw new FsError('EINVAL', 'open', this.#show(path), 'truncate needs write');
    }
    if (options.write || node === undefined) this.#assertWritable('open', path);
    if (node === undefined) {
      const file: MemoryFileNode = {
        type: 'file',
        ino: this.#nextIno++,
        bytes: new ChunkedBytes(),
        size: 0,
        times: this.#newTimes(),
      };
      at.parent.entries.set(at.key, { name: path[path.length - 1] as string, node: file });
      this.#touch(at.parent);
      node = file;
    } else if (options.truncate) {
      this.#host.resize(node, 0, 'open');
      node.times.mtimeMs = this.#clock.now();
    }
    this.#openFiles++;
    return new MemoryVolumeFile(node, this.#host, options.write ?? false);
  }

  /**
   * Sets access and modification times.
   *
   * @param path Components from the volume root.
   * @param atimeMs Access time, ms since the epoch.
   * @param mtimeMs Modification time, ms since the epoch.
   */
  async utimes(path: readonly string[], atimeMs: number, mtimeMs: number): Promise<void> {
    this.#assertMounted('utime', path);
    const node = this.#resolve(path, 'utime');
    this.#assertWritable('utime', path);
    node.times.atimeMs = atimeMs;
    node.times.mtimeMs = mtimeMs;
  }

  /** Space in blocks. */
  async statfs(): Promise<VolumeSpace> {
    this.#assertMounted('statfs', []);
    return {
      blockSize: this.#blockSize,
      totalBlocks: this.#totalBlocks,
      freeBlocks: this.#totalBlocks - this.#usedBlocks,
    };
  }

  /** Nothing to write through in memory. */
  async sync(): Promise<void> {
    this.#assertMounted('sync', []);
  }

  /** Detaches; `EBUSY` while files are open. */
  async unmount(): Promise<void> {
    this.#assertMounted('umount', []);
    if (this.#openFiles > 0) throw new FsError('EBUSY', 'umount', '/');
    this.#mounted = false;
  }
}

/**
 * Case folding unit by unit, the way the FAT volume folds long names (`foldFatName`):
 * each UTF-16 unit is upper-cased when its upper-case form is one unit, so `ß` does not
 * match `SS`.
 */
function foldCase(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const unit = name.charAt(i);
    const up = unit.toUpperCase();
    out += up.length === 1 ? up : unit;
  }
  return out;
}

function copyDirectory(from: MemoryDirectoryNode, to: MemoryDirectoryNode): void {
  for (const [key, entry] of from.entries) {
    const n = entry.node;
    const node: MemoryNode =
      n.type === 'file'
        ? { type: 'file', ino: n.ino, bytes: n.bytes.clone(), size: n.size, times: { ...n.times } }
        : { type: 'directory', ino: n.ino, entries: new Map(), times: { ...n.times } };
    if (n.type === 'directory' && node.type === 'directory') copyDirectory(n, node);
    to.entries.set(key, { name: entry.name, node });
  }
}
