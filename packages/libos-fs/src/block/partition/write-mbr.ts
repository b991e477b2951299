import type { BlockDevice } from '../../block-device.js';
import { BlockDeviceError } from '../../block-device-error.js';
import { checkLayout } from './check-layout.js';
import { setU32le } from './little-endian.js';
import { EXTENDED_TYPES, MBR, MbrRecordView, PROTECTIVE_TYPE } from './mbr-record.js';
import { PartitionTableError } from './partition-table-error.js';

/**
 * A partition for {@link writeMbr}: a primary record, or (with `logical`) a logical
 * partition in the extended partition's chain.
 *
 * @example
 * ```ts
 * import type { MbrPartitionSpec } from '@libos/fs';
 * const fat32: MbrPartitionSpec = { start: 2048, size: 65536, type: 0x0c, bootable: true };
 * const swap: MbrPartitionSpec = { start: 70000, size: 8192, type: 0x82, logical: true };
 * ```
 */
export interface MbrPartitionSpec {
  /** First sector (≥ 1). */
  readonly start: number;
  /** Length in sectors. */
  readonly size: number;
  /** Partition type byte, e.g. `0x83` Linux, `0x0c` FAT32 (LBA), `0x0e` FAT16 (LBA). */
  readonly type: number;
  /** Set the boot indicator. Default false. */
  readonly bootable?: boolean;
  /**
   * Make it a logical partition inside {@link MbrWriteOptions.extended} (Linux numbers
   * them 5, 6, … in the order given, which must be ascending by start). Its extended boot
   * record goes in the sector just before it — the first one at the extended partition's
   * first sector — so that sector must be free. Default false.
   */
  readonly logical?: boolean;
}

/**
 * Options of {@link writeMbr}.
 *
 * @example
 * ```ts
 * import type { MbrWriteOptions } from '@libos/fs';
 * const options: MbrWriteOptions = {
 *   diskSignature: 0x1234abcd,
 *   extended: { start: 65536, size: 65536 },
 * };
 * ```
 */
export interface MbrWriteOptions {
  /** The 32-bit disk signature at byte 440 (what Linux shows as the disk identifier). Default 0. */
  readonly diskSignature?: number;
  /**
   * The extended partition holding the logical partitions; required when any partition is
   * logical. It takes the primary record after the primary partitions.
   */
  readonly extended?: {
    /** First sector: where the first extended boot record goes. */
    readonly start: number;
    /** Length in sectors. */
    readonly size: number;
    /** `0x05` (default), `0x0f` or `0x85`. */
    readonly type?: number;
  };
}

/**
 * Writes an MBR partition table: up to four primary records (primary partitions, plus the
 * extended partition if given) into sector 0 — keeping the 440 bytes of boot code there —
 * and a chain of extended boot records for the logical partitions (UEFI 2.x §5.2.1; EBR
 * links relative to the extended partition, logical starts relative to their EBR). EBRs
 * are written first, sector 0 last, then the device is flushed. Everything is checked
 * before the first write.
 *
 * @param device The disk (sectors of 512 bytes or more; only the first 512 bytes are used).
 * @param partitions Primary partitions (records 1–4 in order) and logical ones.
 * @param options The disk signature and the extended partition.
 * @throws {@link PartitionTableError} `unsupported` (more than 4 records, bad type, past
 *   2^32 sectors, logical without extended, logical out of order or without room for its
 *   EBR), `bad-extent`, `beyond-end`, `overlap`.
 * @example
 * ```ts
 * import { RamDisk, writeMbr } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 8192 });
 * await writeMbr(disk, [{ start: 2048, size: 6144, type: 0x83 }]);
 * ```
 */
export async function writeMbr(
  device: BlockDevice,
  partitions: readonly MbrPartitionSpec[],
  options: MbrWriteOptions = {},
): Promise<void> {
  if (device.readOnly) throw new BlockDeviceError('EROFS', 'the device is read-only');
  const signature = options.diskSignature ?? 0;
  if (!Number.isInteger(signature) || signature < 0 || signature > 0xffffffff) {
    throw new PartitionTableError('unsupported', `disk signature ${signature} is not 32-bit`);
  }
  const primaries = partitions.filter((p) => !p.logical);
  const logicals = partitions.filter((p) => p.logical);
  const ext = options.extended;
  const records = primaries.length + (ext ? 1 : 0);
  if (records > 4) {
    throw new PartitionTableError('unsupported', `${records} primary records; an MBR holds 4`);
  }
  if (logicals.length > 0 && !ext) {
    throw new PartitionTableError('unsupported', 'logical partitions need options.extended');
  }
  partitions.forEach((p, i) => {
    if (!Number.isInteger(p.type) || p.type < 1 || p.type > 0xff) {
      throw new PartitionTableError('unsupported', `partition ${i + 1}: type ${p.type}`);
    }
    if (EXTENDED_TYPES.has(p.type) || p.type === PROTECTIVE_TYPE) {
      throw new PartitionTableError(
        'unsupported',
        `partition ${i + 1}: type 0x${p.type.toString(16)}; give an extended partition in options`,
      );
    }
    if (p.start + p.size > 0x100000000) {
      throw new PartitionTableError('unsupported', `partition ${i + 1} ends past 2^32 sectors`);
    }
  });
  const extType = ext?.type ?? 0x05;
  if (ext && !EXTENDED_TYPES.has(extType)) {
    throw new PartitionTableError('unsupported', `extended type 0x${extType.toString(16)}`);
  }
  if (ext && ext.start + ext.size > 0x100000000) {
    throw new PartitionTableError('unsupported', 'the extended partition ends past 2^32 sectors');
  }
  const top = primaries.map((p, i) => ({ number: i + 1, start: p.start, size: p.size }));
  if (ext) top.push({ number: top.length + 1, start: ext.start, size: ext.size });
  checkLayout(top, 1, device.sectorCount - 1);

  // Each logical partition's EBR: the extended partition's first sector for the first one,
  // the sector just before the partition for the others.
  const ebrs = logicals.map((p, k) => (k === 0 ? (ext?.start ?? 0) : p.start - 1));
  if (ext) {
    checkLayout(
      logicals.map((p, k) => ({ number: 5 + k, start: p.start, size: p.size })),
      ext.start + 1,
      ext.start + ext.size - 1,
    );
    logicals.forEach((p, k) => {
      const prev = logicals[k - 1];
      if (prev && (prev.start >= p.start || prev.start + prev.size > ebrs[k]!)) {
        throw new PartitionTableError(
          'unsupported',
          `logical partition ${5 + k} must start after partition ${4 + k} with a free sector for its EBR`,
        );
      }
    });
  }

  const ss = device.sectorSize;
  const ebr = new Uint8Array(ss);
  const extStart = ext?.start ?? 0;
  for (let k = 0; k < logicals.length; k++) {
    const p = logicals[k]!;
    const at = ebrs[k]!;
    ebr.fill(0);
    const own = new MbrRecordView(ebr, 0);
    own.bootable = p.bootable ?? false;
    own.osType = p.type;
    own.startLba = p.start - at; // relative to this EBR
    own.sizeLba = p.size;
    own.setChs(p.start, p.start + p.size - 1);
    const next = logicals[k + 1];
    if (next) {
      const link = new MbrRecordView(ebr, 1);
      const nextAt = ebrs[k + 1]!;
      link.osType = 0x05;
      link.startLba = nextAt - extStart; // relative to the extended partition
      link.sizeLba = next.start + next.size - nextAt;
      link.setChs(nextAt, next.start + next.size - 1);
    }
    ebr[MBR.signature] = 0x55;
    ebr[MBR.signature + 1] = 0xaa;
    await device.write(at, ebr);
  }
  if (ext && logicals.length === 0) {
    // An empty chain: an EBR with the signature and no records.
    ebr.fill(0);
    ebr[MBR.signature] = 0x55;
    ebr[MBR.signature + 1] = 0xaa;
    await device.write(ext.start, ebr);
  }

  const sector = new Uint8Array(ss);
  await device.read(0, sector);
  sector.fill(0, MBR.diskSignature);
  setU32le(sector, MBR.diskSignature, signature);
  const entries: { start: number; size: number; type: number; bootable: boolean }[] = primaries.map(
    (p) => ({ start: p.start, size: p.size, type: p.type, bootable: p.bootable ?? false }),
  );
  if (ext) entries.push({ start: ext.start, size: ext.size, type: extType, bootable: false });
  entries.forEach((p, i) => {
    const r = new MbrRecordView(sector, i);
    r.bootable = p.bootable;
    r.osType = p.type;
    r.startLba = p.start;
    r.sizeLba = p.size;
    r.setChs(p.start, p.start + p.size - 1);
  });
  sector[MBR.signature] = 0x55;
  sector[MBR.signature + 1] = 0xaa;
  await device.write(0, sector);
  await device.flush();
}
