/**
 * What every part of a mounted FAT volume shares: the geometry, the FAT, the sector
 * cache, and the arithmetic between clusters, sectors and device sectors.
 */
import type { BlockDevice } from '../block-device.js';
import type { BootSectorRepr } from './boot-sector.js';
import type { FatTable } from './fat-table.js';
import type { SectorCache } from './sector-cache.js';

/**
 * Shared state of a mounted FAT volume.
 *
 * @example
 * ```ts
 * import type { FatContext } from '@libos/fs';
 * const firstSectorOfCluster = (ctx: FatContext, c: number) => ctx.clusterSector(c);
 * ```
 */
export class FatContext {
  /** Bytes per cluster. */
  readonly clusterBytes: number;
  /** Device sectors per file system sector. */
  readonly ratio: number;

  /**
   * @param device The device.
   * @param geo The volume's geometry.
   * @param fat The in-memory FAT.
   * @param cache The metadata sector cache.
   */
  constructor(
    readonly device: BlockDevice,
    readonly geo: BootSectorRepr,
    readonly fat: FatTable,
    readonly cache: SectorCache,
  ) {
    this.clusterBytes = geo.bytesPerSector * geo.sectorsPerCluster;
    this.ratio = geo.bytesPerSector / device.sectorSize;
  }

  /** First sector of cluster `c` (fatgen103: FirstSectorofCluster). */
  clusterSector(c: number): number {
    return this.geo.firstDataSector + (c - 2) * this.geo.sectorsPerCluster;
  }

  /** Reads `buffer.length / bytesPerSector` file system sectors from `sector`. */
  readSectors(sector: number, buffer: Uint8Array): Promise<void> {
    return this.device.read(sector * this.ratio, buffer);
  }

  /** Writes `data.length / bytesPerSector` file system sectors at `sector`. */
  writeSectors(sector: number, data: Uint8Array): Promise<void> {
    return this.device.write(sector * this.ratio, data);
  }
}
