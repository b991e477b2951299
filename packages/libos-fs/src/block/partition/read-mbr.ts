import type { BlockDevice } from '../../block-device.js';
import { checkLayout } from './check-layout.js';
import { u32le } from './little-endian.js';
import { EXTENDED_TYPES, hasBootSignature, MBR, MbrRecordView } from './mbr-record.js';
import type { MbrPartition } from './partition.js';
import { PartitionTableError } from './partition-table-error.js';

/** Most logical partitions followed in an EBR chain (Linux numbers them 5–255). */
export const MAX_LOGICAL_PARTITIONS = 251;

/**
 * Reads the partitions of an MBR whose sector 0 is `mbr`: the four primary records, then
 * the logical partitions of the first extended partition's EBR chain. The chain walk stops
 * at an empty link and fails with `ebr-loop` on a repeated EBR or more than
 * {@link MAX_LOGICAL_PARTITIONS} links, so hostile tables cannot make it spin.
 *
 * @throws {@link PartitionTableError} for loops and extents outside the disk or overlapping.
 */
export async function readMbr(
  device: BlockDevice,
  mbr: Uint8Array,
): Promise<{ partitions: MbrPartition[]; diskId: string }> {
  const partitions: MbrPartition[] = [];
  let extended: MbrPartition | undefined;
  for (let i = 0; i < 4; i++) {
    const r = new MbrRecordView(mbr, i);
    if (r.osType === 0 || r.sizeLba === 0) continue; // UEFI 2.x §5.2.1: unused record
    const isExtended = EXTENDED_TYPES.has(r.osType);
    const p: MbrPartition = {
      scheme: 'mbr',
      number: i + 1,
      start: r.startLba,
      size: r.sizeLba,
      type: r.osType,
      bootable: r.bootable,
      kind: isExtended ? 'extended' : 'primary',
    };
    partitions.push(p);
    if (isExtended && !extended) extended = p;
  }
  checkLayout(partitions, 0, device.sectorCount - 1);
  if (extended) partitions.push(...(await readLogical(device, extended)));
  const diskId = `0x${u32le(mbr, MBR.diskSignature).toString(16).padStart(8, '0')}`;
  return { partitions, diskId };
}

async function readLogical(device: BlockDevice, extended: MbrPartition): Promise<MbrPartition[]> {
  const out: MbrPartition[] = [];
  const seen = new Set<number>();
  const sector = new Uint8Array(device.sectorSize);
  const extEnd = extended.start + extended.size - 1;
  let ebr = extended.start;
  for (let n = 0; ; n++) {
    if (seen.has(ebr) || n >= MAX_LOGICAL_PARTITIONS) {
      throw new PartitionTableError('ebr-loop', `the EBR chain returns to or passes sector ${ebr}`);
    }
    seen.add(ebr);
    await device.read(ebr, sector);
    if (!hasBootSignature(sector)) break;
    const logical = new MbrRecordView(sector, 0);
    const link = new MbrRecordView(sector, 1);
    if (logical.osType !== 0 && logical.sizeLba !== 0) {
      // The logical partition's start is relative to its own EBR.
      out.push({
        scheme: 'mbr',
        number: 5 + out.length,
        start: ebr + logical.startLba,
        size: logical.sizeLba,
        type: logical.osType,
        bootable: logical.bootable,
        kind: 'logical',
      });
    }
    if (!EXTENDED_TYPES.has(link.osType) || link.sizeLba === 0) break;
    // The next EBR's start is relative to the extended partition's start.
    ebr = extended.start + link.startLba;
    if (ebr > extEnd) {
      throw new PartitionTableError(
        'beyond-end',
        `EBR at ${ebr} is outside the extended partition`,
      );
    }
  }
  checkLayout(out, extended.start, extEnd);
  return out;
}
