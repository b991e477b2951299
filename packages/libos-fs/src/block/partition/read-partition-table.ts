import type { BlockDevice } from '../../block-device.js';
import { hasBootSignature, MbrRecordView, PROTECTIVE_TYPE } from './mbr-record.js';
import type { PartitionTable } from './partition.js';
import { readGpt } from './read-gpt.js';
import { readMbr } from './read-mbr.js';

/**
 * Reads the partition table of a disk. Sector 0 without the 0x55AA boot signature means
 * no table (`'none'`). An MBR with a record of type 0xEE means GPT (UEFI 2.x §5.2.3):
 * the primary copy is used when its header and entry array pass their CRC32 checks, else
 * the backup at the end of the disk, and `damage` says what was wrong. Otherwise the MBR's
 * primary records and its extended partition's logical chain are read (loops bounded).
 *
 * @param device The disk.
 * @returns The scheme, the partitions and the disk identifier.
 * @throws {@link PartitionTableError} for tables that cannot be trusted: overlapping
 *   partitions, partitions past the end of the disk, a looping EBR chain, or both GPT
 *   copies damaged (`bad-crc` / `bad-header`).
 * @example
 * ```ts
 * import { openPartition, readPartitionTable } from '@libos/fs';
 * const table = await readPartitionTable(disk);
 * const first = table.partitions[0];
 * if (first) console.log(table.scheme, first.start, first.size);
 * ```
 */
export async function readPartitionTable(device: BlockDevice): Promise<PartitionTable> {
  const sector0 = new Uint8Array(device.sectorSize);
  await device.read(0, sector0);
  if (!hasBootSignature(sector0)) {
    return { scheme: 'none', partitions: [], diskId: null, gptCopy: null, damage: [] };
  }
  let protective = false;
  for (let i = 0; i < 4; i++)
    if (new MbrRecordView(sector0, i).osType === PROTECTIVE_TYPE) protective = true;
  if (protective) {
    const gpt = await readGpt(device);
    return {
      scheme: 'gpt',
      partitions: gpt.partitions,
      diskId: gpt.diskId,
      gptCopy: gpt.copy,
      damage: gpt.damage,
    };
  }
  const mbr = await readMbr(device, sector0);
  return {
    scheme: 'mbr',
    partitions: mbr.partitions,
    diskId: mbr.diskId,
    gptCopy: null,
    damage: [],
  };
}
