/**
 * A small write-back cache of file system sectors (directory sectors, FSInfo) over a
 * {@link BlockDevice}, with LRU eviction bounded by a sector count. File system sectors
 * may be larger than device sectors (a 4096-byte FAT sector on a 512-byte disk).
 */
import type { BlockDevice } from '../block-device.js';

/**
 * Write-back sector cache.
 *
 * @example
 * ```ts
 * import { RamDisk, SectorCache } from '@libos/fs';
 * const cache = new SectorCache(new RamDisk({ sectorCount: 64 }), 512, 16);
 * const s = await cache.read(3);
 * s[0] = 1;
 * cache.markDirty(3, s);
 * await cache.flush();
 * ```
 */
export class SectorCache {
  private readonly entries = new Map<number, Uint8Array>();
  private readonly dirty = new Set<number>();
  private readonly ratio: number;

  /**
   * @param device The device underneath.
   * @param sectorSize File system sector size (a multiple of the device's).
   * @param capacity Sectors kept before the least recently used is written back and dropped.
   */
  constructor(
    readonly device: BlockDevice,
    readonly sectorSize: number,
    readonly capacity: number,
  ) {
    this.ratio = sectorSize / device.sectorSize;
  }

  /** Reads sector `n` (from the cache when present). The buffer is the cache's own. */
  async read(n: number): Promise<Uint8Array> {
    const hit = this.entries.get(n);
    if (hit) {
      this.entries.delete(n);
      this.entries.set(n, hit);
      return hit;
    }
    const buf = new Uint8Array(this.sectorSize);
    await this.device.read(n * this.ratio, buf);
    const raced = this.entries.get(n);
    if (raced) return raced;
    await this.insert(n, buf);
    return buf;
  }

  /** A zeroed, dirty buffer for sector `n` without reading it (for fresh clusters). */
  async zero(n: number): Promise<Uint8Array> {
    let buf = this.entries.get(n);
    if (buf) buf.fill(0);
    else {
      buf = new Uint8Array(this.sectorSize);
      await this.insert(n, buf);
    }
    this.dirty.add(n);
    return buf;
  }

  /** Records that `buf` (sector `n`'s buffer from {@link read}) was modified. */
  markDirty(n: number, buf: Uint8Array): void {
    if (this.entries.get(n) !== buf) this.entries.set(n, buf);
    this.dirty.add(n);
  }

  /** Forgets sectors `[start, start + count)` without writing them (they were freed). */
  invalidate(start: number, count: number): void {
    for (let s = start; s < start + count; s++) {
      this.entries.delete(s);
      this.dirty.delete(s);
    }
  }

  /** Number of sectors with unwritten changes. */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  /** Writes every dirty sector, in ascending order, coalescing neighbours. */
  async flush(): Promise<void> {
    const list = [...this.dirty].sort((a, b) => a - b);
    let i = 0;
    while (i < list.length) {
      let j = i + 1;
      while (j < list.length && list[j] === list[j - 1]! + 1 && j - i < 64) j++;
      const first = list[i]!;
      if (j - i === 1) {
        await this.device.write(first * this.ratio, this.entries.get(first)!);
      } else {
        const joined = new Uint8Array((j - i) * this.sectorSize);
        for (let k = i; k < j; k++)
          joined.set(this.entries.get(list[k]!)!, (k - i) * this.sectorSize);
        await this.device.write(first * this.ratio, joined);
      }
      for (let k = i; k < j; k++) this.dirty.delete(list[k]!);
      i = j;
    }
  }

  private async insert(n: number, buf: Uint8Array): Promise<void> {
    this.entries.set(n, buf);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as number;
      const data = this.entries.get(oldest)!;
      this.entries.delete(oldest);
      if (this.dirty.has(oldest)) {
        this.dirty.delete(oldest);
        await this.device.write(oldest * this.ratio, data);
      }
    }
  }
}
