/**
 * An open file on a {@link FatVolume}: a handle with its own permissions over state
 * shared by every handle of the same file.
 */
import { FsError } from '../fs-error.js';
import type { VolumeFile, VolumeStat } from '../volume.js';
import type { FatDirectory, FatDirRecord } from './fat-directory.js';

/**
 * What all handles of one open file share: where its entry is, its clusters, and
 * whether it was unlinked while open (its clusters are freed at the last close).
 *
 * @example
 * ```ts
 * import type { FatOpenFile } from '@libos/fs';
 * const bytes = (f: FatOpenFile) => f.record.size;
 * ```
 */
export interface FatOpenFile {
  /** The directory holding the entry. */
  parent: FatDirectory;
  /** The entry (size and first cluster live here). */
  record: FatDirRecord;
  /** The file's clusters, in order. */
  clusters: number[];
  /** Open handles. */
  handles: number;
  /** True once the entry was removed; the clusters go at the last close. */
  unlinked: boolean;
  /** Path for error messages. */
  path: string;
}

/**
 * The operations a {@link FatFile} asks its volume to do (under the volume's lock).
 *
 * @example
 * ```ts
 * import type { FatFileHost } from '@libos/fs';
 * const sync = (host: FatFileHost) => host.sync();
 * ```
 */
export interface FatFileHost {
  /** Reads from the file at `position`. */
  readFile(file: FatOpenFile, position: number, buffer: Uint8Array): Promise<number>;
  /** Writes to the file at `position`. */
  writeFile(file: FatOpenFile, position: number, data: Uint8Array): Promise<void>;
  /** Sets the file's size. */
  truncateFile(file: FatOpenFile, size: number): Promise<void>;
  /** The file's metadata. */
  statFile(file: FatOpenFile): Promise<VolumeStat>;
  /** Releases one handle. */
  closeFile(file: FatOpenFile): Promise<void>;
  /** Syncs the volume. */
  sync(): Promise<void>;
}

/**
 * One handle of an open FAT file.
 *
 * @example
 * ```ts
 * import { RamDisk, formatFat, mountFat } from '@libos/fs';
 * const clock = { now: () => 0 };
 * const disk = new RamDisk({ sectorCount: 8192 });
 * await formatFat(disk, { clock });
 * const vol = await mountFat(disk, { clock });
 * const f = await vol.open(['a.txt'], { write: true, create: true });
 * await f.write(0, new TextEncoder().encode('hi'));
 * await f.close();
 * ```
 */
export class FatFile implements VolumeFile {
  private closed = false;

  /**
   * @param host The volume.
   * @param file The shared state.
   * @param writable Whether this handle may write.
   */
  constructor(
    private readonly host: FatFileHost,
    private readonly file: FatOpenFile,
    private readonly writable: boolean,
  ) {}

  private check(syscall: string, write = false): void {
    if (this.closed || (write && !this.writable))
      throw new FsError('EBADF', syscall, this.file.path);
  }

  /** The file's size in bytes. */
  size(): number {
    return this.file.record.size;
  }

  /** Reads up to `buffer.length` bytes at `position`. */
  async read(position: number, buffer: Uint8Array): Promise<number> {
    this.check('read');
    return this.host.readFile(this.file, position, buffer);
  }

  /** Writes `data` at `position`. */
  async write(position: number, data: Uint8Array): Promise<void> {
    this.check('write', true);
    return this.host.writeFile(this.file, position, data);
  }

  /** Sets the size. */
  async truncate(size: number): Promise<void> {
    this.check('ftruncate', true);
    return this.host.truncateFile(this.file, size);
  }

  /** The file's metadata. */
  async stat(): Promise<VolumeStat> {
    this.check('fstat');
    return this.host.statFile(this.file);
  }

  /** Syncs the volume. */
  async sync(): Promise<void> {
    this.check('fsync');
    return this.host.sync();
  }

  /** Syncs and releases the handle. */
  async close(): Promise<void> {
    this.check('close');
    this.closed = true;
    await this.host.closeFile(this.file);
  }
}
