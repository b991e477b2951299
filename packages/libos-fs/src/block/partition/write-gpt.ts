import type { BlockDevice } from '../../block-device.js';
import { BlockDeviceError } from '../../block-device-error.js';
import { checkLayout } from './check-layout.js';
import { crc32 } from './crc32.js';
import { emitGptEntry, GPT_ENTRY_SIZE, GPT_NAME_UNITS } from './gpt-entry.js';
import { emitGptHeader, type GptHeaderRepr } from './gpt-header.js';
import { isGuid } from './guid.js';
import { MBR, MbrRecordView, PROTECTIVE_TYPE } from './mbr-record.js';
import { PartitionTableError } from './partition-table-error.js';

/**
 * A partition for {@link writeGpt}. The caller supplies the unique GUID (the library
 * draws no randomness itself).
 *
 * @example
 * ```ts
 * import { GPT_TYPE, type GptPartitionSpec } from '@libos/fs';
 * const data: GptPartitionSpec = {
 *   start: 2048, size: 8192, type: GPT_TYPE.linuxFilesystem,
 *   guid: '5C3F5D5E-8A1B-4C2D-9E0F-112233445566', name: 'data',
 * };
 * ```
 */
export interface GptPartitionSpec {
  /** First sector (StartingLBA); inside the usable area. */
  readonly start: number;
  /** Length in sectors. */
  readonly size: number;
  /** PartitionTypeGUID (see {@link GPT_TYPE}). */
  readonly type: string;
  /** UniquePartitionGUID; must differ between partitions. */
  readonly guid: string;
  /** PartitionName, up to 36 UTF-16 code units. Default empty. */
  readonly name?: string;
  /** The 64 attribute bits. Default 0. */
  readonly attributes?: bigint;
}

/**
 * Options of {@link writeGpt}.
 *
 * @example
 * ```ts
 * import type { GptWriteOptions } from '@libos/fs';
 * const options: GptWriteOptions = { diskGuid: 'A1B2C3D4-0000-4000-8000-000000000001' };
 * ```
 */
export interface GptWriteOptions {
  /** DiskGUID. */
  readonly diskGuid: string;
  /** NumberOfPartitionEntries: 4–32768 in multiples of 4. Default 128 (what tools use). */
  readonly entryCount?: number;
}

/**
 * The sectors partitions may use on a GPT disk (FirstUsableLBA … LastUsableLBA).
 *
 * @example
 * ```ts
 * import type { GptUsableRange } from '@libos/fs';
 * const sectors = (r: GptUsableRange) => r.last - r.first + 1;
 * ```
 */
export interface GptUsableRange {
  /** FirstUsableLBA: the sector after the primary entry array. */
  readonly first: number;
  /** LastUsableLBA: the sector before the backup entry array. */
  readonly last: number;
}

/**
 * The sectors a GPT of `entryCount` entries reserves on a disk, so callers can place
 * partitions inside the usable area.
 *
 * @param sectorSize Bytes per sector.
 * @param sectorCount Sectors on the disk.
 * @param entryCount Partition entries. Default 128.
 * @returns The first and last LBA partitions may use.
 * @example
 * ```ts
 * import { gptUsableRange } from '@libos/fs';
 * gptUsableRange(512, 8192); // { first: 34, last: 8158 }
 * ```
 */
export function gptUsableRange(
  sectorSize: number,
  sectorCount: number,
  entryCount = 128,
): GptUsableRange {
  const arraySectors = Math.ceil((entryCount * GPT_ENTRY_SIZE) / sectorSize);
  return { first: 2 + arraySectors, last: sectorCount - 2 - arraySectors };
}

/**
 * Writes a GPT (UEFI 2.x §5.3): the backup entry array and header at the end of the disk,
 * the primary header at LBA 1 with its entry array from LBA 2, each with its CRC32, and
 * last a protective MBR in LBA 0 (§5.2.3, keeping the boot code there); then flushes.
 * Everything is checked before the first write.
 *
 * @param device The disk.
 * @param partitions The partitions, in entry order.
 * @param options Disk GUID and entry count.
 * @throws {@link PartitionTableError} `bad-guid`, `unsupported` (name too long, too many
 *   partitions, bad entry count, disk too small), `bad-extent`, `beyond-end`, `overlap`.
 * @example
 * ```ts
 * import { GPT_TYPE, RamDisk, writeGpt } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 8192 });
 * await writeGpt(
 *   disk,
 *   [{ start: 2048, size: 4096, type: GPT_TYPE.efiSystem, guid: 'C0FFEE00-0000-4000-8000-000000000001', name: 'EFI' }],
 *   { diskGuid: 'C0FFEE00-0000-4000-8000-000000000000' },
 * );
 * ```
 */
export async function writeGpt(
  device: BlockDevice,
  partitions: readonly GptPartitionSpec[],
  options: GptWriteOptions,
): Promise<void> {
  if (device.readOnly) throw new BlockDeviceError('EROFS', 'the device is read-only');
  const ss = device.sectorSize;
  const entryCount = options.entryCount ?? 128;
  if (!Number.isSafeInteger(entryCount) || entryCount < 4 || entryCount > 32768 || entryCount % 4) {
    throw new PartitionTableError('unsupported', `entry count ${entryCount}`);
  }
  if (partitions.length > entryCount) {
    throw new PartitionTableError(
      'unsupported',
      `${partitions.length} partitions, ${entryCount} entries`,
    );
  }
  if (!isGuid(options.diskGuid)) {
    throw new PartitionTableError('bad-guid', `disk GUID "${options.diskGuid}"`);
  }
  const seen = new Set<string>();
  partitions.forEach((p, i) => {
    if (!isGuid(p.type) || /^[0-]+$/.test(p.type)) {
      throw new PartitionTableError('bad-guid', `partition ${i + 1}: type "${p.type}"`);
    }
    if (!isGuid(p.guid) || seen.has(p.guid.toUpperCase())) {
      throw new PartitionTableError('bad-guid', `partition ${i + 1}: GUID "${p.guid}"`);
    }
    seen.add(p.guid.toUpperCase());
    if ((p.name ?? '').length > GPT_NAME_UNITS) {
      throw new PartitionTableError('unsupported', `partition ${i + 1}: name over 36 UTF-16 units`);
    }
    const a = p.attributes ?? 0n;
    if (a < 0n || a > 0xffffffffffffffffn) {
      throw new PartitionTableError('unsupported', `partition ${i + 1}: attributes ${a}`);
    }
  });
  const arraySectors = Math.ceil((entryCount * GPT_ENTRY_SIZE) / ss);
  const { first, last } = gptUsableRange(ss, device.sectorCount, entryCount);
  if (last < first) {
    throw new PartitionTableError(
      'unsupported',
      `${device.sectorCount} sectors is too small for a GPT`,
    );
  }
  checkLayout(
    partitions.map((p, i) => ({ number: i + 1, start: p.start, size: p.size })),
    first,
    last,
  );

  const array = new Uint8Array(arraySectors * ss);
  partitions.forEach((p, i) => {
    emitGptEntry(
      {
        type: p.type,
        guid: p.guid,
        startLba: p.start,
        endLba: p.start + p.size - 1,
        attributes: p.attributes ?? 0n,
        name: p.name ?? '',
      },
      array,
      i * GPT_ENTRY_SIZE,
    );
  });
  const lastLba = device.sectorCount - 1;
  const common = {
    firstUsableLba: first,
    lastUsableLba: last,
    diskGuid: options.diskGuid,
    entryCount,
    entrySize: GPT_ENTRY_SIZE,
    entryArrayCrc: crc32(array.subarray(0, entryCount * GPT_ENTRY_SIZE)),
  };
  const primary: GptHeaderRepr = { ...common, myLba: 1, alternateLba: lastLba, entryLba: 2 };
  const backup: GptHeaderRepr = {
    ...common,
    myLba: lastLba,
    alternateLba: 1,
    entryLba: lastLba - arraySectors,
  };
  const block = new Uint8Array(ss);

  // Backup copy first, primary next, protective MBR last: a power cut at any point leaves
  // either no GPT signature in LBA 0 or a table whose intact copy is old or new.
  await device.write(backup.entryLba, array);
  emitGptHeader(backup, block);
  await device.write(lastLba, block);
  await device.write(primary.entryLba, array);
  emitGptHeader(primary, block);
  await device.write(1, block);
  // §5.2.3 protective MBR: one record of type 0xEE from LBA 1 over the rest of the disk.
  const mbr = new Uint8Array(ss);
  await device.read(0, mbr);
  mbr.fill(0, MBR.diskSignature);
  const r = new MbrRecordView(mbr, 0);
  r.osType = PROTECTIVE_TYPE;
  r.startLba = 1;
  r.sizeLba = Math.min(lastLba, 0xffffffff);
  r.setChs(1, lastLba); // StartingCHS 00 02 00; EndingCHS of the last LBA
  mbr[MBR.signature] = 0x55;
  mbr[MBR.signature + 1] = 0xaa;
  await device.write(0, mbr);

  await device.flush();
}
