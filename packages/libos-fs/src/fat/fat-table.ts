/**
 * The file allocation table held in memory: entry access for 12-, 16- and 32-bit FATs
 * over the raw bytes of one copy, with dirty-sector tracking so `sync` writes only what
 * changed (to every copy). FAT12 entries are 1.5 bytes and may straddle two sectors; the
 * table is one contiguous buffer, so both halves are updated together and both sectors
 * marked dirty.
 */
import type { FatType } from './boot-sector.js';

/**
 * What a FAT entry value means (fatgen103 "FAT Data Structure").
 *
 * @example
 * ```ts
 * import type { FatEntryKind } from '@libos/fs';
 * const ends = (k: FatEntryKind) => k === 'end';
 * ```
 */
export type FatEntryKind = 'free' | 'next' | 'bad' | 'end' | 'reserved';

/**
 * One copy of the FAT, in memory.
 *
 * @example
 * ```ts
 * import { FatTable } from '@libos/fs';
 * const fat = new FatTable(12, new Uint8Array(512 * 9), 512, 2847);
 * fat.set(2, fat.endOfChain);
 * fat.get(2); // 0xfff
 * ```
 */
export class FatTable {
  /** Value written to end a chain (the largest end-of-chain mark). */
  readonly endOfChain: number;
  /** Value marking a bad cluster. */
  readonly badCluster: number;
  /** Highest valid cluster number (clusterCount + 1). */
  readonly maxCluster: number;
  private readonly dirty = new Set<number>();
  private readonly view32: DataView;

  /**
   * @param type FAT12, FAT16 or FAT32.
   * @param bytes The raw bytes of one FAT copy (fatSectors × bytesPerSector).
   * @param bytesPerSector Sector size, for dirty tracking.
   * @param clusterCount Data clusters on the volume.
   */
  constructor(
    readonly type: FatType,
    readonly bytes: Uint8Array,
    readonly bytesPerSector: number,
    readonly clusterCount: number,
  ) {
    this.endOfChain = type === 12 ? 0xfff : type === 16 ? 0xffff : 0x0fffffff;
    this.badCluster = type === 12 ? 0xff7 : type === 16 ? 0xfff7 : 0x0ffffff7;
    this.maxCluster = clusterCount + 1;
    this.view32 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The entry for cluster `n` (FAT32: the low 28 bits). */
  get(n: number): number {
    const b = this.bytes;
    if (this.type === 12) {
      const at = n + (n >> 1);
      const v = b[at]! | (b[at + 1]! << 8);
      return n & 1 ? v >> 4 : v & 0xfff;
    }
    if (this.type === 16) return b[n * 2]! | (b[n * 2 + 1]! << 8);
    return this.view32.getUint32(n * 4, true) & 0x0fffffff;
  }

  /** Sets the entry for cluster `n` (FAT32 keeps the high 4 bits, fatgen103). */
  set(n: number, value: number): void {
    const b = this.bytes;
    if (this.type === 12) {
      const at = n + (n >> 1);
      if (n & 1) {
        b[at] = (b[at]! & 0x0f) | ((value << 4) & 0xf0);
        b[at + 1] = (value >> 4) & 0xff;
      } else {
        b[at] = value & 0xff;
        b[at + 1] = (b[at + 1]! & 0xf0) | ((value >> 8) & 0x0f);
      }
      this.mark(at, 2);
    } else if (this.type === 16) {
      b[n * 2] = value & 0xff;
      b[n * 2 + 1] = (value >> 8) & 0xff;
      this.mark(n * 2, 2);
    } else {
      const old = this.view32.getUint32(n * 4, true);
      this.view32.setUint32(n * 4, ((old & 0xf0000000) | (value & 0x0fffffff)) >>> 0, true);
      this.mark(n * 4, 4);
    }
  }

  /** Classifies an entry value. */
  kind(value: number): FatEntryKind {
    if (value === 0) return 'free';
    if (value === this.badCluster) return 'bad';
    if (value > this.badCluster) return 'end';
    if (value < 2 || value > this.maxCluster) return 'reserved';
    return 'next';
  }

  private mark(at: number, len: number): void {
    this.dirty.add(Math.floor(at / this.bytesPerSector));
    this.dirty.add(Math.floor((at + len - 1) / this.bytesPerSector));
  }

  /** Marks every sector dirty (after formatting, or to rewrite all copies). */
  markAllDirty(): void {
    for (let s = 0; s * this.bytesPerSector < this.bytes.length; s++) this.dirty.add(s);
  }

  /** Sectors (relative to the start of the FAT) changed since the last {@link takeDirty}. */
  takeDirty(): number[] {
    const out = [...this.dirty].sort((a, b) => a - b);
    this.dirty.clear();
    return out;
  }

  /** Counts free entries among clusters 2 … maxCluster. */
  countFree(): number {
    let free = 0;
    for (let c = 2; c <= this.maxCluster; c++) if (this.get(c) === 0) free++;
    return free;
  }
}
