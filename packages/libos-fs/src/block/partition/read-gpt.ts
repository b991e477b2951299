import type { BlockDevice } from '../../block-device.js';
import { checkLayout } from './check-layout.js';
import { crc32 } from './crc32.js';
import { GPT_ENTRY_SIZE, isUnusedGptEntry, parseGptEntry } from './gpt-entry.js';
import { type GptHeaderRepr, parseGptHeader } from './gpt-header.js';
import type { GptDamage, GptPartition } from './partition.js';
import { PartitionTableError } from './partition-table-error.js';

/** Largest partition entry array read (bytes): 32768 entries of 128 bytes. */
export const MAX_GPT_ENTRY_ARRAY_BYTES = 4 * 1024 * 1024;

interface GptCopy {
  readonly header: GptHeaderRepr;
  readonly partitions: GptPartition[];
}

/** What {@link readGpt} found. */
export interface GptReadResult {
  readonly partitions: GptPartition[];
  readonly diskId: string;
  readonly copy: 'primary' | 'backup';
  readonly damage: GptDamage[];
}

/**
 * Reads a GPT: the primary header at LBA 1 and its entry array, each checked as UEFI 2.x
 * §5.3.2 asks (signature, header CRC32, MyLBA, entry array CRC32), and the backup copy
 * (at the primary's AlternateLBA, or at the last LBA when the primary is unusable). The
 * primary is used when intact, else the backup; damage to either is reported.
 *
 * @throws {@link PartitionTableError} with the primary copy's problem when neither copy is usable.
 */
export async function readGpt(device: BlockDevice): Promise<GptReadResult> {
  const last = device.sectorCount - 1;
  const primary = await readCopy(device, 1);
  if (!(primary instanceof PartitionTableError)) {
    const alt = primary.header.alternateLba;
    const backup = await readCopy(device, Number.isSafeInteger(alt) && alt <= last ? alt : last);
    const damage: GptDamage[] =
      backup instanceof PartitionTableError
        ? [{ copy: 'backup', kind: backup.kind, message: backup.message }]
        : [];
    return {
      partitions: primary.partitions,
      diskId: primary.header.diskGuid,
      copy: 'primary',
      damage,
    };
  }
  const backup = await readCopy(device, last);
  if (backup instanceof PartitionTableError) throw primary;
  return {
    partitions: backup.partitions,
    diskId: backup.header.diskGuid,
    copy: 'backup',
    damage: [{ copy: 'primary', kind: primary.kind, message: primary.message }],
  };
}

/** Reads and checks the header at `lba` and its entries; a problem comes back as a value. */
async function readCopy(device: BlockDevice, lba: number): Promise<GptCopy | PartitionTableError> {
  const ss = device.sectorSize;
  const last = device.sectorCount - 1;
  const block = new Uint8Array(ss);
  await device.read(lba, block);
  const header = parseGptHeader(block);
  if (header === 'bad-crc') return new PartitionTableError('bad-crc', `header at LBA ${lba}`);
  if (typeof header === 'string') {
    return new PartitionTableError('bad-header', `header at LBA ${lba}: ${header}`);
  }
  const bad = (why: string) =>
    new PartitionTableError('bad-header', `header at LBA ${lba}: ${why}`);
  if (header.myLba !== lba) return bad(`MyLBA is ${header.myLba}`);
  const { entrySize, entryCount, entryLba, firstUsableLba, lastUsableLba } = header;
  // §5.3.2: SizeOfPartitionEntry is 128 × 2^n.
  if (entrySize < GPT_ENTRY_SIZE || entrySize % GPT_ENTRY_SIZE !== 0) {
    return bad(`entry size ${entrySize}`);
  }
  if ((entrySize / GPT_ENTRY_SIZE) & (entrySize / GPT_ENTRY_SIZE - 1)) {
    return bad(`entry size ${entrySize}`);
  }
  const arrayBytes = entryCount * entrySize;
  if (arrayBytes > MAX_GPT_ENTRY_ARRAY_BYTES) return bad(`entry array of ${arrayBytes} bytes`);
  const arraySectors = Math.ceil(arrayBytes / ss);
  if (
    !Number.isSafeInteger(entryLba) ||
    entryLba < 1 ||
    entryLba + arraySectors - 1 > last ||
    !Number.isSafeInteger(firstUsableLba) ||
    !Number.isSafeInteger(lastUsableLba) ||
    lastUsableLba > last ||
    firstUsableLba > lastUsableLba + 1
  ) {
    return bad('entry array or usable area off the disk');
  }
  const array = new Uint8Array(arraySectors * ss);
  if (arraySectors > 0) await device.read(entryLba, array);
  if (crc32(array.subarray(0, arrayBytes)) !== header.entryArrayCrc) {
    return new PartitionTableError('bad-crc', `entry array at LBA ${entryLba}`);
  }
  const partitions: GptPartition[] = [];
  for (let i = 0; i < entryCount; i++) {
    if (isUnusedGptEntry(array, i * entrySize)) continue;
    const e = parseGptEntry(array, i * entrySize);
    partitions.push({
      scheme: 'gpt',
      number: i + 1,
      start: e.startLba,
      size: e.endLba - e.startLba + 1,
      type: e.type,
      guid: e.guid,
      name: e.name,
      attributes: e.attributes,
    });
  }
  try {
    checkLayout(partitions, firstUsableLba, lastUsableLba);
  } catch (e) {
    if (e instanceof PartitionTableError) return e;
    throw e;
  }
  return { header, partitions };
}
