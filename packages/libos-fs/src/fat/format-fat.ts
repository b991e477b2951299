/**
 * `formatFat`: writes an empty FAT12/16/32 file system to a block device, laid out like
 * `mkfs.fat` (see {@link planFatGeometry}): two FATs, media 0xF8, FAT32 with an FSInfo
 * sector at 1 and a backup boot sector (and FSInfo) at 6–7.
 */
import type { BlockDevice } from '../block-device.js';
import { FsError } from '../fs-error.js';
import type { WallClock } from '../wall-clock.js';
import { type BootSectorRepr, emitBootSector } from './boot-sector.js';
import { DirEntry, FatAttr } from './dir-entry.js';
import { type FatGeometryOptions, planFatGeometry } from './fat-geometry.js';
import { FatTable } from './fat-table.js';
import { encodeFatTimestamp } from './fat-time.js';
import { emitFsInfo } from './fs-info.js';

/**
 * Options for {@link formatFat}.
 *
 * @example
 * ```ts
 * import type { FormatFatOptions } from '@libos/fs';
 * const opts: FormatFatOptions = { label: 'DATA', clock: { now: () => Date.now() } };
 * ```
 */
export interface FormatFatOptions extends FatGeometryOptions {
  /** Time source for the volume label entry and the default volume serial number. */
  readonly clock: WallClock;
}

const ZERO_CHUNK_BYTES = 128 * 1024;

/**
 * Writes `count` zero sectors from `start`, in large requests.
 *
 * @param device The device.
 * @param start First sector.
 * @param count Sectors to zero.
 */
async function writeZeros(device: BlockDevice, start: number, count: number): Promise<void> {
  const per = Math.max(1, Math.floor(ZERO_CHUNK_BYTES / device.sectorSize));
  const zeros = new Uint8Array(per * device.sectorSize);
  for (let s = 0; s < count; s += per) {
    const n = Math.min(per, count - s);
    await device.write(start + s, zeros.subarray(0, n * device.sectorSize));
  }
}

/**
 * Formats `device` with an empty FAT file system and flushes it. The type and cluster
 * size follow the size like `mkfs.fat` unless given.
 *
 * @param device The device to format (its sector size becomes the FAT sector size).
 * @param options Type, cluster size, label, serial number and clock.
 * @returns The geometry written.
 * @throws {@link FsError} `EINVAL` for impossible combinations, `EROFS` on a read-only device.
 * @example
 * ```ts
 * import { RamDisk, formatFat, mountFat } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 65536 }); // 32 MiB → FAT16
 * const clock = { now: () => Date.UTC(2024, 0, 1) };
 * await formatFat(disk, { label: 'LIBOS', clock });
 * const volume = await mountFat(disk, { clock });
 * ```
 */
export async function formatFat(
  device: BlockDevice,
  options: FormatFatOptions,
): Promise<BootSectorRepr> {
  if (device.readOnly) throw new FsError('EROFS', 'format');
  const now = options.clock.now();
  const volumeId =
    options.volumeId ?? (Math.floor(now / 1000) ^ (Math.floor(now % 1000) * 0x10001)) >>> 0;
  const g = planFatGeometry(device.sectorCount, device.sectorSize, { ...options, volumeId });
  const bps = g.bytesPerSector;
  // Reserved region: boot sector, FSInfo and backup copies; everything else zero.
  await writeZeros(device, 0, g.reservedSectors);
  const boot = new Uint8Array(bps);
  emitBootSector(g, boot);
  if (g.type === 32) {
    const info = new Uint8Array(bps);
    // The free count excludes the root directory's cluster; the next free is after it.
    emitFsInfo({ freeCount: g.clusterCount - 1, nextFree: 3 }, info);
    await device.write(g.backupBootSector, boot);
    await device.write(g.backupBootSector + 1, info);
    await device.write(g.fsInfoSector, info);
  }
  // FATs: media descriptor in entry 0, end-of-chain in entry 1 (fatgen103 "FAT Data
  // Structure"), and on FAT32 the root directory's single cluster.
  const fat = new FatTable(g.type, new Uint8Array(g.fatSectors * bps), bps, g.clusterCount);
  fat.set(0, (g.type === 12 ? 0xf00 : g.type === 16 ? 0xff00 : 0x0fffff00) | g.media);
  fat.set(1, fat.endOfChain);
  if (g.type === 32) fat.set(g.rootCluster, fat.endOfChain);
  for (let i = 0; i < g.numFats; i++)
    await device.write(g.reservedSectors + i * g.fatSectors, fat.bytes);
  // Root directory: the fixed region, or the root cluster on FAT32.
  const rootStart =
    g.type === 32 ? g.firstDataSector + (g.rootCluster - 2) * g.sectorsPerCluster : g.rootDirSector;
  const rootSectors = g.type === 32 ? g.sectorsPerCluster : g.rootDirSectors;
  await writeZeros(device, rootStart, rootSectors);
  if (g.label !== '') {
    const first = new Uint8Array(bps);
    const e = new DirEntry(first, 0);
    const name = new Uint8Array(11).fill(0x20);
    for (let i = 0; i < g.label.length; i++) name[i] = g.label.charCodeAt(i);
    e.setRawName(name);
    e.attr = FatAttr.VOLUME_ID;
    const t = encodeFatTimestamp(now);
    e.writeTime = t.time;
    e.writeDate = t.date;
    await device.write(rootStart, first);
  }
  // The boot sector goes last, so an interrupted format is not mistaken for a volume.
  await device.write(0, boot);
  await device.flush();
  return g;
}
