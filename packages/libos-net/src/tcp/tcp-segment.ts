/**
 * TCP segments (RFC 9293 §3.1 "Header Format"): a zero-copy view with checked
 * construction, and the {@link TcpRepr} value.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    [Options]                  |   [Padding]   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             data ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { readU16, readU32, writeU16, writeU32 } from '../wire/bytes.js';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from '../wire/checksum.js';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import { requireSpace, requireUint, WireFormatError } from '../wire/wire-error.js';
import {
  emitTcpOptions,
  parseTcpOptions,
  TCP_MAX_OPTIONS_LENGTH,
  type TcpOptions,
  tcpOptionsLength,
} from './tcp-options.js';

/** Field offsets of the TCP header (RFC 9293 §3.1). */
const Field = {
  SOURCE_PORT: 0,
  DESTINATION_PORT: 2,
  SEQUENCE_NUMBER: 4,
  ACKNOWLEDGMENT_NUMBER: 8,
  DATA_OFFSET: 12, // high nibble; the low nibble is reserved
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT_POINTER: 18,
} as const;

/** IANA protocol number of TCP, for the pseudo header. */
const PROTOCOL_TCP = 6;

/**
 * The control bits of byte 13 (RFC 9293 §3.1; CWR and ECE from RFC 3168 §6.1).
 *
 * @example
 * ```ts
 * import { TcpFlags } from '@libos/net';
 * const synAck = TcpFlags.SYN | TcpFlags.ACK; // 0x12
 * ```
 */
export const TcpFlags = {
  /** No more data from sender. */
  FIN: 1,
  /** Synchronize sequence numbers. */
  SYN: 2,
  /** Reset the connection. */
  RST: 4,
  /** Push function. */
  PSH: 8,
  /** Acknowledgment field is significant. */
  ACK: 16,
  /** Urgent pointer field is significant. */
  URG: 32,
  /** ECN-Echo (RFC 3168). */
  ECE: 64,
  /** Congestion Window Reduced (RFC 3168). */
  CWR: 128,
} as const;

/**
 * Length of a TCP header without options (data offset 5).
 *
 * @example
 * ```ts
 * import { TCP_MIN_HEADER_LENGTH } from '@libos/net';
 * const mss = 1500 - 20 - TCP_MIN_HEADER_LENGTH; // 1460
 * ```
 */
export const TCP_MIN_HEADER_LENGTH = 20;

/** Largest header: data offset 15 words (RFC 9293 §3.1). */
const TCP_MAX_HEADER_LENGTH = TCP_MIN_HEADER_LENGTH + TCP_MAX_OPTIONS_LENGTH;

/**
 * Why {@link TcpSegment.check} rejected bytes: `'truncated'` when shorter than the
 * 20-byte fixed header, `'bad-data-offset'` when the data offset is below 5 words or
 * the header it describes is longer than the bytes.
 *
 * @example
 * ```ts
 * import { TcpSegment, type TcpWireError } from '@libos/net';
 * const result: TcpSegment | TcpWireError = TcpSegment.check(new Uint8Array(10)); // 'truncated'
 * ```
 */
export type TcpWireError = 'truncated' | 'bad-data-offset';

/**
 * A zero-copy view of a TCP segment: the whole IP payload, header then data. Setters do
 * not update the checksum — call {@link TcpSegment.fillChecksum} last.
 *
 * @example
 * ```ts
 * import { TcpFlags, TcpSegment } from '@libos/net';
 * const tcp = TcpSegment.check(ip.payload);
 * if (typeof tcp !== 'string' && tcp.verifyChecksum(ip.source, ip.destination)) {
 *   if (tcp.flags & TcpFlags.SYN) console.log('SYN to port', tcp.destinationPort);
 * }
 * ```
 */
export class TcpSegment {
  /**
   * Wraps `bytes` without any check: only for buffers the caller laid out itself. Use
   * {@link TcpSegment.check} for received segments.
   *
   * @param bytes The segment, starting at the source port and ending after the data.
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes after checking that the data offset is consistent with them.
   * The options and the checksum are not checked here.
   *
   * @param bytes The IP payload: header, options and data.
   * @returns The view, or why not (see {@link TcpWireError}).
   */
  static check(bytes: Uint8Array): TcpSegment | TcpWireError {
    if (bytes.length < TCP_MIN_HEADER_LENGTH) return 'truncated';
    const headerLength = (bytes[Field.DATA_OFFSET]! >>> 4) * 4;
    if (headerLength < TCP_MIN_HEADER_LENGTH || headerLength > bytes.length) {
      return 'bad-data-offset';
    }
    return new TcpSegment(bytes);
  }

  /** Source port. */
  get sourcePort(): number {
    return readU16(this.bytes, Field.SOURCE_PORT);
  }

  /** Writes `sourcePort` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set sourcePort(value: number) {
    requireUint(value, 0xffff, 'TCP source port');
    writeU16(this.bytes, Field.SOURCE_PORT, value);
  }

  /** Destination port. */
  get destinationPort(): number {
    return readU16(this.bytes, Field.DESTINATION_PORT);
  }

  /** Writes `destinationPort` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set destinationPort(value: number) {
    requireUint(value, 0xffff, 'TCP destination port');
    writeU16(this.bytes, Field.DESTINATION_PORT, value);
  }

  /** Sequence number of the first data byte (of the SYN when SYN is set), uint32. */
  get sequenceNumber(): number {
    return readU32(this.bytes, Field.SEQUENCE_NUMBER);
  }

  /** Writes `sequenceNumber` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set sequenceNumber(value: number) {
    requireUint(value, 0xffff_ffff, 'TCP sequence number');
    writeU32(this.bytes, Field.SEQUENCE_NUMBER, value);
  }

  /** The next sequence number the sender expects, uint32; meaningful when ACK is set. */
  get acknowledgmentNumber(): number {
    return readU32(this.bytes, Field.ACKNOWLEDGMENT_NUMBER);
  }

  /** Writes `acknowledgmentNumber` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set acknowledgmentNumber(value: number) {
    requireUint(value, 0xffff_ffff, 'TCP acknowledgment number');
    writeU32(this.bytes, Field.ACKNOWLEDGMENT_NUMBER, value);
  }

  /** Header length in bytes including options: the data offset field × 4, `20..60` when checked. */
  get headerLength(): number {
    return (this.bytes[Field.DATA_OFFSET]! >>> 4) * 4;
  }

  /**
   * Writes the data offset for a header of `value` bytes, keeping the reserved bits.
   * Throws {@link WireFormatError} `EINVAL` unless a multiple of 4 in `20..60`.
   */
  set headerLength(value: number) {
    if (
      !Number.isInteger(value) ||
      value < TCP_MIN_HEADER_LENGTH ||
      value > TCP_MAX_HEADER_LENGTH ||
      value % 4 !== 0
    ) {
      throw new WireFormatError(
        'EINVAL',
        `TCP header length must be a multiple of 4 in 20..60, got ${value}`,
      );
    }
    const byte = this.bytes[Field.DATA_OFFSET]!;
    this.bytes[Field.DATA_OFFSET] = ((value / 4) << 4) | (byte & 0x0f);
  }

  /** The control bits (byte 13), a combination of {@link TcpFlags}. */
  get flags(): number {
    return this.bytes[Field.FLAGS]!;
  }

  /** Writes the control bits in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set flags(value: number) {
    requireUint(value, 0xff, 'TCP flags');
    this.bytes[Field.FLAGS] = value;
  }

  /** The window field as sent, before any window scaling (RFC 7323 §2.3). */
  get window(): number {
    return readU16(this.bytes, Field.WINDOW);
  }

  /** Writes `window` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set window(value: number) {
    requireUint(value, 0xffff, 'TCP window');
    writeU16(this.bytes, Field.WINDOW, value);
  }

  /** The checksum field as stored. */
  get checksum(): number {
    return readU16(this.bytes, Field.CHECKSUM);
  }

  /** Writes the checksum field as given. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set checksum(value: number) {
    requireUint(value, 0xffff, 'TCP checksum');
    writeU16(this.bytes, Field.CHECKSUM, value);
  }

  /** The urgent pointer: an offset from the sequence number, meaningful when URG is set. */
  get urgentPointer(): number {
    return readU16(this.bytes, Field.URGENT_POINTER);
  }

  /** Writes `urgentPointer` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set urgentPointer(value: number) {
    requireUint(value, 0xffff, 'TCP urgent pointer');
    writeU16(this.bytes, Field.URGENT_POINTER, value);
  }

  /** The options area (bytes 20..headerLength), a view; empty without options. */
  get options(): Uint8Array {
    return this.bytes.subarray(TCP_MIN_HEADER_LENGTH, this.headerLength);
  }

  /** The data after the header, a view. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength);
  }

  /**
   * Whether the checksum over pseudo header, header and data is correct (RFC 9293
   * §3.1 "Checksum"). Unlike UDP, a zero field has no special meaning.
   *
   * @param source IPv4 source address of the carrying packet.
   * @param destination IPv4 destination address of the carrying packet.
   */
  verifyChecksum(source: Ipv4Address, destination: Ipv4Address): boolean {
    const pseudo = ipv4PseudoHeaderSum(source, destination, PROTOCOL_TCP, this.bytes.length);
    return onesComplementSum(this.bytes, pseudo) === 0xffff;
  }

  /**
   * Computes the checksum over pseudo header, header and data and stores it
   * (RFC 9293 §3.1 "Checksum").
   *
   * @param source IPv4 source address of the carrying packet.
   * @param destination IPv4 destination address of the carrying packet.
   */
  fillChecksum(source: Ipv4Address, destination: Ipv4Address): void {
    writeU16(this.bytes, Field.CHECKSUM, 0);
    writeU16(
      this.bytes,
      Field.CHECKSUM,
      tcpChecksum(this.bytes, this.bytes.length, source, destination),
    );
  }
}

/** The checksum field value for the first `length` bytes of a segment whose checksum field is 0. */
function tcpChecksum(
  bytes: Uint8Array,
  length: number,
  source: Ipv4Address,
  destination: Ipv4Address,
): number {
  const pseudo = ipv4PseudoHeaderSum(source, destination, PROTOCOL_TCP, length);
  return finishChecksum(onesComplementSum(bytes.subarray(0, length), pseudo));
}

/**
 * The meaning of a TCP header, detached from any buffer. The urgent pointer is not
 * represented: {@link emitTcpRepr} writes 0 and {@link parseTcpRepr} ignores it.
 *
 * @example
 * ```ts
 * import { TcpFlags, type TcpRepr } from '@libos/net';
 * const syn: TcpRepr = {
 *   sourcePort: 49152,
 *   destinationPort: 80,
 *   sequenceNumber: 0x1234_5678,
 *   acknowledgmentNumber: 0,
 *   flags: TcpFlags.SYN,
 *   window: 64240,
 *   options: { mss: 1460, sackPermitted: true, windowScale: 7 },
 *   payloadLength: 0,
 * };
 * ```
 */
export interface TcpRepr {
  /** Source port. */
  readonly sourcePort: number;
  /** Destination port. */
  readonly destinationPort: number;
  /** Sequence number, uint32. */
  readonly sequenceNumber: number;
  /** Acknowledgment number, uint32 (0 when ACK is clear, by convention). */
  readonly acknowledgmentNumber: number;
  /** Control bits, a combination of {@link TcpFlags}. */
  readonly flags: number;
  /** The window field as sent (unscaled), `0..65535`. */
  readonly window: number;
  /** The options. */
  readonly options: TcpOptions;
  /** Bytes of data after the header. */
  readonly payloadLength: number;
}

/**
 * Reads a checked segment's header into a {@link TcpRepr}, verifying the checksum
 * unless the caller already has (or the device did), and parsing the options with
 * {@link parseTcpOptions}.
 *
 * @param segment A checked segment.
 * @param source IPv4 source address of the carrying packet.
 * @param destination IPv4 destination address of the carrying packet.
 * @param options `checksumVerified: true` skips the checksum check.
 * @returns The repr, `'bad-checksum'`, or `'malformed-options'`.
 * @example
 * ```ts
 * import { parseTcpRepr, TcpSegment } from '@libos/net';
 * const tcp = TcpSegment.check(ip.payload);
 * if (typeof tcp !== 'string') {
 *   const repr = parseTcpRepr(tcp, ip.source, ip.destination);
 *   if (typeof repr !== 'string') deliver(repr, tcp.payload);
 * }
 * ```
 */
export function parseTcpRepr(
  segment: TcpSegment,
  source: Ipv4Address,
  destination: Ipv4Address,
  options?: { readonly checksumVerified?: boolean },
): TcpRepr | 'bad-checksum' | 'malformed-options' {
  if (options?.checksumVerified !== true && !segment.verifyChecksum(source, destination)) {
    return 'bad-checksum';
  }
  const headerLength = segment.headerLength;
  const tcpOptions = parseTcpOptions(segment.bytes.subarray(TCP_MIN_HEADER_LENGTH, headerLength));
  if (tcpOptions === 'malformed') return 'malformed-options';
  return {
    sourcePort: segment.sourcePort,
    destinationPort: segment.destinationPort,
    sequenceNumber: segment.sequenceNumber,
    acknowledgmentNumber: segment.acknowledgmentNumber,
    flags: segment.flags,
    window: segment.window,
    options: tcpOptions,
    payloadLength: segment.bytes.length - headerLength,
  };
}

/**
 * Header length in bytes (fixed header plus options) that {@link emitTcpRepr} writes
 * for `repr`: where its payload starts.
 *
 * @param repr The header.
 * @throws {@link WireFormatError} `EINVAL` when the options exceed 40 bytes.
 * @example
 * ```ts
 * import { tcpReprHeaderLength } from '@libos/net';
 * tcpReprHeaderLength({
 *   sourcePort: 1, destinationPort: 2, sequenceNumber: 0, acknowledgmentNumber: 0,
 *   flags: 2, window: 65535, options: { mss: 1460 }, payloadLength: 0,
 * }); // 24
 * ```
 */
export function tcpReprHeaderLength(repr: TcpRepr): number {
  return TCP_MIN_HEADER_LENGTH + tcpOptionsLength(repr.options);
}

/**
 * Writes the header and options described by `repr` at the start of `buffer`. With
 * `options.checksum` (the default) the checksum covers the pseudo header, the header
 * and the `payloadLength` bytes the caller has ALREADY placed at
 * `buffer[tcpReprHeaderLength(repr)..]`; with `checksum: false` the field is 0 (left to
 * offload). The reserved bits and the urgent pointer are written as 0.
 *
 * @param repr The header.
 * @param buffer Destination; holds the payload after the header when checksumming.
 * @param source IPv4 source address of the carrying packet.
 * @param destination IPv4 destination address of the carrying packet.
 * @param options `checksum` (default true) computes the checksum.
 * @returns The header length written ({@link tcpReprHeaderLength}).
 * @throws {@link WireFormatError} `ENOSPC` when `buffer` is too short for the header
 *   (or, when checksumming, header plus payload), `EINVAL` for a field out of range.
 * @example
 * ```ts
 * import { emitTcpRepr, parseIpv4Address, TcpFlags } from '@libos/net';
 * const buffer = new Uint8Array(20 + 5);
 * buffer.set(new TextEncoder().encode('hello'), 20); // payload first
 * emitTcpRepr(
 *   {
 *     sourcePort: 49152, destinationPort: 7, sequenceNumber: 1000, acknowledgmentNumber: 2000,
 *     flags: TcpFlags.ACK | TcpFlags.PSH, window: 502, options: {}, payloadLength: 5,
 *   },
 *   buffer,
 *   parseIpv4Address('10.0.2.15'),
 *   parseIpv4Address('10.0.2.2'),
 * ); // 20
 * ```
 */
export function emitTcpRepr(
  repr: TcpRepr,
  buffer: Uint8Array,
  source: Ipv4Address,
  destination: Ipv4Address,
  options?: { readonly checksum?: boolean },
): number {
  requireUint(repr.sourcePort, 0xffff, 'TCP source port');
  requireUint(repr.destinationPort, 0xffff, 'TCP destination port');
  requireUint(repr.sequenceNumber, 0xffff_ffff, 'TCP sequence number');
  requireUint(repr.acknowledgmentNumber, 0xffff_ffff, 'TCP acknowledgment number');
  requireUint(repr.flags, 0xff, 'TCP flags');
  requireUint(repr.window, 0xffff, 'TCP window');
  const headerLength = TCP_MIN_HEADER_LENGTH + tcpOptionsLength(repr.options);
  // The pseudo header's TCP length is 16 bits (RFC 9293 §3.1).
  requireUint(repr.payloadLength, 0xffff - headerLength, 'TCP payload length');
  const length = headerLength + repr.payloadLength;
  const checksum = options?.checksum !== false;
  requireSpace(buffer, checksum ? length : headerLength, 'a TCP segment');
  emitTcpOptions(repr.options, buffer.subarray(TCP_MIN_HEADER_LENGTH, headerLength));
  writeU16(buffer, Field.SOURCE_PORT, repr.sourcePort);
  writeU16(buffer, Field.DESTINATION_PORT, repr.destinationPort);
  writeU32(buffer, Field.SEQUENCE_NUMBER, repr.sequenceNumber);
  writeU32(buffer, Field.ACKNOWLEDGMENT_NUMBER, repr.acknowledgmentNumber);
  buffer[Field.DATA_OFFSET] = (headerLength / 4) << 4;
  buffer[Field.FLAGS] = repr.flags;
  writeU16(buffer, Field.WINDOW, repr.window);
  writeU16(buffer, Field.CHECKSUM, 0);
  writeU16(buffer, Field.URGENT_POINTER, 0);
  if (checksum) {
    writeU16(buffer, Field.CHECKSUM, tcpChecksum(buffer, length, source, destination));
  }
  return headerLength;
}
