/**
 * One FAT directory held in memory while mounted: its clusters (or the fixed FAT12/16
 * root region), which 32-byte slots are in use, and its entries by case-folded name
 * and by short name. Loading parses long-name sets (fatgen103 "FAT Long Directory
 * Entries"): a set is used only when its ordinals run down to 1 and its checksum
 * matches the short entry after it; otherwise the short name is shown.
 */
import { DIR_ENTRY_SIZE, DirEntry, ENTRY_END, ENTRY_FREE, FatAttr } from './dir-entry.js';
import type { FatContext } from './fat-context.js';
import { LFN_LAST, LFN_UNITS_PER_ENTRY, LfnEntry, lfnChecksum } from './lfn-entry.js';
import { displayShortName, foldFatName, shortNameKey } from './short-name.js';

/**
 * One file or directory entry of a {@link FatDirectory}.
 *
 * @example
 * ```ts
 * import type { FatDirRecord } from '@libos/fs';
 * const isDir = (r: FatDirRecord) => (r.attr & 0x10) !== 0;
 * ```
 */
export interface FatDirRecord {
  /** The name shown: the long name, or the short name when there is none. */
  name: string;
  /** `name` case-folded, the key lookups use. */
  folded: string;
  /** The 11 bytes of the short name as a latin-1 string. */
  shortKey: string;
  /** Slot index of the short entry. */
  slot: number;
  /** Long-name slots stored just before the short entry. */
  lfnCount: number;
  /** DIR_Attr. */
  attr: number;
  /** First cluster (0 for an empty file). */
  firstCluster: number;
  /** DIR_FileSize (0 for directories). */
  size: number;
}

/**
 * Where a slot lives: file system sector and byte offset inside it.
 *
 * @example
 * ```ts
 * import type { SlotLocation } from '@libos/fs';
 * const at = (l: SlotLocation) => `${l.sector}+${l.offset}`;
 * ```
 */
export interface SlotLocation {
  /** File system sector. */
  readonly sector: number;
  /** Byte offset in the sector. */
  readonly offset: number;
}

/**
 * What the `.` and `..` entries of a loaded subdirectory say.
 *
 * @example
 * ```ts
 * import type { DotEntries } from '@libos/fs';
 * const parentOf = (d: DotEntries) => d.dotdot;
 * ```
 */
export interface DotEntries {
  /** First cluster in `.` (undefined when slot 0 is not `.`). */
  readonly dot: number | undefined;
  /** First cluster in `..` (undefined when slot 1 is not `..`). */
  readonly dotdot: number | undefined;
}

/**
 * What {@link FatDirectory.load} found besides the entries.
 *
 * @example
 * ```ts
 * import type { DirectoryLoad } from '@libos/fs';
 * const clean = (l: DirectoryLoad) => l.duplicates.length === 0;
 * ```
 */
export interface DirectoryLoad {
  /** What `.` and `..` say. */
  readonly dots: DotEntries;
  /** Entries whose name repeats an earlier one (damage; the first is kept). */
  readonly duplicates: FatDirRecord[];
}

/** Largest directory: 65536 entries (fatgen103 "FAT Directory Structure"). */
export const MAX_DIR_SLOTS = 65536;

/**
 * A loaded directory.
 *
 * @example
 * ```ts
 * import type { FatDirectory } from '@libos/fs';
 * const names = (d: FatDirectory) => [...d.records.values()].map((r) => r.name);
 * ```
 */
export class FatDirectory {
  /** Entries by case-folded name. */
  readonly records = new Map<string, FatDirRecord>();
  /** Entries by short name (for numeric-tail collision checks). */
  readonly shortNames = new Map<string, FatDirRecord>();
  /** Per slot: 1 when in use. */
  used: Uint8Array;
  /** No free run starts below this slot. */
  hint = 0;

  /**
   * @param ctx The volume's shared state.
   * @param firstCluster First cluster (0 for the fixed FAT12/16 root).
   * @param clusters The directory's clusters (empty for the fixed root).
   * @param isRoot Whether this is the root directory.
   */
  constructor(
    readonly ctx: FatContext,
    readonly firstCluster: number,
    public clusters: number[],
    readonly isRoot: boolean,
  ) {
    this.used = new Uint8Array(this.slotCount);
  }

  /** Whether this is the fixed-size FAT12/16 root region. */
  get fixed(): boolean {
    return this.clusters.length === 0;
  }

  /** Slots the directory has room for. */
  get slotCount(): number {
    return this.fixed
      ? this.ctx.geo.rootEntries
      : (this.clusters.length * this.ctx.clusterBytes) / DIR_ENTRY_SIZE;
  }

  /** Bytes the directory occupies on disk. */
  get byteSize(): number {
    return this.slotCount * DIR_ENTRY_SIZE;
  }

  /** Sector and offset of slot `slot`. */
  location(slot: number): SlotLocation {
    const byte = slot * DIR_ENTRY_SIZE;
    const bps = this.ctx.geo.bytesPerSector;
    if (this.fixed)
      return { sector: this.ctx.geo.rootDirSector + Math.floor(byte / bps), offset: byte % bps };
    const cb = this.ctx.clusterBytes;
    const cluster = this.clusters[Math.floor(byte / cb)]!;
    const within = byte % cb;
    return {
      sector: this.ctx.clusterSector(cluster) + Math.floor(within / bps),
      offset: within % bps,
    };
  }

  /** Reads every slot, building the record maps; returns what `.` and `..` say. */
  async load(): Promise<DirectoryLoad> {
    const slots = this.slotCount;
    this.used = new Uint8Array(slots);
    this.records.clear();
    this.shortNames.clear();
    const duplicates: FatDirRecord[] = [];
    let dot: number | undefined;
    let dotdot: number | undefined;
    let units: number[] = [];
    let expect = 0;
    let sum = -1;
    let lfnStart = -1;
    let sectorNo = -1;
    let sector: Uint8Array = new Uint8Array(0);
    for (let slot = 0; slot < slots; slot++) {
      const loc = this.location(slot);
      if (loc.sector !== sectorNo) {
        sectorNo = loc.sector;
        sector = await this.ctx.cache.read(loc.sector);
      }
      const e = new DirEntry(sector, loc.offset);
      const marker = e.marker;
      if (marker === ENTRY_END) break;
      if (marker === ENTRY_FREE) {
        expect = 0;
        continue;
      }
      if (e.isLongName) {
        const l = new LfnEntry(sector, loc.offset);
        const ord = l.ordinal;
        if (ord & LFN_LAST) {
          const count = ord & 0x1f;
          units = new Array<number>(count * LFN_UNITS_PER_ENTRY).fill(0xffff);
          expect = count;
          sum = l.checksum;
          lfnStart = slot;
        } else if (expect === 0 || ord !== expect || l.checksum !== sum) {
          expect = 0;
        }
        if (expect > 0 && (ord & 0x1f) === expect && expect >= 1) {
          for (let i = 0; i < LFN_UNITS_PER_ENTRY; i++)
            units[(expect - 1) * LFN_UNITS_PER_ENTRY + i] = l.unit(i);
          expect--;
          if (expect === 0) expect = -1; // complete: waiting for the short entry
        } else {
          expect = 0;
        }
        // Long entries that end up orphaned stay "free" so the slots can be reused.
        continue;
      }
      this.used[slot] = 1;
      const raw = e.rawName;
      const key = shortNameKey(raw);
      if ((e.attr & FatAttr.VOLUME_ID) !== 0) {
        expect = 0;
        continue;
      }
      if (key === '.          ') {
        if (slot === 0) dot = e.firstCluster;
        expect = 0;
        continue;
      }
      if (key === '..         ') {
        if (slot === 1) dotdot = e.firstCluster;
        expect = 0;
        continue;
      }
      let name: string | undefined;
      let lfnCount = 0;
      if (expect === -1 && lfnChecksum(raw) === sum) {
        let end = units.indexOf(0);
        if (end < 0) end = units.length;
        name = String.fromCharCode(...units.slice(0, end));
        lfnCount = slot - lfnStart;
        for (let s = lfnStart; s < slot; s++) this.used[s] = 1;
      }
      expect = 0;
      if (name === undefined || name.length === 0) {
        name = displayShortName(raw, e.ntRes);
        lfnCount = 0;
      }
      const record: FatDirRecord = {
        name,
        folded: foldFatName(name),
        shortKey: key,
        slot,
        lfnCount,
        attr: e.attr,
        firstCluster: e.firstCluster,
        size: e.fileSize,
      };
      if (this.records.has(record.folded)) duplicates.push(record);
      else this.records.set(record.folded, record);
      this.shortNames.set(key, record);
    }
    this.hint = 0;
    return { dots: { dot, dotdot }, duplicates };
  }

  /** The first run of `n` free slots, or -1. */
  findFree(n: number): number {
    const slots = this.slotCount;
    let run = 0;
    for (let s = this.hint; s < slots; s++) {
      if (this.used[s]) {
        run = 0;
        continue;
      }
      run++;
      if (run === n) return s - n + 1;
    }
    return -1;
  }

  /** Adds freshly allocated (zeroed) clusters to the end of the directory. */
  appendClusters(added: number[]): void {
    const old = this.used;
    this.clusters = this.clusters.concat(added);
    this.used = new Uint8Array(this.slotCount);
    this.used.set(old);
  }

  /** Marks slots used (after writing entries there). */
  take(first: number, n: number): void {
    this.used.fill(1, first, first + n);
    if (first <= this.hint) this.hint = first + n;
  }

  /** Marks slots free (after writing 0xE5 there). */
  release(first: number, n: number): void {
    this.used.fill(0, first, first + n);
    if (first < this.hint) this.hint = first;
  }

  /** Adds a record to the maps. */
  add(record: FatDirRecord): void {
    this.records.set(record.folded, record);
    this.shortNames.set(record.shortKey, record);
  }

  /** Removes a record from the maps. */
  remove(record: FatDirRecord): void {
    if (this.records.get(record.folded) === record) this.records.delete(record.folded);
    if (this.shortNames.get(record.shortKey) === record) this.shortNames.delete(record.shortKey);
  }

  /** True when the directory has no entries besides `.` and `..`. */
  get empty(): boolean {
    return this.records.size === 0;
  }
}
