import { crc32 } from './crc32.js';
import { readGuid, writeGuid } from './guid.js';
import { setU32le, setU64le, u32le, u64le } from './little-endian.js';

/** GPT header field offsets (UEFI 2.x §5.3.2, table 5-5). */
const H = {
  signature: 0,
  revision: 8,
  headerSize: 12,
  headerCrc: 16,
  reserved: 20,
  myLba: 24,
  alternateLba: 32,
  firstUsableLba: 40,
  lastUsableLba: 48,
  diskGuid: 56,
  entryLba: 72,
  entryCount: 80,
  entrySize: 84,
  entryArrayCrc: 88,
} as const;

/** Size of the header fields UEFI 2.x defines; the rest of the block is reserved (zero). */
export const GPT_HEADER_SIZE = 92;
/** "EFI PART". */
const SIGNATURE = [0x45, 0x46, 0x49, 0x20, 0x50, 0x41, 0x52, 0x54] as const;
/** Revision 1.0. */
const REVISION = 0x00010000;

/** The parsed fields of a GPT header. */
export interface GptHeaderRepr {
  readonly myLba: number;
  readonly alternateLba: number;
  readonly firstUsableLba: number;
  readonly lastUsableLba: number;
  readonly diskGuid: string;
  readonly entryLba: number;
  readonly entryCount: number;
  readonly entrySize: number;
  readonly entryArrayCrc: number;
}

/** Why a header is not valid (UEFI 2.x §5.3.2 "GPT header validation"). */
export type GptHeaderProblem = 'bad-signature' | 'bad-size' | 'bad-crc';

/**
 * Parses and checks the header in `block` (one logical block): signature, header size
 * (92 … block size), and the header CRC32 computed with its own field as zero.
 */
export function parseGptHeader(block: Uint8Array): GptHeaderRepr | GptHeaderProblem {
  for (let i = 0; i < SIGNATURE.length; i++) if (block[i] !== SIGNATURE[i]) return 'bad-signature';
  const headerSize = u32le(block, H.headerSize);
  if (headerSize < GPT_HEADER_SIZE || headerSize > block.length) return 'bad-size';
  const copy = block.slice(0, headerSize);
  setU32le(copy, H.headerCrc, 0);
  if (crc32(copy) !== u32le(block, H.headerCrc)) return 'bad-crc';
  return {
    myLba: u64le(block, H.myLba),
    alternateLba: u64le(block, H.alternateLba),
    firstUsableLba: u64le(block, H.firstUsableLba),
    lastUsableLba: u64le(block, H.lastUsableLba),
    diskGuid: readGuid(block, H.diskGuid),
    entryLba: u64le(block, H.entryLba),
    entryCount: u32le(block, H.entryCount),
    entrySize: u32le(block, H.entrySize),
    entryArrayCrc: u32le(block, H.entryArrayCrc),
  };
}

/** Fills `block` (one zeroed logical block) with the header, computing its CRC32 last. */
export function emitGptHeader(h: GptHeaderRepr, block: Uint8Array): void {
  block.fill(0);
  block.set(SIGNATURE, H.signature);
  setU32le(block, H.revision, REVISION);
  setU32le(block, H.headerSize, GPT_HEADER_SIZE);
  setU64le(block, H.myLba, h.myLba);
  setU64le(block, H.alternateLba, h.alternateLba);
  setU64le(block, H.firstUsableLba, h.firstUsableLba);
  setU64le(block, H.lastUsableLba, h.lastUsableLba);
  writeGuid(h.diskGuid, block, H.diskGuid);
  setU64le(block, H.entryLba, h.entryLba);
  setU32le(block, H.entryCount, h.entryCount);
  setU32le(block, H.entrySize, h.entrySize);
  setU32le(block, H.entryArrayCrc, h.entryArrayCrc);
  setU32le(block, H.headerCrc, crc32(block.subarray(0, GPT_HEADER_SIZE)));
}
