/**
 * The FAT boot sector and BIOS Parameter Block (fatgen103 "Boot Sector and BPB
 * Structure", "FAT32 Structure Starting at Offset 36"): a zero-copy view, a Repr with
 * checked parse and emit.
 */

/** Field offsets (fatgen103 "Boot Sector and BPB Structure"). */
const F = {
  jmpBoot: 0,
  oemName: 3,
  bytesPerSector: 11,
  sectorsPerCluster: 13,
  reservedSectors: 14,
  numFats: 16,
  rootEntries: 17,
  totalSectors16: 19,
  media: 21,
  fatSize16: 22,
  sectorsPerTrack: 24,
  numHeads: 26,
  hiddenSectors: 28,
  totalSectors32: 32,
  // FAT12/16 extended BPB (offset 36)
  ext16: 36,
  // FAT32 extended BPB (offset 36)
  fatSize32: 36,
  extFlags: 40,
  fsVersion: 42,
  rootCluster: 44,
  fsInfoSector: 48,
  backupBootSector: 50,
  ext32: 64,
  signature: 510,
} as const;

/** Offsets inside the extended boot record that follows either BPB form. */
const X = {
  driveNumber: 0,
  reserved1: 1,
  bootSignature: 2,
  volumeId: 3,
  label: 7,
  fsType: 18,
} as const;

/** Bytes the boot sector occupies (the rest of a larger sector is padding). */
export const BOOT_SECTOR_SIZE = 512;

/**
 * A zero-copy view of a FAT boot sector. Getters and setters do byte arithmetic on the
 * buffer; the caller decides (with {@link parseBootSector}) whether to trust it.
 *
 * @example
 * ```ts
 * import { BootSector } from '@libos/fs';
 * const view = new BootSector(new Uint8Array(512));
 * view.bytesPerSector = 512;
 * ```
 */
export class BootSector {
  private readonly v: DataView;
  /** @param bytes At least 512 bytes: the first sector of the volume. */
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < BOOT_SECTOR_SIZE) throw new RangeError('a boot sector is 512 bytes');
    this.v = new DataView(bytes.buffer, bytes.byteOffset, BOOT_SECTOR_SIZE);
  }
  /** BPB_BytsPerSec. */
  get bytesPerSector(): number {
    return this.v.getUint16(F.bytesPerSector, true);
  }
  /** Sets {@link BootSector.bytesPerSector}. */
  set bytesPerSector(n: number) {
    this.v.setUint16(F.bytesPerSector, n, true);
  }
  /** BPB_SecPerClus. */
  get sectorsPerCluster(): number {
    return this.v.getUint8(F.sectorsPerCluster);
  }
  /** Sets {@link BootSector.sectorsPerCluster}. */
  set sectorsPerCluster(n: number) {
    this.v.setUint8(F.sectorsPerCluster, n);
  }
  /** BPB_RsvdSecCnt. */
  get reservedSectors(): number {
    return this.v.getUint16(F.reservedSectors, true);
  }
  /** Sets {@link BootSector.reservedSectors}. */
  set reservedSectors(n: number) {
    this.v.setUint16(F.reservedSectors, n, true);
  }
  /** BPB_NumFATs. */
  get numFats(): number {
    return this.v.getUint8(F.numFats);
  }
  /** Sets {@link BootSector.numFats}. */
  set numFats(n: number) {
    this.v.setUint8(F.numFats, n);
  }
  /** BPB_RootEntCnt (0 on FAT32). */
  get rootEntries(): number {
    return this.v.getUint16(F.rootEntries, true);
  }
  /** Sets {@link BootSector.rootEntries}. */
  set rootEntries(n: number) {
    this.v.setUint16(F.rootEntries, n, true);
  }
  /** BPB_TotSec16. */
  get totalSectors16(): number {
    return this.v.getUint16(F.totalSectors16, true);
  }
  /** Sets {@link BootSector.totalSectors16}. */
  set totalSectors16(n: number) {
    this.v.setUint16(F.totalSectors16, n, true);
  }
  /** BPB_Media. */
  get media(): number {
    return this.v.getUint8(F.media);
  }
  /** Sets {@link BootSector.media}. */
  set media(n: number) {
    this.v.setUint8(F.media, n);
  }
  /** BPB_FATSz16 (0 on FAT32). */
  get fatSize16(): number {
    return this.v.getUint16(F.fatSize16, true);
  }
  /** Sets {@link BootSector.fatSize16}. */
  set fatSize16(n: number) {
    this.v.setUint16(F.fatSize16, n, true);
  }
  /** BPB_SecPerTrk. */
  get sectorsPerTrack(): number {
    return this.v.getUint16(F.sectorsPerTrack, true);
  }
  /** Sets {@link BootSector.sectorsPerTrack}. */
  set sectorsPerTrack(n: number) {
    this.v.setUint16(F.sectorsPerTrack, n, true);
  }
  /** BPB_NumHeads. */
  get numHeads(): number {
    return this.v.getUint16(F.numHeads, true);
  }
  /** Sets {@link BootSector.numHeads}. */
  set numHeads(n: number) {
    this.v.setUint16(F.numHeads, n, true);
  }
  /** BPB_HiddSec. */
  get hiddenSectors(): number {
    return this.v.getUint32(F.hiddenSectors, true);
  }
  /** Sets {@link BootSector.hiddenSectors}. */
  set hiddenSectors(n: number) {
    this.v.setUint32(F.hiddenSectors, n, true);
  }
  /** BPB_TotSec32. */
  get totalSectors32(): number {
    return this.v.getUint32(F.totalSectors32, true);
  }
  /** Sets {@link BootSector.totalSectors32}. */
  set totalSectors32(n: number) {
    this.v.setUint32(F.totalSectors32, n, true);
  }
  /** BPB_FATSz32 (FAT32 layout only). */
  get fatSize32(): number {
    return this.v.getUint32(F.fatSize32, true);
  }
  /** Sets {@link BootSector.fatSize32}. */
  set fatSize32(n: number) {
    this.v.setUint32(F.fatSize32, n, true);
  }
  /** BPB_ExtFlags (FAT32 layout only). */
  get extFlags(): number {
    return this.v.getUint16(F.extFlags, true);
  }
  /** Sets {@link BootSector.extFlags}. */
  set extFlags(n: number) {
    this.v.setUint16(F.extFlags, n, true);
  }
  /** BPB_FSVer (FAT32 layout only; must be 0). */
  get fsVersion(): number {
    return this.v.getUint16(F.fsVersion, true);
  }
  /** Sets {@link BootSector.fsVersion}. */
  set fsVersion(n: number) {
    this.v.setUint16(F.fsVersion, n, true);
  }
  /** BPB_RootClus (FAT32 layout only). */
  get rootCluster(): number {
    return this.v.getUint32(F.rootCluster, true);
  }
  /** Sets {@link BootSector.rootCluster}. */
  set rootCluster(n: number) {
    this.v.setUint32(F.rootCluster, n, true);
  }
  /** BPB_FSInfo (FAT32 layout only). */
  get fsInfoSector(): number {
    return this.v.getUint16(F.fsInfoSector, true);
  }
  /** Sets {@link BootSector.fsInfoSector}. */
  set fsInfoSector(n: number) {
    this.v.setUint16(F.fsInfoSector, n, true);
  }
  /** BPB_BkBootSec (FAT32 layout only). */
  get backupBootSector(): number {
    return this.v.getUint16(F.backupBootSector, true);
  }
  /** Sets {@link BootSector.backupBootSector}. */
  set backupBootSector(n: number) {
    this.v.setUint16(F.backupBootSector, n, true);
  }
  /** True when bytes 510–511 hold 0x55 0xAA. */
  get hasSignature(): boolean {
    return this.bytes[F.signature] === 0x55 && this.bytes[F.signature + 1] === 0xaa;
  }
  /** True when the first byte is a jump instruction (0xEB xx 0x90 or 0xE9 xx xx). */
  get hasJump(): boolean {
    return this.bytes[0] === 0xeb || this.bytes[0] === 0xe9;
  }

  /** Offset of the extended boot record (36 for FAT12/16, 64 for FAT32). */
  extOffset(fat32: boolean): number {
    return fat32 ? F.ext32 : F.ext16;
  }
  /** BS_BootSig at the extended boot record. */
  bootSignature(fat32: boolean): number {
    return this.v.getUint8(this.extOffset(fat32) + X.bootSignature);
  }
  /** BS_Reserved1 (Linux keeps its dirty flag in bit 0). */
  stateFlags(fat32: boolean): number {
    return this.v.getUint8(this.extOffset(fat32) + X.reserved1);
  }
  /** BS_VolID. */
  volumeId(fat32: boolean): number {
    return this.v.getUint32(this.extOffset(fat32) + X.volumeId, true);
  }
  /** BS_VolLab as text (trailing spaces removed). */
  label(fat32: boolean): string {
    const at = this.extOffset(fat32) + X.label;
    return String.fromCharCode(...this.bytes.subarray(at, at + 11)).replace(/ +$/, '');
  }

  /** Writes the fixed fields every boot sector carries: jump, OEM name, signature. */
  writeFrame(): void {
    this.bytes.set([0xeb, 0x3c, 0x90], F.jmpBoot);
    this.bytes.set(ascii('MSWIN4.1', 8), F.oemName);
    this.bytes[F.signature] = 0x55;
    this.bytes[F.signature + 1] = 0xaa;
  }
  /** Writes the extended boot record (drive number 0x80, signature 0x29, id, label, type). */
  writeExtended(fat32: boolean, volumeId: number, label: string, fsType: string): void {
    const at = this.extOffset(fat32);
    if (fat32) this.bytes[1] = 0x58;
    this.v.setUint8(at + X.driveNumber, 0x80);
    this.v.setUint8(at + X.reserved1, 0);
    this.v.setUint8(at + X.bootSignature, 0x29);
    this.v.setUint32(at + X.volumeId, volumeId >>> 0, true);
    this.bytes.set(ascii(label, 11), at + X.label);
    this.bytes.set(ascii(fsType, 8), at + X.fsType);
  }
}

function ascii(text: string, width: number): Uint8Array {
  const out = new Uint8Array(width).fill(0x20);
  for (let i = 0; i < Math.min(text.length, width); i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

/**
 * The FAT variant, decided only by the count of clusters (fatgen103 "FAT Type
 * Determination").
 *
 * @example
 * ```ts
 * import type { FatType } from '@libos/fs';
 * const bits = (t: FatType) => t; // 12, 16 or 32
 * ```
 */
export type FatType = 12 | 16 | 32;

/**
 * Why a boot sector is not a usable FAT volume.
 *
 * @example
 * ```ts
 * import type { BootSectorProblem } from '@libos/fs';
 * const explain = (p: BootSectorProblem) => `not FAT: ${p}`;
 * ```
 */
export type BootSectorProblem =
  | 'no-signature'
  | 'bad-jump'
  | 'bad-sector-size'
  | 'bad-cluster-size'
  | 'bad-reserved-sectors'
  | 'bad-fat-count'
  | 'bad-root-entries'
  | 'bad-total-sectors'
  | 'bad-fat-size'
  | 'bad-root-cluster'
  | 'bad-fsinfo-sector'
  | 'too-few-clusters';

/**
 * The parsed and derived geometry of a FAT volume: BPB fields plus the region
 * positions computed from them (fatgen103 "FAT Data Structure" formulas).
 *
 * @example
 * ```ts
 * import { parseBootSector } from '@libos/fs';
 * const repr = parseBootSector(sector0);
 * if (typeof repr !== 'string') console.log(repr.type, repr.clusterCount);
 * ```
 */
export interface BootSectorRepr {
  /** FAT12, FAT16 or FAT32, by cluster count. */
  readonly type: FatType;
  /** Bytes per sector. */
  readonly bytesPerSector: number;
  /** Sectors per cluster (power of two, 1–128). */
  readonly sectorsPerCluster: number;
  /** Sectors before the first FAT. */
  readonly reservedSectors: number;
  /** Number of FAT copies. */
  readonly numFats: number;
  /** Root directory entries (FAT12/16; 0 on FAT32). */
  readonly rootEntries: number;
  /** Sectors on the volume. */
  readonly totalSectors: number;
  /** Media descriptor byte. */
  readonly media: number;
  /** Sectors per FAT copy. */
  readonly fatSectors: number;
  /** First cluster of the root directory (FAT32; 0 otherwise). */
  readonly rootCluster: number;
  /** Sector of the FSInfo structure (FAT32; 0 otherwise). */
  readonly fsInfoSector: number;
  /** Sector of the backup boot sector (FAT32; 0 when none). */
  readonly backupBootSector: number;
  /** Volume serial number (0 when there is no extended boot record). */
  readonly volumeId: number;
  /** Volume label from the boot sector. */
  readonly label: string;
  /** First sector of the fixed root directory (FAT12/16). */
  readonly rootDirSector: number;
  /** Sectors of the fixed root directory (0 on FAT32). */
  readonly rootDirSectors: number;
  /** First sector of cluster 2. */
  readonly firstDataSector: number;
  /** Count of data clusters; valid cluster numbers are 2 … clusterCount + 1. */
  readonly clusterCount: number;
  /** Sectors per track, kept for emit. */
  readonly sectorsPerTrack: number;
  /** Heads, kept for emit. */
  readonly numHeads: number;
}

/**
 * Parses and validates a boot sector. Returns the geometry or what is wrong with it.
 *
 * @param bytes The first sector (≥ 512 bytes).
 * @example
 * ```ts
 * import { parseBootSector } from '@libos/fs';
 * const repr = parseBootSector(new Uint8Array(512)); // 'no-signature'
 * ```
 */
export function parseBootSector(bytes: Uint8Array): BootSectorRepr | BootSectorProblem {
  if (bytes.length < BOOT_SECTOR_SIZE) return 'no-signature';
  const b = new BootSector(bytes);
  if (!b.hasSignature) return 'no-signature';
  if (!b.hasJump) return 'bad-jump';
  const bps = b.bytesPerSector;
  if (bps < 512 || bps > 4096 || (bps & (bps - 1)) !== 0) return 'bad-sector-size';
  const spc = b.sectorsPerCluster;
  if (spc < 1 || spc > 128 || (spc & (spc - 1)) !== 0) return 'bad-cluster-size';
  if (b.reservedSectors < 1) return 'bad-reserved-sectors';
  if (b.numFats < 1) return 'bad-fat-count';
  const fat32Layout = b.fatSize16 === 0;
  const rootEntries = b.rootEntries;
  if (fat32Layout ? rootEntries !== 0 : rootEntries === 0 || (rootEntries * 32) % bps !== 0) {
    return 'bad-root-entries';
  }
  const totalSectors = b.totalSectors16 !== 0 ? b.totalSectors16 : b.totalSectors32;
  const fatSectors = fat32Layout ? b.fatSize32 : b.fatSize16;
  if (fatSectors === 0) return 'bad-fat-size';
  const rootDirSectors = Math.ceil((rootEntries * 32) / bps);
  const rootDirSector = b.reservedSectors + b.numFats * fatSectors;
  const firstDataSector = rootDirSector + rootDirSectors;
  if (totalSectors <= firstDataSector) return 'bad-total-sectors';
  const clusterCount = Math.floor((totalSectors - firstDataSector) / spc);
  if (clusterCount < 1) return 'too-few-clusters';
  // fatgen103 "FAT Type Determination": the count of clusters alone decides.
  const type: FatType = clusterCount < 4085 ? 12 : clusterCount < 65525 ? 16 : 32;
  if ((type === 32) !== fat32Layout) return 'bad-fat-size';
  const fatBytesNeeded =
    type === 12 ? Math.ceil(((clusterCount + 2) * 3) / 2) : (clusterCount + 2) * (type / 8);
  if (fatSectors * bps < fatBytesNeeded) return 'bad-fat-size';
  let rootCluster = 0;
  let fsInfoSector = 0;
  let backupBootSector = 0;
  if (type === 32) {
    rootCluster = b.rootCluster;
    if (rootCluster < 2 || rootCluster > clusterCount + 1) return 'bad-root-cluster';
    fsInfoSector = b.fsInfoSector;
    if (fsInfoSector === 0 || fsInfoSector === 0xffff) fsInfoSector = 0;
    else if (fsInfoSector >= b.reservedSectors) return 'bad-fsinfo-sector';
    backupBootSector = b.backupBootSector;
    if (backupBootSector === 0xffff || backupBootSector >= b.reservedSectors) backupBootSector = 0;
  }
  const extended = b.bootSignature(type === 32) === 0x29;
  return {
    type,
    bytesPerSector: bps,
    sectorsPerCluster: spc,
    reservedSectors: b.reservedSectors,
    numFats: b.numFats,
    rootEntries,
    totalSectors,
    media: b.media,
    fatSectors,
    rootCluster,
    fsInfoSector,
    backupBootSector,
    volumeId: extended ? b.volumeId(type === 32) : 0,
    label: extended ? b.label(type === 32) : '',
    rootDirSector,
    rootDirSectors,
    firstDataSector,
    clusterCount,
    sectorsPerTrack: b.sectorsPerTrack,
    numHeads: b.numHeads,
  };
}

/**
 * Writes a boot sector for `repr` into `bytes` (zeroing it first): jump, OEM name, BPB,
 * extended boot record and signature.
 *
 * @param repr The geometry to write.
 * @param bytes A sector-sized buffer (≥ 512 bytes).
 * @example
 * ```ts
 * import { emitBootSector, parseBootSector } from '@libos/fs';
 * const copy = new Uint8Array(512);
 * emitBootSector(repr, copy); // parseBootSector(copy) equals repr
 * ```
 */
export function emitBootSector(repr: BootSectorRepr, bytes: Uint8Array): void {
  bytes.fill(0);
  const b = new BootSector(bytes);
  const fat32 = repr.type === 32;
  b.writeFrame();
  b.bytesPerSector = repr.bytesPerSector;
  b.sectorsPerCluster = repr.sectorsPerCluster;
  b.reservedSectors = repr.reservedSectors;
  b.numFats = repr.numFats;
  b.rootEntries = repr.rootEntries;
  if (!fat32 && repr.totalSectors < 0x10000) b.totalSectors16 = repr.totalSectors;
  else b.totalSectors32 = repr.totalSectors;
  b.media = repr.media;
  b.sectorsPerTrack = repr.sectorsPerTrack;
  b.numHeads = repr.numHeads;
  if (fat32) {
    b.fatSize32 = repr.fatSectors;
    b.rootCluster = repr.rootCluster;
    b.fsInfoSector = repr.fsInfoSector;
    b.backupBootSector = repr.backupBootSector;
  } else {
    b.fatSize16 = repr.fatSectors;
  }
  b.writeExtended(
    fat32,
    repr.volumeId,
    repr.label === '' ? 'NO NAME' : repr.label,
    `FAT${repr.type}`,
  );
}
