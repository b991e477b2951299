/**
 * The FAT32 FSInfo sector (fatgen103 "FAT32 FSInfo Sector Structure and Backup Boot
 * Sector"): a hint of the free cluster count and where to look for a free cluster.
 */

/** Field offsets and signatures (fatgen103 "FAT32 FSInfo Sector Structure"). */
const F = { leadSig: 0, structSig: 484, freeCount: 488, nextFree: 492, trailSig: 508 } as const;
const LEAD_SIG = 0x41615252;
const STRUCT_SIG = 0x61417272;
const TRAIL_SIG = 0xaa550000;

/** The value meaning "unknown" in both FSInfo hints. */
export const FSINFO_UNKNOWN = 0xffffffff;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
function setU32(b: Uint8Array, at: number, n: number): void {
  b[at] = n & 0xff;
  b[at + 1] = (n >>> 8) & 0xff;
  b[at + 2] = (n >>> 16) & 0xff;
  b[at + 3] = (n >>> 24) & 0xff;
}

/**
 * The hints an FSInfo sector carries. `freeCount` and `nextFree` are
 * {@link FSINFO_UNKNOWN} when not known.
 *
 * @example
 * ```ts
 * import { parseFsInfo } from '@libos/fs';
 * const info = parseFsInfo(sector);
 * if (info !== 'bad-signature') console.log(info.freeCount);
 * ```
 */
export interface FsInfoRepr {
  /** FSI_Free_Count: the last known count of free clusters. */
  readonly freeCount: number;
  /** FSI_Nxt_Free: the cluster to start looking for a free one from. */
  readonly nextFree: number;
}

/**
 * A zero-copy view of an FSInfo sector.
 *
 * @example
 * ```ts
 * import { FsInfo } from '@libos/fs';
 * const view = new FsInfo(new Uint8Array(512));
 * view.freeCount = 100;
 * ```
 */
export class FsInfo {
  /** @param bytes At least 512 bytes. */
  constructor(readonly bytes: Uint8Array) {
    if (bytes.length < 512) throw new RangeError('an FSInfo sector is 512 bytes');
  }
  /** True when the lead, struct and trail signatures are all present. */
  get hasSignatures(): boolean {
    return (
      u32(this.bytes, F.leadSig) === LEAD_SIG &&
      u32(this.bytes, F.structSig) === STRUCT_SIG &&
      u32(this.bytes, F.trailSig) === TRAIL_SIG
    );
  }
  /** FSI_Free_Count. */
  get freeCount(): number {
    return u32(this.bytes, F.freeCount);
  }
  /** Sets {@link FsInfo.freeCount}. */
  set freeCount(n: number) {
    setU32(this.bytes, F.freeCount, n);
  }
  /** FSI_Nxt_Free. */
  get nextFree(): number {
    return u32(this.bytes, F.nextFree);
  }
  /** Sets {@link FsInfo.nextFree}. */
  set nextFree(n: number) {
    setU32(this.bytes, F.nextFree, n);
  }
  /** Writes the three signatures. */
  writeSignatures(): void {
    setU32(this.bytes, F.leadSig, LEAD_SIG);
    setU32(this.bytes, F.structSig, STRUCT_SIG);
    setU32(this.bytes, F.trailSig, TRAIL_SIG);
  }
}

/**
 * Parses an FSInfo sector; `'bad-signature'` when any signature is missing.
 *
 * @param bytes The FSInfo sector.
 * @example
 * ```ts
 * import { parseFsInfo } from '@libos/fs';
 * parseFsInfo(new Uint8Array(512)); // 'bad-signature'
 * ```
 */
export function parseFsInfo(bytes: Uint8Array): FsInfoRepr | 'bad-signature' {
  const v = new FsInfo(bytes);
  if (!v.hasSignatures) return 'bad-signature';
  return { freeCount: v.freeCount, nextFree: v.nextFree };
}

/**
 * Writes an FSInfo sector (zeroing `bytes` first).
 *
 * @param repr The hints to write.
 * @param bytes A sector-sized buffer.
 * @example
 * ```ts
 * import { emitFsInfo } from '@libos/fs';
 * emitFsInfo({ freeCount: 10, nextFree: 3 }, new Uint8Array(512));
 * ```
 */
export function emitFsInfo(repr: FsInfoRepr, bytes: Uint8Array): void {
  bytes.fill(0);
  const v = new FsInfo(bytes);
  v.writeSignatures();
  v.freeCount = repr.freeCount;
  v.nextFree = repr.nextFree;
}
