/**
 * VFAT long-name directory entries (fatgen103 "FAT Long Directory Entries"): 13 UCS-2
 * units per entry, stored in reverse order before the short entry they belong to, tied
 * to it by a checksum of the 11-byte short name.
 */
import { FatAttr } from './dir-entry.js';

/** Byte offsets of the 13 name units inside a long entry (LDIR_Name1/2/3). */
const UNIT_OFFSETS = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30] as const;
/** Field offsets (fatgen103 "FAT Long Directory Entries"). */
const F = { ord: 0, attr: 11, type: 12, chksum: 13, fstClusLo: 26 } as const;

/** Name units carried by one long entry. */
export const LFN_UNITS_PER_ENTRY = 13;
/** LDIR_Ord bit marking the last (first stored) entry of a set. */
export const LFN_LAST = 0x40;
/** Longest long name in UTF-16 units. */
export const LFN_MAX_UNITS = 255;

/**
 * The checksum of an 11-byte short name that every long entry of its set carries
 * (fatgen103 "ChkSum"): rotate the sum right by one bit, then add the next byte.
 *
 * @param shortName The 11 bytes of DIR_Name.
 * @example
 * ```ts
 * import { lfnChecksum } from '@libos/fs';
 * lfnChecksum(new TextEncoder().encode('README  TXT')); // a byte, 0–255
 * ```
 */
export function lfnChecksum(shortName: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((((sum & 1) << 7) | (sum >> 1)) + shortName[i]!) & 0xff;
  return sum;
}

/**
 * A zero-copy view of one long-name entry at `offset` in `bytes`.
 *
 * @example
 * ```ts
 * import { LfnEntry } from '@libos/fs';
 * const e = new LfnEntry(new Uint8Array(32), 0);
 * e.write(1 | 0x40, 0x12, 'hello.txt', 0);
 * e.unit(0); // 0x68 ('h')
 * ```
 */
export class LfnEntry {
  /**
   * @param bytes The directory buffer.
   * @param offset Byte offset of the entry.
   */
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
  ) {}
  /** LDIR_Ord: sequence number 1–20, with {@link LFN_LAST} on the last one. */
  get ordinal(): number {
    return this.bytes[this.offset + F.ord]!;
  }
  /** LDIR_Chksum. */
  get checksum(): number {
    return this.bytes[this.offset + F.chksum]!;
  }
  /** LDIR_Type (0 for name entries). */
  get type(): number {
    return this.bytes[this.offset + F.type]!;
  }
  /** LDIR_FstClusLO, which must be 0. */
  get firstClusterLo(): number {
    return (
      this.bytes[this.offset + F.fstClusLo]! | (this.bytes[this.offset + F.fstClusLo + 1]! << 8)
    );
  }
  /** Name unit `i` (0–12). */
  unit(i: number): number {
    const at = this.offset + UNIT_OFFSETS[i]!;
    return this.bytes[at]! | (this.bytes[at + 1]! << 8);
  }
  /**
   * Fills the entry: ordinal, checksum, and the 13 units of `name` starting at `start`
   * (a 0x0000 terminator after the name's end, then 0xFFFF padding).
   *
   * @param ordinal LDIR_Ord, including {@link LFN_LAST} when this is the last piece.
   * @param checksum {@link lfnChecksum} of the short name.
   * @param name The whole long name.
   * @param start Index of this entry's first unit in `name`.
   */
  write(ordinal: number, checksum: number, name: string, start: number): void {
    const b = this.bytes;
    const o = this.offset;
    b.fill(0, o, o + 32);
    b[o + F.ord] = ordinal;
    b[o + F.attr] = FatAttr.LONG_NAME;
    b[o + F.type] = 0;
    b[o + F.chksum] = checksum;
    for (let i = 0; i < LFN_UNITS_PER_ENTRY; i++) {
      const k = start + i;
      const u = k < name.length ? name.charCodeAt(k) : k === name.length ? 0 : 0xffff;
      const at = o + UNIT_OFFSETS[i]!;
      b[at] = u & 0xff;
      b[at + 1] = u >>> 8;
    }
  }
}
