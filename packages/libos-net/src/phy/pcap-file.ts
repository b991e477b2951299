/**
 * The classic libpcap capture file format ("pcap", draft-ietf-opsawg-pcap §4–§5):
 * a 24-byte file header, then per packet a 16-byte record header and the bytes.
 *
 * ```text
 *   file header (24 B, little-endian here):
 *   0 magic a1b2c3d4 │ 4 major 2 │ 6 minor 4 │ 8 reserved1 │ 12 reserved2 │ 16 snaplen │ 20 linktype
 *   record header (16 B):
 *   0 seconds │ 4 microseconds │ 8 captured length │ 12 original length │ 16 packet bytes…
 * ```
 */
import { PhyError } from './phy-error.js';

/** Byte offsets in the file header (draft-ietf-opsawg-pcap §4). */
const FILE = {
  magic: 0,
  major: 4,
  minor: 6,
  reserved1: 8,
  reserved2: 12,
  snapLength: 16,
  linkType: 20,
};
/** Byte offsets in a packet record header (draft-ietf-opsawg-pcap §5). */
const RECORD = { seconds: 0, fraction: 4, capturedLength: 8, originalLength: 12 };

/** Size of the pcap file header. */
export const PCAP_FILE_HEADER_BYTES = 24;
/** Size of a pcap packet record header. */
export const PCAP_RECORD_HEADER_BYTES = 16;
/** Magic of a pcap file with microsecond timestamps (draft-ietf-opsawg-pcap §4). */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
/** LINKTYPE_ETHERNET: IEEE 802.3 frames without preamble or FCS. */
export const LINKTYPE_ETHERNET = 1;

/**
 * Receives the bytes of a pcap file in order. The chunk is lent: valid only during the
 * call (the writer reuses its header buffer and passes frames straight through), so a
 * sink that keeps data must copy it (`fs.appendFileSync` and `Buffer.concat` do).
 *
 * @example
 * ```ts
 * import type { PcapSink } from '@libos/net';
 * const chunks: Uint8Array[] = [];
 * const sink: PcapSink = (chunk) => { chunks.push(chunk.slice()); };
 * ```
 */
export type PcapSink = (chunk: Uint8Array) => void;

/**
 * Options of {@link PcapFile}.
 *
 * @example
 * ```ts
 * import { PcapFile, type PcapFileOptions } from '@libos/net';
 * const options: PcapFileOptions = { snapLength: 128 };
 * const file = new PcapFile(() => {}, options);
 * ```
 */
export interface PcapFileOptions {
  /** Longest stored part of a packet; longer ones are truncated. Default 65535. */
  readonly snapLength?: number;
  /** The link-layer header type. Default {@link LINKTYPE_ETHERNET}. */
  readonly linkType?: number;
}

function putU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function putU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
}

/**
 * A pcap encoder writing to a {@link PcapSink}, usable with or without a device: the
 * file header goes out on construction, then one record per {@link PcapFile.writePacket}.
 * Timestamps are µs (magic 0xa1b2c3d4), fields little-endian. Allocates nothing per
 * packet (frames are passed to the sink as they are, or as a truncated view).
 *
 * @example
 * ```ts
 * import { PcapFile } from '@libos/net';
 * const chunks: Uint8Array[] = [];
 * const file = new PcapFile((c) => chunks.push(c.slice()));
 * file.writePacket(new Uint8Array(60), 1_700_000_000_123_456); // at 1.7e9 s + 123456 µs
 * ```
 */
export class PcapFile {
  /** Longest stored part of a packet. */
  readonly snapLength: number;
  /** The link-layer header type in the file header. */
  readonly linkType: number;
  /** Packets written. */
  packets = 0;
  /** Bytes handed to the sink, headers included. */
  bytesWritten = 0;
  readonly #sink: PcapSink;
  readonly #record = new Uint8Array(PCAP_RECORD_HEADER_BYTES);
  #snapped: Uint8Array | undefined;

  /**
   * Writes the file header to `sink`.
   *
   * @param sink Receives the file's bytes.
   * @param options Snap length and link type.
   * @throws {@link PhyError} `INVALID_OPTION` for a snap length outside 1..2^31 − 1.
   */
  constructor(sink: PcapSink, options: PcapFileOptions = {}) {
    const snap = options.snapLength ?? 65535;
    if (!Number.isInteger(snap) || snap < 1 || snap > 0x7fffffff) {
      throw new PhyError('INVALID_OPTION', `snap length ${snap} is outside 1..2^31-1`);
    }
    const linkType = options.linkType ?? LINKTYPE_ETHERNET;
    if (!Number.isInteger(linkType) || linkType < 0 || linkType > 0xffff) {
      throw new PhyError('INVALID_OPTION', `link type ${linkType} is outside 0..65535`);
    }
    this.snapLength = snap;
    this.linkType = linkType;
    this.#sink = sink;
    const header = new Uint8Array(PCAP_FILE_HEADER_BYTES);
    putU32(header, FILE.magic, PCAP_MAGIC_MICROSECONDS);
    putU16(header, FILE.major, 2);
    putU16(header, FILE.minor, 4);
    putU32(header, FILE.reserved1, 0);
    putU32(header, FILE.reserved2, 0);
    putU32(header, FILE.snapLength, snap);
    putU32(header, FILE.linkType, linkType);
    this.#emit(header);
  }

  /**
   * Appends one packet record.
   *
   * @param packet The frame (truncated to the snap length in the file).
   * @param timestampMicros Capture time in µs since the Unix epoch (or any origin: a
   *   virtual clock's 0 shows as 1970-01-01).
   * @param originalLength The length on the wire, when `packet` is already truncated.
   */
  writePacket(packet: Uint8Array, timestampMicros: number, originalLength = packet.length): void {
    const time = Math.max(0, Math.floor(timestampMicros));
    const seconds = Math.floor(time / 1_000_000);
    const captured = Math.min(packet.length, this.snapLength);
    const record = this.#record;
    putU32(record, RECORD.seconds, seconds);
    putU32(record, RECORD.fraction, time - seconds * 1_000_000);
    putU32(record, RECORD.capturedLength, captured);
    putU32(record, RECORD.originalLength, Math.max(originalLength, captured));
    this.#emit(record);
    this.#emit(captured === packet.length ? packet : this.#truncate(packet, captured));
    this.packets++;
  }

  #truncate(packet: Uint8Array, length: number): Uint8Array {
    const buffer = this.#snapped ?? new Uint8Array(this.snapLength);
    this.#snapped = buffer;
    buffer.set(packet.subarray(0, length));
    return buffer;
  }

  #emit(chunk: Uint8Array): void {
    this.bytesWritten += chunk.length;
    this.#sink(chunk);
  }
}
