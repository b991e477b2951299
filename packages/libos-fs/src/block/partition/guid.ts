import { PartitionTableError } from './partition-table-error.js';

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Byte order of a GUID on disk (UEFI 2.x Appendix A): the first three fields are
 * little-endian, the last two are stored as written. Entry `i` is the index into the
 * 32 hex digits (as byte pairs) of the text form for on-disk byte `i`.
 */
const TEXT_BYTE_FOR_DISK_BYTE = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15] as const;

/**
 * Encodes a GUID in text form (`"C12A7328-F81F-11D2-BA4B-00A0C93EC93B"`, any case) into its
 * 16-byte mixed-endian on-disk form (UEFI 2.x Appendix A).
 *
 * @param text The GUID.
 * @param out Where to write the 16 bytes.
 * @param offset Byte offset in `out`.
 * @throws {@link PartitionTableError} `bad-guid` when `text` is not a GUID.
 * @example
 * ```ts
 * import { writeGuid } from '@libos/fs';
 * const bytes = new Uint8Array(16);
 * writeGuid('C12A7328-F81F-11D2-BA4B-00A0C93EC93B', bytes, 0); // bytes[0] === 0x28
 * ```
 */
export function writeGuid(text: string, out: Uint8Array, offset: number): void {
  if (!GUID_TEXT.test(text)) throw new PartitionTableError('bad-guid', `"${text}" is not a GUID`);
  const hex = text.replaceAll('-', '');
  for (let i = 0; i < 16; i++) {
    const t = TEXT_BYTE_FOR_DISK_BYTE[i]!;
    out[offset + i] = Number.parseInt(hex.slice(t * 2, t * 2 + 2), 16);
  }
}

/**
 * Decodes a 16-byte mixed-endian on-disk GUID (UEFI 2.x Appendix A) into upper-case text
 * form, as `sfdisk` and `sgdisk` print it.
 *
 * @param bytes The bytes holding the GUID.
 * @param offset Byte offset of the GUID.
 * @returns E.g. `"C12A7328-F81F-11D2-BA4B-00A0C93EC93B"`.
 * @example
 * ```ts
 * import { readGuid, writeGuid } from '@libos/fs';
 * const bytes = new Uint8Array(16);
 * writeGuid('0fc63daf-8483-4772-8e79-3d69d8477de4', bytes, 0);
 * readGuid(bytes, 0); // '0FC63DAF-8483-4772-8E79-3D69D8477DE4'
 * ```
 */
export function readGuid(bytes: Uint8Array, offset: number): string {
  const text = new Array<string>(16);
  for (let i = 0; i < 16; i++) {
    text[TEXT_BYTE_FOR_DISK_BYTE[i]!] = bytes[offset + i]!.toString(16).padStart(2, '0');
  }
  const h = text.join('').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Whether `text` is a GUID in text form.
 *
 * @param text The candidate.
 * @example
 * ```ts
 * import { isGuid } from '@libos/fs';
 * isGuid('00000000-0000-0000-0000-000000000000'); // true
 * ```
 */
export function isGuid(text: string): boolean {
  return GUID_TEXT.test(text);
}
