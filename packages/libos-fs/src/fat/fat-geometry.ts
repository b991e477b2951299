/**
 * Choosing a FAT layout for a device the way `mkfs.fat` (dosfstools 4.2) does: FAT32
 * from 512 MiB up with 4/8/16/32 KiB clusters by size; below that 2 KiB clusters
 * (doubled until the count fits FAT16), FAT12 while the cluster count stays under 4085,
 * floppy geometries for the classic floppy sizes. The data area is aligned to the
 * cluster size by growing the reserved region, as `mkfs.fat` does.
 */
import { FsError } from '../fs-error.js';
import type { BootSectorRepr, FatType } from './boot-sector.js';

/**
 * What {@link planFatGeometry} (and `formatFat`) may be told; everything else follows
 * from the device size.
 *
 * @example
 * ```ts
 * import type { FatGeometryOptions } from '@libos/fs';
 * const opts: FatGeometryOptions = { type: 32, clusterSize: 4096, label: 'LIBOS' };
 * ```
 */
export interface FatGeometryOptions {
  /** Force FAT12, FAT16 or FAT32; by default chosen from the size like `mkfs.fat`. */
  readonly type?: FatType;
  /** Cluster size in bytes (a power of two, sector size … 64 KiB). */
  readonly clusterSize?: number;
  /** Volume label: up to 11 characters valid in short names (upper-cased). */
  readonly label?: string;
  /** Volume serial number. */
  readonly volumeId?: number;
}

const MIB = 1024 * 1024;
/** fatgen103 "FAT Type Determination" bounds. */
const MAX_FAT12_CLUSTERS = 4084;
const MAX_FAT16_CLUSTERS = 65524;
const MAX_FAT32_CLUSTERS = 0x0ffffff5 - 2;

/** Classic floppy sizes in KiB → sectors per cluster and root entries (as mkfs.fat). */
const FLOPPIES: ReadonlyMap<number, { spc: number; root: number }> = new Map([
  [360, { spc: 2, root: 112 }],
  [720, { spc: 2, root: 112 }],
  [1200, { spc: 1, root: 224 }],
  [1440, { spc: 1, root: 224 }],
  [2880, { spc: 2, root: 224 }],
]);

function invalid(detail: string): FsError {
  return new FsError('EINVAL', 'format', undefined, detail);
}

function checkLabel(label: string): string {
  const up = label.toUpperCase();
  if (up.length > 11 || !/^[A-Z0-9 !#$%&'()\-@^_`{}~]*$/.test(up)) {
    throw invalid(`label ${JSON.stringify(label)} is not up to 11 short-name characters`);
  }
  return up.replace(/ +$/, '');
}

interface Layout {
  reserved: number;
  fatSectors: number;
  clusters: number;
}

function layout(
  total: number,
  bps: number,
  spc: number,
  rootSecs: number,
  type: FatType,
  minReserved: number,
): Layout {
  const bitsPerEntry = type;
  let fatSectors = 1;
  let reserved = minReserved;
  for (let guard = 0; guard < 64; guard++) {
    const meta = reserved + 2 * fatSectors + rootSecs;
    const clusters = Math.max(0, Math.floor((total - meta) / spc));
    const needed = Math.ceil(((clusters + 2) * bitsPerEntry) / 8 / bps);
    if (needed <= fatSectors) break;
    fatSectors = needed;
  }
  // mkfs.fat aligns the data area to a cluster boundary by growing the reserved region.
  const meta = reserved + 2 * fatSectors + rootSecs;
  reserved += (spc - (meta % spc)) % spc;
  const clusters = Math.max(0, Math.floor((total - reserved - 2 * fatSectors - rootSecs) / spc));
  return { reserved, fatSectors, clusters };
}

function typeOf(clusters: number): FatType {
  return clusters <= MAX_FAT12_CLUSTERS ? 12 : clusters <= MAX_FAT16_CLUSTERS ? 16 : 32;
}

/**
 * Computes the layout `formatFat` writes for a device of `sectorCount` sectors of
 * `sectorSize` bytes. Refuses impossible combinations (FAT32 on a volume too small for
 * 65525 clusters, FAT12 on one too large for 4085, a bad cluster size or label) with an
 * `EINVAL` {@link FsError}.
 *
 * @param sectorCount Sectors on the device.
 * @param sectorSize Bytes per sector (512–4096).
 * @param options Type, cluster size, label and serial.
 * @throws {@link FsError} `EINVAL` when no valid layout exists.
 * @example
 * ```ts
 * import { planFatGeometry } from '@libos/fs';
 * planFatGeometry(2880, 512, {}).type; // 12 (a 1.44 MB floppy)
 * planFatGeometry(2 * 1024 * 1024, 512, {}).type; // 32 (1 GiB)
 * ```
 */
export function planFatGeometry(
  sectorCount: number,
  sectorSize: number,
  options: FatGeometryOptions,
): BootSectorRepr {
  const bps = sectorSize;
  if (bps < 512 || bps > 4096 || (bps & (bps - 1)) !== 0) throw invalid(`sector size ${bps}`);
  const total = Math.min(sectorCount, 0xffffffff);
  const bytes = total * bps;
  const label = checkLabel(options.label ?? '');
  let spcFixed: number | undefined;
  if (options.clusterSize !== undefined) {
    const cs = options.clusterSize;
    if (
      !Number.isInteger(cs) ||
      cs < bps ||
      cs > 65536 ||
      (cs & (cs - 1)) !== 0 ||
      cs / bps > 128
    ) {
      throw invalid(`cluster size ${cs} with ${bps}-byte sectors`);
    }
    spcFixed = cs / bps;
  }
  const wanted: FatType | undefined = options.type ?? (bytes >= 512 * MIB ? 32 : undefined);
  let repr: { type: FatType; spc: number; root: number; l: Layout } | undefined;
  if (wanted === 32) {
    // mkfs.fat: ≤ 8 GiB 4 KiB, ≤ 16 GiB 8 KiB, ≤ 32 GiB 16 KiB, else 32 KiB clusters.
    const gib = bytes / (1024 * MIB);
    let spc =
      spcFixed ?? Math.max(1, (gib > 32 ? 32768 : gib > 16 ? 16384 : gib > 8 ? 8192 : 4096) / bps);
    for (;;) {
      const l = layout(total, bps, spc, 0, 32, 32);
      if (l.clusters > MAX_FAT16_CLUSTERS && l.clusters <= MAX_FAT32_CLUSTERS) {
        repr = { type: 32, spc, root: 0, l };
        break;
      }
      if (l.clusters > MAX_FAT32_CLUSTERS && spcFixed === undefined && spc < 128) spc *= 2;
      else if (l.clusters <= MAX_FAT16_CLUSTERS && spcFixed === undefined && spc > 1) spc /= 2;
      else
        throw invalid(
          `FAT32 needs 65525–${MAX_FAT32_CLUSTERS} clusters; this layout has ${l.clusters}`,
        );
    }
  } else {
    const floppy = FLOPPIES.get(bytes / 1024);
    const root = floppy && bps === 512 ? floppy.root : 512;
    const rootSecs = Math.ceil((root * 32) / bps);
    let spc = spcFixed ?? (floppy && bps === 512 ? floppy.spc : Math.max(1, 2048 / bps));
    for (;;) {
      const l12 = layout(total, bps, spc, rootSecs, 12, 1);
      const l16 = layout(total, bps, spc, rootSecs, 16, 1);
      if (wanted !== 16 && l12.clusters >= 1 && typeOf(l12.clusters) === 12) {
        repr = { type: 12, spc, root, l: l12 };
        break;
      }
      if (wanted !== 12 && typeOf(l16.clusters) === 16) {
        repr = { type: 16, spc, root, l: l16 };
        break;
      }
      const tooMany =
        wanted === 16 ? l16.clusters > MAX_FAT16_CLUSTERS : l12.clusters > MAX_FAT12_CLUSTERS;
      if (spcFixed === undefined && tooMany && spc < 128) spc *= 2;
      else if (spcFixed === undefined && !tooMany && spc > 1) spc /= 2;
      else {
        throw invalid(`no FAT${wanted ?? '12/16'} layout fits ${total} sectors of ${bps} bytes`);
      }
    }
  }
  const { type, spc, root, l } = repr;
  if (l.clusters < 1) throw invalid(`${total} sectors leave no room for data`);
  const rootDirSectors = Math.ceil((root * 32) / bps);
  const rootDirSector = l.reserved + 2 * l.fatSectors;
  return {
    type,
    bytesPerSector: bps,
    sectorsPerCluster: spc,
    reservedSectors: l.reserved,
    numFats: 2,
    rootEntries: root,
    totalSectors: total,
    media: 0xf8,
    fatSectors: l.fatSectors,
    rootCluster: type === 32 ? 2 : 0,
    fsInfoSector: type === 32 ? 1 : 0,
    backupBootSector: type === 32 ? 6 : 0,
    volumeId: (options.volumeId ?? 0x12345678) >>> 0,
    label,
    rootDirSector,
    rootDirSectors,
    firstDataSector: rootDirSector + rootDirSectors,
    clusterCount: l.clusters,
    sectorsPerTrack: 32,
    numHeads: 64,
  };
}
