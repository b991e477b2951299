/**
 * `FatVolume`: a mounted FAT12/16/32 file system with VFAT long names, implementing the
 * {@link Volume} contract.
 *
 * Design:
 * - The whole FAT is held in memory (one copy); `sync` writes the changed sectors to
 *   every copy. Directory sectors and FSInfo go through a bounded write-back
 *   {@link SectorCache}; file data is written straight to the device. `sync` flushes
 *   in three steps — data, then FAT, then directory entries and FSInfo — so a power
 *   cut leaves at worst lost clusters. (When the cache overflows between syncs it
 *   writes its oldest dirty directory sector early; that one write may precede the FAT
 *   it depends on.)
 * - Directories are parsed once and kept as maps, so lookups cost O(1) in the size of
 *   the directory.
 * - Every call runs under one lock, in order.
 * - Damage found on disk rejects the call with an {@link FsCorruptionError} and turns the
 *   volume read-only (as Linux's `errors=remount-ro`): nothing is written further
 *   through a corrupted structure. Damage found at mount (cross-linked or out-of-range
 *   FAT entries) mounts read-only; {@link FatVolume.corruption} says why.
 * - A file unlinked (or replaced by rename) while open keeps its clusters until its last
 *   handle closes, as POSIX requires; its entry is gone at once.
 * - Access dates are updated on read (at most once per day per file, as FAT keeps only
 *   the date); directory timestamps are set when the directory is created.
 */
import type { BlockDevice } from '../block-device.js';
import { type CorruptionKind, FsCorruptionError, FsError } from '../fs-error.js';
import type {
  Volume,
  VolumeDirEntry,
  VolumeFile,
  VolumeOpenOptions,
  VolumeSpace,
  VolumeStat,
} from '../volume.js';
import type { WallClock } from '../wall-clock.js';
import { type BootSectorRepr, type FatType, parseBootSector } from './boot-sector.js';
import { walkChain } from './cluster-chain.js';
import { DIR_ENTRY_SIZE, DirEntry, ENTRY_FREE, FatAttr } from './dir-entry.js';
import { FatContext } from './fat-context.js';
import { FatDirectory, type FatDirRecord, MAX_DIR_SLOTS } from './fat-directory.js';
import { FatFile, type FatFileHost, type FatOpenFile } from './fat-file.js';
import { FatTable } from './fat-table.js';
import { decodeFatTimestamp, encodeFatTimestamp } from './fat-time.js';
import { FsInfo, parseFsInfo } from './fs-info.js';
import { LFN_LAST, LFN_UNITS_PER_ENTRY, LfnEntry, lfnChecksum } from './lfn-entry.js';
import { SectorCache } from './sector-cache.js';
import {
  checkFatName,
  exactShortName,
  foldFatName,
  generateShortName,
  shortNameKey,
} from './short-name.js';

/**
 * Options for {@link mountFat}.
 *
 * @example
 * ```ts
 * import type { MountFatOptions } from '@libos/fs';
 * const opts: MountFatOptions = { readOnly: true, clock: { now: () => Date.now() } };
 * ```
 */
export interface MountFatOptions {
  /** Mount read-only (also implied by a read-only device). */
  readonly readOnly?: boolean;
  /** Time source for timestamps. */
  readonly clock: WallClock;
  /** Directory/FSInfo sectors kept in the write-back cache (default 4096). */
  readonly cacheSectors?: number;
}

/** The 11-byte names of a directory's `.` and `..` entries (space-padded). */
const DOT_NAME = Uint8Array.of(0x2e, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);
const DOTDOT_NAME = Uint8Array.of(0x2e, 0x2e, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20);

/** Largest file FAT can describe: DIR_FileSize is 32 bits. */
const MAX_FILE_SIZE = 0xffffffff;
/** Bytes zeroed per request when a file grows over a gap. */
const ZERO_CHUNK = 256 * 1024;

function pathText(path: readonly string[]): string {
  return `/${path.join('/')}`;
}

function isDir(record: FatDirRecord): boolean {
  return (record.attr & FatAttr.DIRECTORY) !== 0;
}

/**
 * Mounts the FAT file system on `device`. Validates the boot sector (a bad one rejects
 * with {@link FsCorruptionError} `bad-boot-sector`), loads the FAT, counts free
 * clusters (the FSInfo count is only a hint and is corrected when wrong), and checks
 * the FAT for cross-linked and out-of-range entries (mounting read-only when found).
 *
 * @param device The device holding the volume.
 * @param options Read-only, clock and cache size.
 * @returns The mounted volume.
 * @throws {@link FsCorruptionError} `bad-boot-sector` when the device holds no usable FAT volume.
 * @example
 * ```ts
 * import { RamDisk, formatFat, mountFat } from '@libos/fs';
 * const clock = { now: () => Date.UTC(2024, 0, 1) };
 * const disk = new RamDisk({ sectorCount: 4096 });
 * await formatFat(disk, { clock });
 * const volume = await mountFat(disk, { clock });
 * await volume.mkdir(['docs']);
 * await volume.unmount();
 * ```
 */
export async function mountFat(device: BlockDevice, options: MountFatOptions): Promise<FatVolume> {
  const bad = (detail: string) => new FsCorruptionError('bad-boot-sector', detail, 'mount');
  const first = new Uint8Array(Math.max(512, device.sectorSize));
  await device.read(0, first);
  const geo = parseBootSector(first);
  if (typeof geo === 'string') throw bad(`sector 0: ${geo}`);
  const bps = geo.bytesPerSector;
  if (bps < device.sectorSize || bps % device.sectorSize !== 0) {
    throw bad(`sector 0: ${bps}-byte sectors on a ${device.sectorSize}-byte device`);
  }
  const ratio = bps / device.sectorSize;
  if (geo.totalSectors * ratio > device.sectorCount) {
    throw bad(
      `sector 0: volume of ${geo.totalSectors} sectors on a device of ${device.sectorCount / ratio}`,
    );
  }
  const fatBytes = new Uint8Array(geo.fatSectors * bps);
  const chunk = Math.max(1, Math.floor((1024 * 1024) / bps));
  for (let s = 0; s < geo.fatSectors; s += chunk) {
    const n = Math.min(chunk, geo.fatSectors - s);
    await device.read((geo.reservedSectors + s) * ratio, fatBytes.subarray(s * bps, (s + n) * bps));
  }
  const fat = new FatTable(geo.type, fatBytes, bps, geo.clusterCount);
  const cache = new SectorCache(device, bps, Math.max(16, options.cacheSectors ?? 4096));
  const ctx = new FatContext(device, geo, fat, cache);
  // One pass over the FAT: free clusters, and entries that point outside the volume or
  // at a cluster another entry already points at (two chains merging: a cross-link).
  let corruption: FsCorruptionError | undefined;
  const seen = new Uint8Array(fat.maxCluster + 1);
  let free = 0;
  for (let c = 2; c <= fat.maxCluster; c++) {
    const v = fat.get(c);
    const kind = fat.kind(v);
    if (kind === 'free') free++;
    else if (kind === 'reserved')
      corruption ??= new FsCorruptionError('out-of-range', `FAT entry ${c} = ${v}`, 'mount');
    else if (kind === 'next') {
      if (seen[v]) corruption ??= new FsCorruptionError('cross-link', `cluster ${v}`, 'mount');
      seen[v] = 1;
    }
  }
  let nextFree = 2;
  let fsInfoValid = false;
  if (geo.type === 32 && geo.fsInfoSector !== 0) {
    const info = parseFsInfo(await cache.read(geo.fsInfoSector));
    if (info !== 'bad-signature') {
      fsInfoValid = true;
      if (info.nextFree >= 2 && info.nextFree <= fat.maxCluster) nextFree = info.nextFree;
    }
  }
  let root: FatDirectory;
  if (geo.type === 32) {
    // A directory holds at most 65536 entries, so a longer root chain is damage too.
    const walk = walkChain(
      fat,
      geo.rootCluster,
      MAX_DIR_SLOTS / (ctx.clusterBytes / DIR_ENTRY_SIZE),
    );
    if (!walk.ok) {
      const kind = walk.problem === 'size-mismatch' ? 'chain-loop' : walk.problem;
      throw new FsCorruptionError(kind, `root directory cluster ${walk.at}`, 'mount');
    }
    root = new FatDirectory(ctx, geo.rootCluster, walk.clusters, true);
  } else {
    root = new FatDirectory(ctx, 0, [], true);
  }
  await root.load();
  const readOnly = options.readOnly === true || device.readOnly;
  return new FatVolume(
    ctx,
    options.clock,
    readOnly,
    root,
    free,
    nextFree,
    fsInfoValid,
    corruption,
    seen,
  );
}

/**
 * A mounted FAT volume. Create with {@link mountFat}.
 *
 * @example
 * ```ts
 * import { RamDisk, formatFat, mountFat } from '@libos/fs';
 * const clock = { now: () => 0 };
 * const disk = new RamDisk({ sectorCount: 4096 });
 * await formatFat(disk, { clock });
 * const vol = await mountFat(disk, { clock });
 * const f = await vol.open(['hello.txt'], { write: true, create: true });
 * await f.write(0, new TextEncoder().encode('hello'));
 * await f.close();
 * (await vol.readdir([])).map((e) => e.name); // ['hello.txt']
 * ```
 */
export class FatVolume implements Volume, FatFileHost {
  /** The first damage found, after which the volume is read-only. */
  corruption: FsCorruptionError | undefined;
  private readonly dirs = new Map<number, FatDirectory>();
  private readonly openFiles = new Map<FatDirRecord, FatOpenFile>();
  private readonly owners = new Map<number, FatDirRecord>();
  private tail: Promise<unknown> = Promise.resolve();
  private unmounted = false;
  private readonly scratch: Uint8Array;

  /**
   * Use {@link mountFat}.
   *
   * @param ctx Shared state.
   * @param clock Time source.
   * @param readOnlyMount Mounted read-only.
   * @param root The root directory, loaded.
   * @param freeCount Free clusters.
   * @param nextFree Where to look for a free cluster.
   * @param fsInfoValid Whether an FSInfo sector exists to keep up to date.
   * @param corruption Damage found at mount.
   * @param pointedTo Per cluster: 1 when some FAT entry points at it (a chain's first
   *   cluster must have none, else it is cross-linked into another chain).
   */
  constructor(
    private readonly ctx: FatContext,
    private readonly clock: WallClock,
    private readonly readOnlyMount: boolean,
    private readonly root: FatDirectory,
    private freeCount: number,
    private nextFree: number,
    private readonly fsInfoValid: boolean,
    corruption: FsCorruptionError | undefined,
    private readonly pointedTo: Uint8Array,
  ) {
    this.corruption = corruption;
    this.dirs.set(root.firstCluster, root);
    this.scratch = new Uint8Array(ctx.geo.bytesPerSector);
    this.noteOwners(root);
  }

  /** True when mutating calls reject with `EROFS` (mounted so, or damage was found). */
  get readOnly(): boolean {
    return this.readOnlyMount || this.corruption !== undefined;
  }

  /** FAT12, FAT16 or FAT32. */
  get type(): FatType {
    return this.ctx.geo.type;
  }

  /** The volume's geometry as read from the boot sector. */
  get geometry(): BootSectorRepr {
    return this.ctx.geo;
  }

  // ---- plumbing -------------------------------------------------------------------

  private run<T>(syscall: string, fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.unmounted) throw new FsError('EIO', syscall, undefined, 'volume unmounted');
      return fn();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  private writable(syscall: string, path?: string): void {
    if (this.readOnly) {
      throw new FsError(
        'EROFS',
        syscall,
        path,
        this.corruption ? 'volume found corrupt' : undefined,
      );
    }
  }

  private corrupt(
    kind: CorruptionKind,
    where: string,
    syscall: string,
    path?: string,
  ): FsCorruptionError {
    const e = new FsCorruptionError(kind, where, syscall, path);
    this.corruption ??= e;
    return e;
  }

  private noteOwners(dir: FatDirectory): void {
    for (const r of dir.records.values()) {
      if (r.firstCluster < 2) continue;
      const other = this.owners.get(r.firstCluster);
      if (other && other !== r)
        this.corrupt('cross-link', `cluster ${r.firstCluster} (${r.name})`, 'readdir');
      else this.owners.set(r.firstCluster, r);
    }
  }

  private checkName(name: string, syscall: string, path: string): void {
    const problem = checkFatName(name);
    if (problem === 'too-long') throw new FsError('ENAMETOOLONG', syscall, path);
    if (problem) throw new FsError('EINVAL', syscall, path, `name not allowed on FAT: ${problem}`);
  }

  private async loadDir(
    record: FatDirRecord,
    parent: FatDirectory,
    syscall: string,
    path: string,
  ): Promise<FatDirectory> {
    const cached = this.dirs.get(record.firstCluster);
    if (cached && record.firstCluster >= 2) return cached;
    if (record.firstCluster < 2 || record.firstCluster > this.ctx.fat.maxCluster) {
      throw this.corrupt(
        'out-of-range',
        `directory cluster ${record.firstCluster} of ${path}`,
        syscall,
        path,
      );
    }
    const walk = walkChain(
      this.ctx.fat,
      record.firstCluster,
      MAX_DIR_SLOTS / (this.ctx.clusterBytes / DIR_ENTRY_SIZE),
    );
    if (!walk.ok) {
      const kind = walk.problem === 'size-mismatch' ? 'chain-loop' : walk.problem;
      throw this.corrupt(kind, `cluster ${walk.at} of directory ${path}`, syscall, path);
    }
    this.checkHead(record.firstCluster, syscall, path);
    const dir = new FatDirectory(this.ctx, record.firstCluster, walk.clusters, false);
    const { dots, duplicates } = await dir.load();
    const parentCluster = parent.isRoot ? 0 : parent.firstCluster;
    const dotdotOk =
      dots.dotdot === parentCluster ||
      (parent.isRoot && this.type === 32 && dots.dotdot === parent.firstCluster);
    if (dots.dot !== record.firstCluster || !dotdotOk) {
      throw this.corrupt(
        'bad-dot-entry',
        `directory ${path} (. = ${dots.dot}, .. = ${dots.dotdot})`,
        syscall,
        path,
      );
    }
    if (duplicates.length > 0)
      this.corrupt(
        'bad-directory-entry',
        `duplicate name ${duplicates[0]!.name} in ${path}`,
        syscall,
        path,
      );
    this.dirs.set(record.firstCluster, dir);
    this.noteOwners(dir);
    return dir;
  }

  /** Resolves the directory at `path`, with the records walked through. */
  private async resolveDir(
    path: readonly string[],
    syscall: string,
    full: string,
  ): Promise<{ dir: FatDirectory; chain: FatDirRecord[] }> {
    let dir = this.root;
    const chain: FatDirRecord[] = [];
    for (let i = 0; i < path.length; i++) {
      const record = dir.records.get(foldFatName(path[i]!));
      if (!record) throw new FsError('ENOENT', syscall, full);
      if (!isDir(record)) throw new FsError('ENOTDIR', syscall, full);
      dir = await this.loadDir(record, dir, syscall, pathText(path.slice(0, i + 1)));
      chain.push(record);
    }
    return { dir, chain };
  }

  private async lookup(
    path: readonly string[],
    syscall: string,
  ): Promise<{ parent: FatDirectory; record: FatDirRecord | undefined; chain: FatDirRecord[] }> {
    const full = pathText(path);
    const { dir, chain } = await this.resolveDir(path.slice(0, -1), syscall, full);
    return { parent: dir, record: dir.records.get(foldFatName(path[path.length - 1]!)), chain };
  }

  private async entryAt(
    dir: FatDirectory,
    slot: number,
  ): Promise<{ buf: Uint8Array; sector: number; entry: DirEntry }> {
    const loc = dir.location(slot);
    const buf = await this.ctx.cache.read(loc.sector);
    return { buf, sector: loc.sector, entry: new DirEntry(buf, loc.offset) };
  }

  private async updateEntry(
    dir: FatDirectory,
    record: FatDirRecord,
    change: (e: DirEntry) => void,
  ): Promise<void> {
    const { buf, sector, entry } = await this.entryAt(dir, record.slot);
    change(entry);
    this.ctx.cache.markDirty(sector, buf);
  }

  private stampNew(e: DirEntry): void {
    const t = encodeFatTimestamp(this.clock.now());
    e.createTime = t.time;
    e.createDate = t.date;
    e.createTenths = t.tenths;
    e.writeTime = t.time;
    e.writeDate = t.date;
    e.accessDate = t.date;
  }

  private stampWrite(e: DirEntry): void {
    const t = encodeFatTimestamp(this.clock.now());
    e.writeTime = t.time;
    e.writeDate = t.date;
    e.accessDate = t.date;
    e.attr |= FatAttr.ARCHIVE;
  }

  // ---- clusters -------------------------------------------------------------------

  /** Sets a FAT entry, keeping {@link pointedTo} right. */
  private setFat(c: number, value: number): void {
    const fat = this.ctx.fat;
    const old = fat.get(c);
    if (fat.kind(old) === 'next') this.pointedTo[old] = 0;
    if (fat.kind(value) === 'next') this.pointedTo[value] = 1;
    fat.set(c, value);
  }

  /** Rejects a chain head that another chain runs into. */
  private checkHead(first: number, syscall: string, path: string): void {
    if (first >= 2 && first <= this.ctx.fat.maxCluster && this.pointedTo[first]) {
      throw this.corrupt(
        'cross-link',
        `cluster ${first}, first of ${path}, is inside another chain`,
        syscall,
        path,
      );
    }
  }

  /** Allocates and links `count` clusters after `last` (0: a new chain). ENOSPC changes nothing. */
  private allocate(count: number, last: number, syscall: string, path: string): number[] {
    if (count === 0) return [];
    if (count > this.freeCount) throw new FsError('ENOSPC', syscall, path);
    const fat = this.ctx.fat;
    const out: number[] = [];
    let c = this.nextFree;
    for (let scanned = 0; out.length < count; scanned++) {
      if (scanned > fat.clusterCount) throw new FsError('ENOSPC', syscall, path);
      if (c > fat.maxCluster || c < 2) c = 2;
      if (fat.get(c) === 0) out.push(c);
      c++;
    }
    for (let i = 0; i < out.length; i++) {
      this.setFat(out[i]!, i + 1 < out.length ? out[i + 1]! : fat.endOfChain);
    }
    if (last >= 2) this.setFat(last, out[0]!);
    this.freeCount -= count;
    this.nextFree = c > fat.maxCluster ? 2 : c;
    return out;
  }

  private release(clusters: readonly number[]): void {
    for (const c of clusters) {
      this.setFat(c, 0);
      this.ctx.cache.invalidate(this.ctx.clusterSector(c), this.ctx.geo.sectorsPerCluster);
    }
    this.freeCount += clusters.length;
  }

  private async zeroClusterViaCache(c: number): Promise<Uint8Array> {
    const first = this.ctx.clusterSector(c);
    let head: Uint8Array = new Uint8Array(0);
    for (let s = 0; s < this.ctx.geo.sectorsPerCluster; s++) {
      const buf = await this.ctx.cache.zero(first + s);
      if (s === 0) head = buf;
    }
    return head;
  }

  // ---- directory entries ---------------------------------------------------------

  /**
   * Creates the entries for `name` in `dir`: long-name entries when needed and the short
   * entry, whose bytes 11–31 come from `template` (attributes, times, cluster, size).
   */
  private async createEntry(
    dir: FatDirectory,
    name: string,
    template: Uint8Array,
    syscall: string,
    path: string,
  ): Promise<FatDirRecord> {
    const shortRaw = generateShortName(name, (k) => dir.shortNames.has(k));
    if (!shortRaw) throw new FsError('ENOSPC', syscall, path, 'no free short name');
    const exact = exactShortName(name);
    const needsLfn = !(exact && shortNameKey(exact) === shortNameKey(shortRaw));
    const lfnCount = needsLfn ? Math.ceil(name.length / LFN_UNITS_PER_ENTRY) : 0;
    const n = lfnCount + 1;
    let slot = dir.findFree(n);
    while (slot < 0) {
      const perCluster = this.ctx.clusterBytes / DIR_ENTRY_SIZE;
      if (dir.fixed || dir.slotCount + perCluster > MAX_DIR_SLOTS) {
        throw new FsError('ENOSPC', syscall, path, 'directory full');
      }
      const [added] = this.allocate(1, dir.clusters[dir.clusters.length - 1]!, syscall, path);
      await this.zeroClusterViaCache(added!);
      dir.appendClusters([added!]);
      slot = dir.findFree(n);
    }
    const sum = lfnChecksum(shortRaw);
    for (let i = 0; i < lfnCount; i++) {
      const ord = lfnCount - i;
      const { buf, sector, entry } = await this.entryAt(dir, slot + i);
      new LfnEntry(buf, entry.offset).write(
        ord | (i === 0 ? LFN_LAST : 0),
        sum,
        name,
        (ord - 1) * LFN_UNITS_PER_ENTRY,
      );
      this.ctx.cache.markDirty(sector, buf);
    }
    const short = await this.entryAt(dir, slot + lfnCount);
    short.buf.set(template.subarray(0, DIR_ENTRY_SIZE), short.entry.offset);
    short.entry.setRawName(shortRaw);
    short.entry.ntRes = 0;
    this.ctx.cache.markDirty(short.sector, short.buf);
    dir.take(slot, n);
    const record: FatDirRecord = {
      name,
      folded: foldFatName(name),
      shortKey: shortNameKey(shortRaw),
      slot: slot + lfnCount,
      lfnCount,
      attr: short.entry.attr,
      firstCluster: short.entry.firstCluster,
      size: short.entry.fileSize,
    };
    dir.add(record);
    return record;
  }

  private async removeEntry(dir: FatDirectory, record: FatDirRecord): Promise<void> {
    const first = record.slot - record.lfnCount;
    for (let s = first; s <= record.slot; s++) {
      const { buf, sector, entry } = await this.entryAt(dir, s);
      entry.marker = ENTRY_FREE;
      this.ctx.cache.markDirty(sector, buf);
    }
    dir.release(first, record.lfnCount + 1);
    dir.remove(record);
  }

  private template(attr: number, firstCluster: number): Uint8Array {
    const t = new Uint8Array(DIR_ENTRY_SIZE);
    const e = new DirEntry(t, 0);
    e.attr = attr;
    e.firstCluster = firstCluster;
    this.stampNew(e);
    return t;
  }

  /** Frees a removed file's clusters, or defers that to its last close. */
  private dropFile(record: FatDirRecord, syscall: string, path: string): void {
    const open = this.openFiles.get(record);
    if (open) {
      open.unlinked = true;
      this.openFiles.delete(record);
      return;
    }
    if (record.firstCluster < 2) return;
    const walk = walkChain(this.ctx.fat, record.firstCluster);
    if (!walk.ok) throw this.corrupt(walk.problem, `cluster ${walk.at} of ${path}`, syscall, path);
    this.owners.delete(record.firstCluster);
    this.release(walk.clusters);
  }

  // ---- Volume ---------------------------------------------------------------------

  /** Metadata of the node at `path`. */
  stat(path: readonly string[]): Promise<VolumeStat> {
    return this.run('stat', async () => {
      if (path.length === 0) return this.rootStat();
      const { parent, record } = await this.lookup(path, 'stat');
      if (!record) throw new FsError('ENOENT', 'stat', pathText(path));
      return this.statOf(parent, record, pathText(path), 'stat');
    });
  }

  private rootStat(): VolumeStat {
    const epoch = decodeFatTimestamp(0, 0);
    const blocks = this.root.fixed
      ? Math.ceil(this.root.byteSize / this.ctx.clusterBytes)
      : this.root.clusters.length;
    return {
      type: 'directory',
      size: this.root.byteSize,
      ino: 1,
      blockSize: this.ctx.clusterBytes,
      blocks,
      birthtimeMs: epoch,
      mtimeMs: epoch,
      atimeMs: epoch,
    };
  }

  private async statOf(
    parent: FatDirectory,
    record: FatDirRecord,
    path: string,
    syscall: string,
  ): Promise<VolumeStat> {
    const { entry } = await this.entryAt(parent, record.slot);
    const loc = parent.location(record.slot);
    const ino =
      loc.sector * (this.ctx.geo.bytesPerSector / DIR_ENTRY_SIZE) + loc.offset / DIR_ENTRY_SIZE + 2;
    const birthtimeMs = decodeFatTimestamp(entry.createDate, entry.createTime, entry.createTenths);
    const mtimeMs = decodeFatTimestamp(entry.writeDate, entry.writeTime);
    const atimeMs = decodeFatTimestamp(entry.accessDate, 0);
    if (isDir(record)) {
      const dir = await this.loadDir(record, parent, syscall, path);
      return {
        type: 'directory',
        size: dir.byteSize,
        ino,
        blockSize: this.ctx.clusterBytes,
        blocks: dir.clusters.length,
        birthtimeMs,
        mtimeMs,
        atimeMs,
      };
    }
    return {
      type: 'file',
      size: record.size,
      ino,
      blockSize: this.ctx.clusterBytes,
      blocks: Math.ceil(record.size / this.ctx.clusterBytes),
      birthtimeMs,
      mtimeMs,
      atimeMs,
    };
  }

  /** The entries of the directory at `path`, in on-disk order. */
  readdir(path: readonly string[]): Promise<VolumeDirEntry[]> {
    return this.run('scandir', async () => {
      const { dir } = await this.resolveDir(path, 'scandir', pathText(path));
      return [...dir.records.values()]
        .sort((a, b) => a.slot - b.slot)
        .map((r) => ({
          name: r.name,
          type: isDir(r) ? ('directory' as const) : ('file' as const),
        }));
    });
  }

  /** Creates a directory with `.` and `..`. */
  mkdir(path: readonly string[]): Promise<void> {
    return this.run('mkdir', async () => {
      const full = pathText(path);
      if (path.length === 0) throw new FsError('EEXIST', 'mkdir', full);
      const { parent, record: existing } = await this.lookup(path, 'mkdir');
      if (existing) throw new FsError('EEXIST', 'mkdir', full);
      this.writable('mkdir', full);
      const name = path[path.length - 1]!;
      this.checkName(name, 'mkdir', full);
      const [cluster] = this.allocate(1, 0, 'mkdir', full);
      const head = await this.zeroClusterViaCache(cluster!);
      // fatgen103 "FAT Directory Structure": "." names the directory itself, ".." its
      // parent (0 when the parent is the root, on FAT32 too).
      const dot = new DirEntry(head, 0);
      dot.setRawName(DOT_NAME);
      dot.attr = FatAttr.DIRECTORY;
      dot.firstCluster = cluster!;
      this.stampNew(dot);
      const dotdot = new DirEntry(head, DIR_ENTRY_SIZE);
      dotdot.setRawName(DOTDOT_NAME);
      dotdot.attr = FatAttr.DIRECTORY;
      dotdot.firstCluster = parent.isRoot ? 0 : parent.firstCluster;
      this.stampNew(dotdot);
      this.ctx.cache.markDirty(this.ctx.clusterSector(cluster!), head);
      let record: FatDirRecord;
      try {
        record = await this.createEntry(
          parent,
          name,
          this.template(FatAttr.DIRECTORY, cluster!),
          'mkdir',
          full,
        );
      } catch (e) {
        this.release([cluster!]);
        throw e;
      }
      const dir = new FatDirectory(this.ctx, cluster!, [cluster!], false);
      dir.take(0, 2);
      this.dirs.set(cluster!, dir);
      this.owners.set(cluster!, record);
    });
  }

  /** Removes an empty directory. */
  rmdir(path: readonly string[]): Promise<void> {
    return this.run('rmdir', async () => {
      const full = pathText(path);
      if (path.length === 0) throw new FsError('EBUSY', 'rmdir', full);
      const { parent, record } = await this.lookup(path, 'rmdir');
      if (!record) throw new FsError('ENOENT', 'rmdir', full);
      if (!isDir(record)) throw new FsError('ENOTDIR', 'rmdir', full);
      const dir = await this.loadDir(record, parent, 'rmdir', full);
      if (!dir.empty) throw new FsError('ENOTEMPTY', 'rmdir', full);
      this.writable('rmdir', full);
      await this.removeEntry(parent, record);
      this.dirs.delete(record.firstCluster);
      this.owners.delete(record.firstCluster);
      this.release(dir.clusters);
    });
  }

  /** Removes a file. */
  unlink(path: readonly string[]): Promise<void> {
    return this.run('unlink', async () => {
      const full = pathText(path);
      if (path.length === 0) throw new FsError('EISDIR', 'unlink', full);
      const { parent, record } = await this.lookup(path, 'unlink');
      if (!record) throw new FsError('ENOENT', 'unlink', full);
      if (isDir(record)) throw new FsError('EISDIR', 'unlink', full);
      this.writable('unlink', full);
      await this.removeEntry(parent, record);
      this.dropFile(record, 'unlink', full);
    });
  }

  /** Moves or renames a file or directory (POSIX `rename(2)` semantics). */
  rename(from: readonly string[], to: readonly string[]): Promise<void> {
    return this.run('rename', async () => {
      const full = `${pathText(from)} -> ${pathText(to)}`;
      if (from.length === 0 || to.length === 0) throw new FsError('EBUSY', 'rename', full);
      // Both parents are resolved before the source entry is looked at (as Linux does).
      const src = await this.lookup(from, 'rename');
      const dst = await this.lookup(to, 'rename');
      if (!src.record) throw new FsError('ENOENT', 'rename', pathText(from));
      const record = src.record;
      const srcIsDir = isDir(record);
      if (srcIsDir && dst.chain.includes(record)) throw new FsError('EINVAL', 'rename', full);
      const toName = to[to.length - 1]!;
      let victim = dst.record;
      if (victim === record) {
        if (record.name === toName) return;
        victim = undefined;
      }
      // Linux renameat2: a target that is a directory above the source is ENOTEMPTY,
      // checked before the types of source and target.
      if (victim && src.chain.includes(victim)) throw new FsError('ENOTEMPTY', 'rename', full);
      let victimDir: FatDirectory | undefined;
      if (victim) {
        if (isDir(victim)) {
          if (!srcIsDir) throw new FsError('EISDIR', 'rename', full);
          victimDir = await this.loadDir(victim, dst.parent, 'rename', pathText(to));
          if (!victimDir.empty) throw new FsError('ENOTEMPTY', 'rename', full);
        } else if (srcIsDir) {
          throw new FsError('ENOTDIR', 'rename', full);
        }
      }
      this.writable('rename', full);
      this.checkName(toName, 'rename', pathText(to));
      let movedDir: FatDirectory | undefined;
      if (srcIsDir && src.parent !== dst.parent) {
        movedDir = await this.loadDir(record, src.parent, 'rename', pathText(from));
      }
      const old = await this.entryAt(src.parent, record.slot);
      const template = old.buf.slice(old.entry.offset, old.entry.offset + DIR_ENTRY_SIZE);
      // Make the name free in the destination's name map while the new entry is made,
      // so a failure (ENOSPC) leaves everything as it was.
      const hidden = dst.parent.records.get(foldFatName(toName));
      if (hidden) dst.parent.records.delete(hidden.folded);
      let moved: FatDirRecord;
      try {
        moved = await this.createEntry(dst.parent, toName, template, 'rename', pathText(to));
      } catch (e) {
        if (hidden) dst.parent.records.set(hidden.folded, hidden);
        throw e;
      }
      await this.removeEntry(src.parent, record);
      if (victim) {
        await this.removeEntry(dst.parent, victim);
        dst.parent.add(moved);
        if (victimDir) {
          this.dirs.delete(victim.firstCluster);
          this.owners.delete(victim.firstCluster);
          this.release(victimDir.clusters);
        } else {
          this.dropFile(victim, 'rename', pathText(to));
        }
      }
      if (record.firstCluster >= 2) this.owners.set(record.firstCluster, moved);
      const open = this.openFiles.get(record);
      if (open) {
        this.openFiles.delete(record);
        open.parent = dst.parent;
        open.record = moved;
        open.path = pathText(to);
        this.openFiles.set(moved, open);
      }
      if (movedDir) {
        const { buf, sector, entry } = await this.entryAt(movedDir, 1);
        entry.firstCluster = dst.parent.isRoot ? 0 : dst.parent.firstCluster;
        this.ctx.cache.markDirty(sector, buf);
      }
    });
  }

  /** Opens (and maybe creates or truncates) the file at `path`. */
  open(path: readonly string[], options: VolumeOpenOptions): Promise<VolumeFile> {
    return this.run('open', async () => {
      const full = pathText(path);
      if (path.length === 0) throw new FsError('EISDIR', 'open', full);
      const write = options.write === true;
      if (write) this.writable('open', full);
      const { parent } = await this.lookup(path, 'open');
      let record = parent.records.get(foldFatName(path[path.length - 1]!));
      if (record) {
        if (isDir(record)) throw new FsError('EISDIR', 'open', full);
        if (options.create && options.exclusive) throw new FsError('EEXIST', 'open', full);
      } else {
        if (!options.create) throw new FsError('ENOENT', 'open', full);
        this.writable('open', full);
        const name = path[path.length - 1]!;
        this.checkName(name, 'open', full);
        record = await this.createEntry(
          parent,
          name,
          this.template(FatAttr.ARCHIVE, 0),
          'open',
          full,
        );
      }
      let file = this.openFiles.get(record);
      if (!file) {
        const clusters = this.fileClusters(record, full);
        file = { parent, record, clusters, handles: 0, unlinked: false, path: full };
        this.openFiles.set(record, file);
      }
      file.handles++;
      if (write && options.truncate && record.size > 0) {
        try {
          await this.truncateLocked(file, 0, 'open');
        } catch (e) {
          await this.closeLocked(file);
          throw e;
        }
      }
      return new FatFile(this, file, write);
    });
  }

  private fileClusters(record: FatDirRecord, path: string): number[] {
    const expected = Math.ceil(record.size / this.ctx.clusterBytes);
    if (record.firstCluster === 0) {
      if (expected > 0)
        throw this.corrupt(
          'size-mismatch',
          `${path}: ${record.size} bytes, no clusters`,
          'open',
          path,
        );
      return [];
    }
    let walk = walkChain(this.ctx.fat, record.firstCluster, expected);
    // A chain longer than the size: walk it all to tell a loop from a long chain.
    if (!walk.ok && walk.problem === 'size-mismatch')
      walk = walkChain(this.ctx.fat, record.firstCluster);
    if (!walk.ok) throw this.corrupt(walk.problem, `cluster ${walk.at} of ${path}`, 'open', path);
    this.checkHead(record.firstCluster, 'open', path);
    if (walk.clusters.length !== expected) {
      throw this.corrupt(
        'size-mismatch',
        `${path}: ${record.size} bytes, chain of ${walk.clusters.length} clusters`,
        'open',
        path,
      );
    }
    return walk.clusters;
  }

  /** Sets access and modification times. */
  utimes(path: readonly string[], atimeMs: number, mtimeMs: number): Promise<void> {
    return this.run('utime', async () => {
      const full = pathText(path);
      if (path.length === 0) {
        this.writable('utime', full);
        return;
      }
      const { parent, record } = await this.lookup(path, 'utime');
      if (!record) throw new FsError('ENOENT', 'utime', full);
      this.writable('utime', full);
      await this.updateEntry(parent, record, (e) => {
        const a = encodeFatTimestamp(atimeMs);
        const m = encodeFatTimestamp(mtimeMs);
        e.accessDate = a.date;
        e.writeDate = m.date;
        e.writeTime = m.time;
      });
    });
  }

  /** Cluster size, data clusters and free clusters. */
  statfs(): Promise<VolumeSpace> {
    return this.run('statfs', async () => ({
      blockSize: this.ctx.clusterBytes,
      totalBlocks: this.ctx.geo.clusterCount,
      freeBlocks: this.freeCount,
    }));
  }

  /** Writes the FAT (every copy), directory sectors and FSInfo, then flushes the device. */
  sync(): Promise<void> {
    return this.run('sync', () => this.syncLocked());
  }

  private async syncLocked(): Promise<void> {
    if (this.readOnlyMount) return;
    const { geo, fat } = this.ctx;
    const bps = geo.bytesPerSector;
    const dirty = fat.takeDirty();
    // Ordering on a device that may reorder unflushed writes: file data (already
    // written) is made durable before the FAT that allocates it, and the FAT before the
    // directory entries that point into it — so a power cut leaves at worst lost
    // clusters, never an entry naming unallocated or stale clusters.
    const metadata = dirty.length > 0 || this.ctx.cache.dirtyCount > 0;
    if (metadata) await this.ctx.device.flush();
    let i = 0;
    while (i < dirty.length) {
      let j = i + 1;
      while (j < dirty.length && dirty[j] === dirty[j - 1]! + 1) j++;
      const first = dirty[i]!;
      const bytes = fat.bytes.subarray(first * bps, (dirty[j - 1]! + 1) * bps);
      for (let copy = 0; copy < geo.numFats; copy++) {
        await this.ctx.writeSectors(geo.reservedSectors + copy * geo.fatSectors + first, bytes);
      }
      i = j;
    }
    if (dirty.length > 0) await this.ctx.device.flush();
    if (this.fsInfoValid && metadata) {
      const buf = await this.ctx.cache.read(geo.fsInfoSector);
      const info = new FsInfo(buf);
      if (info.freeCount !== this.freeCount || info.nextFree !== this.nextFree) {
        info.freeCount = this.freeCount;
        info.nextFree = this.nextFree;
        this.ctx.cache.markDirty(geo.fsInfoSector, buf);
      }
    }
    await this.ctx.cache.flush();
    await this.ctx.device.flush();
  }

  /** Syncs and detaches. Rejects `EBUSY` while files are open. */
  unmount(): Promise<void> {
    return this.run('umount', async () => {
      for (const f of this.openFiles.values())
        if (f.handles > 0) throw new FsError('EBUSY', 'umount');
      await this.syncLocked();
      this.unmounted = true;
    });
  }

  // ---- FatFileHost ----------------------------------------------------------------

  /** Reads from an open file (see {@link FatFile.read}). */
  readFile(file: FatOpenFile, position: number, buffer: Uint8Array): Promise<number> {
    return this.run('read', async () => {
      if (!Number.isSafeInteger(position) || position < 0)
        throw new FsError('EINVAL', 'read', file.path);
      const size = file.record.size;
      if (position >= size || buffer.length === 0) return 0;
      const n = Math.min(buffer.length, size - position);
      await this.transfer(file.clusters, position, buffer.subarray(0, n), 'read');
      if (!this.readOnly && !file.unlinked) {
        const today = encodeFatTimestamp(this.clock.now()).date;
        const { entry } = await this.entryAt(file.parent, file.record.slot);
        if (entry.accessDate !== today)
          await this.updateEntry(file.parent, file.record, (e) => (e.accessDate = today));
      }
      return n;
    });
  }

  /** Writes to an open file (see {@link FatFile.write}). */
  writeFile(file: FatOpenFile, position: number, data: Uint8Array): Promise<void> {
    return this.run('write', async () => {
      if (!Number.isSafeInteger(position) || position < 0)
        throw new FsError('EINVAL', 'write', file.path);
      this.writable('write', file.path);
      if (data.length === 0) return;
      const end = position + data.length;
      if (end > MAX_FILE_SIZE) throw new FsError('EFBIG', 'write', file.path);
      const old = file.record.size;
      this.grow(file, Math.max(old, end), 'write');
      if (position > old) await this.zeroRange(file.clusters, old, position);
      await this.transfer(file.clusters, position, data, 'write');
      if (end > old) file.record.size = end;
      await this.writeBack(file);
    });
  }

  /** Sets an open file's size (see {@link FatFile.truncate}). */
  truncateFile(file: FatOpenFile, size: number): Promise<void> {
    return this.run('ftruncate', () => this.truncateLocked(file, size, 'ftruncate'));
  }

  private async truncateLocked(file: FatOpenFile, size: number, syscall: string): Promise<void> {
    if (!Number.isSafeInteger(size) || size < 0) throw new FsError('EINVAL', syscall, file.path);
    if (size > MAX_FILE_SIZE) throw new FsError('EFBIG', syscall, file.path);
    this.writable(syscall, file.path);
    const old = file.record.size;
    if (size < old) {
      const keep = Math.ceil(size / this.ctx.clusterBytes);
      const dropped = file.clusters.splice(keep);
      if (keep > 0) this.setFat(file.clusters[keep - 1]!, this.ctx.fat.endOfChain);
      else {
        this.owners.delete(file.record.firstCluster);
        file.record.firstCluster = 0;
      }
      this.release(dropped);
    } else if (size > old) {
      this.grow(file, size, syscall);
      await this.zeroRange(file.clusters, old, size);
    }
    file.record.size = size;
    await this.writeBack(file);
  }

  /** Makes sure the file has clusters for `bytes` bytes (ENOSPC changes nothing). */
  private grow(file: FatOpenFile, bytes: number, syscall: string): void {
    const need = Math.ceil(bytes / this.ctx.clusterBytes);
    const have = file.clusters.length;
    if (need <= have) return;
    const added = this.allocate(
      need - have,
      have > 0 ? file.clusters[have - 1]! : 0,
      syscall,
      file.path,
    );
    if (have === 0) {
      file.record.firstCluster = added[0]!;
      this.owners.set(added[0]!, file.record);
    }
    for (const c of added) file.clusters.push(c);
  }

  private async writeBack(file: FatOpenFile): Promise<void> {
    if (file.unlinked) return;
    const { record } = file;
    await this.updateEntry(file.parent, record, (e) => {
      e.fileSize = record.size;
      e.firstCluster = record.firstCluster;
      this.stampWrite(e);
    });
  }

  private async zeroRange(clusters: readonly number[], from: number, to: number): Promise<void> {
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK, to - from));
    for (let p = from; p < to; p += zeros.length) {
      await this.transfer(clusters, p, zeros.subarray(0, Math.min(zeros.length, to - p)), 'write');
    }
  }

  /** Moves bytes between `data` and the file bytes at `position` (clusters must cover them). */
  private async transfer(
    clusters: readonly number[],
    position: number,
    data: Uint8Array,
    mode: 'read' | 'write',
  ): Promise<void> {
    const { geo } = this.ctx;
    const bps = geo.bytesPerSector;
    const spc = geo.sectorsPerCluster;
    const cb = this.ctx.clusterBytes;
    const len = data.length;
    let done = 0;
    while (done < len) {
      const off = position + done;
      const ci = Math.floor(off / cb);
      const co = off % cb;
      const sector = this.ctx.clusterSector(clusters[ci]!) + Math.floor(co / bps);
      const so = co % bps;
      if (so === 0 && len - done >= bps) {
        const wanted = Math.floor((len - done) / bps);
        let available = spc - Math.floor(co / bps);
        let k = ci;
        while (
          available < wanted &&
          k + 1 < clusters.length &&
          clusters[k + 1] === clusters[k]! + 1
        ) {
          available += spc;
          k++;
        }
        const count = Math.min(wanted, available, 2048);
        const part = data.subarray(done, done + count * bps);
        if (mode === 'read') await this.ctx.readSectors(sector, part);
        else await this.ctx.writeSectors(sector, part);
        done += count * bps;
      } else {
        const m = Math.min(bps - so, len - done);
        const s = this.scratch;
        await this.ctx.readSectors(sector, s);
        if (mode === 'read') data.set(s.subarray(so, so + m), done);
        else {
          s.set(data.subarray(done, done + m), so);
          await this.ctx.writeSectors(sector, s);
        }
        done += m;
      }
    }
  }

  /** Metadata of an open file. */
  statFile(file: FatOpenFile): Promise<VolumeStat> {
    return this.run('fstat', async () => {
      if (file.unlinked) {
        const t = decodeFatTimestamp(0, 0);
        return {
          type: 'file',
          size: file.record.size,
          ino: 0,
          blockSize: this.ctx.clusterBytes,
          blocks: file.clusters.length,
          birthtimeMs: t,
          mtimeMs: t,
          atimeMs: t,
        };
      }
      return this.statOf(file.parent, file.record, file.path, 'fstat');
    });
  }

  /** Releases one handle; the last close of an unlinked file frees its clusters. */
  closeFile(file: FatOpenFile): Promise<void> {
    return this.run('close', async () => {
      await this.closeLocked(file);
      await this.syncLocked();
    });
  }

  private async closeLocked(file: FatOpenFile): Promise<void> {
    file.handles--;
    if (file.handles > 0) return;
    if (this.openFiles.get(file.record) === file) this.openFiles.delete(file.record);
    if (file.unlinked && file.clusters.length > 0 && !this.readOnly) {
      if (this.owners.get(file.clusters[0]!) === file.record) this.owners.delete(file.clusters[0]!);
      this.release(file.clusters);
      file.clusters = [];
    }
  }
}
