import { readGuid, writeGuid } from './guid.js';
import { setU64le, u64le } from './little-endian.js';

/** GPT partition entry field offsets (UEFI 2.x §5.3.3, table 5-6). */
const E = { type: 0, guid: 16, startLba: 32, endLba: 40, attributes: 48, name: 56 } as const;

/** Size of the entry fields UEFI 2.x defines (entries may be larger: 128 × 2^n). */
export const GPT_ENTRY_SIZE = 128;
/** PartitionName holds 36 UTF-16LE code units. */
export const GPT_NAME_UNITS = 36;

/** The fields of one GPT partition entry. */
export interface GptEntryRepr {
  readonly type: string;
  readonly guid: string;
  readonly startLba: number;
  readonly endLba: number;
  readonly attributes: bigint;
  readonly name: string;
}

/** Whether the entry at `at` is unused (PartitionTypeGUID all zero, §5.3.3). */
export function isUnusedGptEntry(array: Uint8Array, at: number): boolean {
  for (let i = 0; i < 16; i++) if (array[at + E.type + i] !== 0) return false;
  return true;
}

/** Parses the entry at byte `at` of an entry array. */
export function parseGptEntry(array: Uint8Array, at: number): GptEntryRepr {
  let name = '';
  for (let i = 0; i < GPT_NAME_UNITS; i++) {
    const o = at + E.name + 2 * i;
    const unit = array[o]! | (array[o + 1]! << 8); // UTF-16LE
    if (unit === 0) break;
    name += String.fromCharCode(unit);
  }
  let attributes = 0n;
  for (let i = 7; i >= 0; i--)
    attributes = (attributes << 8n) | BigInt(array[at + E.attributes + i]!);
  return {
    type: readGuid(array, at + E.type),
    guid: readGuid(array, at + E.guid),
    startLba: u64le(array, at + E.startLba),
    endLba: u64le(array, at + E.endLba),
    attributes,
    name,
  };
}

/** Writes the entry at byte `at` of a zeroed entry array. */
export function emitGptEntry(e: GptEntryRepr, array: Uint8Array, at: number): void {
  writeGuid(e.type, array, at + E.type);
  writeGuid(e.guid, array, at + E.guid);
  setU64le(array, at + E.startLba, e.startLba);
  setU64le(array, at + E.endLba, e.endLba);
  let attributes = e.attributes;
  for (let i = 0; i < 8; i++) {
    array[at + E.attributes + i] = Number(attributes & 0xffn);
    attributes >>= 8n;
  }
  for (let i = 0; i < e.name.length && i < GPT_NAME_UNITS; i++) {
    const unit = e.name.charCodeAt(i);
    array[at + E.name + 2 * i] = unit & 0xff;
    array[at + E.name + 2 * i + 1] = unit >> 8;
  }
}
