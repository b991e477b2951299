import { setU32le, u32le } from './little-endian.js';

/**
 * Layout of the legacy MBR (UEFI 2.x §5.2.1, table 5-1) and of one partition record in it
 * (table 5-2). Extended boot records use the same layout.
 *
 * ```text
 *   0 ┌──────────────────────┐      record (16 bytes)
 *     │ boot code (440)      │      0  boot indicator (0x80 = bootable)
 * 440 │ disk signature (4)   │      1  starting CHS (3)
 * 444 │ unknown (2)          │      4  OS type
 * 446 │ 4 partition records  │      5  ending CHS (3)
 * 510 │ 0x55 0xAA            │      8  starting LBA (4, LE)
 *     └──────────────────────┘     12  size in LBA (4, LE)
 * ```
 */
export const MBR = {
  diskSignature: 440,
  records: 446,
  recordSize: 16,
  signature: 510,
  size: 512,
  rec: { bootIndicator: 0, startChs: 1, osType: 4, endChs: 5, startLba: 8, sizeLba: 12 },
} as const;

/** Partition type bytes of extended partitions (chains of EBRs). */
export const EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);

/** OS type of the protective MBR record that guards a GPT (UEFI 2.x §5.2.3). */
export const PROTECTIVE_TYPE = 0xee;

/** Whether the sector ends in the boot signature 0x55 0xAA. */
export function hasBootSignature(sector: Uint8Array): boolean {
  return sector[MBR.signature] === 0x55 && sector[MBR.signature + 1] === 0xaa;
}

/** A zero-copy view of one 16-byte partition record in an MBR or EBR sector. */
export class MbrRecordView {
  readonly #b: Uint8Array;
  readonly #at: number;

  /**
   * @param sector The MBR or EBR sector.
   * @param index Record 0–3.
   */
  constructor(sector: Uint8Array, index: number) {
    this.#b = sector;
    this.#at = MBR.records + index * MBR.recordSize;
  }

  get bootable(): boolean {
    return this.#b[this.#at + MBR.rec.bootIndicator] === 0x80;
  }
  set bootable(v: boolean) {
    this.#b[this.#at + MBR.rec.bootIndicator] = v ? 0x80 : 0;
  }
  get osType(): number {
    return this.#b[this.#at + MBR.rec.osType]!;
  }
  set osType(v: number) {
    this.#b[this.#at + MBR.rec.osType] = v;
  }
  get startLba(): number {
    return u32le(this.#b, this.#at + MBR.rec.startLba);
  }
  set startLba(v: number) {
    setU32le(this.#b, this.#at + MBR.rec.startLba, v);
  }
  get sizeLba(): number {
    return u32le(this.#b, this.#at + MBR.rec.sizeLba);
  }
  set sizeLba(v: number) {
    setU32le(this.#b, this.#at + MBR.rec.sizeLba, v);
  }

  /** Sets both CHS fields from LBAs, on the conventional 255-head, 63-sector geometry. */
  setChs(startLba: number, endLba: number): void {
    writeChs(this.#b, this.#at + MBR.rec.startChs, startLba);
    writeChs(this.#b, this.#at + MBR.rec.endChs, endLba);
  }

  /** Zeroes the record (an unused entry). */
  clear(): void {
    this.#b.fill(0, this.#at, this.#at + MBR.recordSize);
  }
}

/**
 * Encodes an LBA as a CHS triple (head; sector | cylinder bits 8–9 << 6; cylinder bits 0–7)
 * for 255 heads × 63 sectors; LBAs past cylinder 1023 get the customary maximum
 * 0xFE 0xFF 0xFF.
 */
function writeChs(b: Uint8Array, at: number, lba: number): void {
  const sectorsPerTrack = 63;
  const heads = 255;
  const cylinder = Math.floor(lba / (heads * sectorsPerTrack));
  if (cylinder > 1023) {
    b[at] = 0xfe;
    b[at + 1] = 0xff;
    b[at + 2] = 0xff;
    return;
  }
  const head = Math.floor(lba / sectorsPerTrack) % heads;
  const sector = (lba % sectorsPerTrack) + 1;
  b[at] = head;
  b[at + 1] = sector | ((cylinder >> 2) & 0xc0);
  b[at + 2] = cylinder & 0xff;
}
