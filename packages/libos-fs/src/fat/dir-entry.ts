/**
 * The 32-byte FAT directory entry (fatgen103 "FAT Directory Structure"): a zero-copy
 * view positioned anywhere in a directory buffer.
 */

/** Field offsets (fatgen103 "FAT 32 Byte Directory Entry Structure"). */
const F = {
  name: 0,
  attr: 11,
  ntRes: 12,
  crtTimeTenth: 13,
  crtTime: 14,
  crtDate: 16,
  lstAccDate: 18,
  fstClusHi: 20,
  wrtTime: 22,
  wrtDate: 24,
  fstClusLo: 26,
  fileSize: 28,
} as const;

/** Bytes in one directory entry. */
export const DIR_ENTRY_SIZE = 32;

/**
 * Directory entry attribute bits (fatgen103 "DIR_Attr").
 *
 * @example
 * ```ts
 * import { FatAttr } from '@libos/fs';
 * const isDir = (attr: number) => (attr & FatAttr.DIRECTORY) !== 0;
 * ```
 */
export const FatAttr = {
  /** ATTR_READ_ONLY. */
  READ_ONLY: 0x01,
  /** ATTR_HIDDEN. */
  HIDDEN: 0x02,
  /** ATTR_SYSTEM. */
  SYSTEM: 0x04,
  /** ATTR_VOLUME_ID. */
  VOLUME_ID: 0x08,
  /** ATTR_DIRECTORY. */
  DIRECTORY: 0x10,
  /** ATTR_ARCHIVE. */
  ARCHIVE: 0x20,
  /** ATTR_LONG_NAME: READ_ONLY | HIDDEN | SYSTEM | VOLUME_ID. */
  LONG_NAME: 0x0f,
} as const;

/** DIR_Name[0] marking a free entry (fatgen103 "DIR_Name[0]"). */
export const ENTRY_FREE = 0xe5;
/** DIR_Name[0] marking a free entry with no used entries after it. */
export const ENTRY_END = 0x00;
/** DIR_NTRes bit: the base name is shown in lower case (Windows NT, Linux vfat). */
export const NT_LOWER_BASE = 0x08;
/** DIR_NTRes bit: the extension is shown in lower case. */
export const NT_LOWER_EXT = 0x10;

/**
 * A zero-copy view of one 32-byte short directory entry at `offset` in `bytes`.
 *
 * @example
 * ```ts
 * import { DirEntry, FatAttr } from '@libos/fs';
 * const e = new DirEntry(new Uint8Array(32), 0);
 * e.attr = FatAttr.ARCHIVE;
 * e.fileSize = 1234;
 * ```
 */
export class DirEntry {
  /**
   * @param bytes The directory buffer.
   * @param offset Byte offset of the entry (a multiple of 32).
   */
  constructor(
    readonly bytes: Uint8Array,
    public offset: number,
  ) {}
  private u16(at: number): number {
    const o = this.offset + at;
    return this.bytes[o]! | (this.bytes[o + 1]! << 8);
  }
  private setU16(at: number, n: number): void {
    const o = this.offset + at;
    this.bytes[o] = n & 0xff;
    this.bytes[o + 1] = (n >>> 8) & 0xff;
  }
  /** DIR_Name[0]: 0x00 end, 0xE5 free, else the first name byte (0x05 stands for 0xE5). */
  get marker(): number {
    return this.bytes[this.offset]!;
  }
  /** Sets {@link DirEntry.marker}. */
  set marker(n: number) {
    this.bytes[this.offset] = n;
  }
  /** The raw 11-byte name (8 base + 3 extension, space padded). */
  get rawName(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + 11);
  }
  /** Copies an 11-byte name into DIR_Name. */
  setRawName(name: Uint8Array): void {
    this.bytes.set(name.subarray(0, 11), this.offset);
  }
  /** DIR_Attr. */
  get attr(): number {
    return this.bytes[this.offset + F.attr]!;
  }
  /** Sets {@link DirEntry.attr}. */
  set attr(n: number) {
    this.bytes[this.offset + F.attr] = n;
  }
  /** DIR_NTRes (lower-case flags). */
  get ntRes(): number {
    return this.bytes[this.offset + F.ntRes]!;
  }
  /** Sets {@link DirEntry.ntRes}. */
  set ntRes(n: number) {
    this.bytes[this.offset + F.ntRes] = n;
  }
  /** DIR_CrtTimeTenth: hundredths of a second, 0–199. */
  get createTenths(): number {
    return this.bytes[this.offset + F.crtTimeTenth]!;
  }
  /** Sets {@link DirEntry.createTenths}. */
  set createTenths(n: number) {
    this.bytes[this.offset + F.crtTimeTenth] = n;
  }
  /** DIR_CrtTime. */
  get createTime(): number {
    return this.u16(F.crtTime);
  }
  /** Sets {@link DirEntry.createTime}. */
  set createTime(n: number) {
    this.setU16(F.crtTime, n);
  }
  /** DIR_CrtDate. */
  get createDate(): number {
    return this.u16(F.crtDate);
  }
  /** Sets {@link DirEntry.createDate}. */
  set createDate(n: number) {
    this.setU16(F.crtDate, n);
  }
  /** DIR_LstAccDate. */
  get accessDate(): number {
    return this.u16(F.lstAccDate);
  }
  /** Sets {@link DirEntry.accessDate}. */
  set accessDate(n: number) {
    this.setU16(F.lstAccDate, n);
  }
  /** DIR_WrtTime. */
  get writeTime(): number {
    return this.u16(F.wrtTime);
  }
  /** Sets {@link DirEntry.writeTime}. */
  set writeTime(n: number) {
    this.setU16(F.wrtTime, n);
  }
  /** DIR_WrtDate. */
  get writeDate(): number {
    return this.u16(F.wrtDate);
  }
  /** Sets {@link DirEntry.writeDate}. */
  set writeDate(n: number) {
    this.setU16(F.wrtDate, n);
  }
  /** First cluster: DIR_FstClusHI << 16 | DIR_FstClusLO (HI is 0 on FAT12/16). */
  get firstCluster(): number {
    return ((this.u16(F.fstClusHi) << 16) | this.u16(F.fstClusLo)) >>> 0;
  }
  /** Sets {@link DirEntry.firstCluster}. */
  set firstCluster(n: number) {
    this.setU16(F.fstClusHi, (n >>> 16) & 0xffff);
    this.setU16(F.fstClusLo, n & 0xffff);
  }
  /** DIR_FileSize. */
  get fileSize(): number {
    const o = this.offset + F.fileSize;
    const b = this.bytes;
    return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  }
  /** Sets {@link DirEntry.fileSize}. */
  set fileSize(n: number) {
    const o = this.offset + F.fileSize;
    this.bytes[o] = n & 0xff;
    this.bytes[o + 1] = (n >>> 8) & 0xff;
    this.bytes[o + 2] = (n >>> 16) & 0xff;
    this.bytes[o + 3] = (n >>> 24) & 0xff;
  }
  /** True for a long-name entry (attribute 0x0F). */
  get isLongName(): boolean {
    return (this.attr & 0x3f) === FatAttr.LONG_NAME;
  }
}
