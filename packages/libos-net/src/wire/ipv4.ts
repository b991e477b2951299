/**
 * IPv4 packets (RFC 791 §3.1): a zero-copy view with checked construction, and the
 * {@link Ipv4Repr} value for headers without options.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+-------+-----------+---+-------------------------------+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |  0
 * +-------+-------+-----------+---+-----+-------------------------+
 * |         Identification        |Flags|     Fragment Offset     |  4
 * +---------------+---------------+-----+-------------------------+
 * |      TTL      |   Protocol    |        Header Checksum        |  8
 * +---------------+---------------+-------------------------------+
 * |                        Source Address                         | 12
 * +---------------------------------------------------------------+
 * |                      Destination Address                      | 16
 * +---------------------------------------------------------------+
 * |                    Options (IHL > 5) ...                      | 20
 * +---------------------------------------------------------------+
 * ```
 * DSCP/ECN replace the Type of Service octet (RFC 2474 §3, RFC 3168 §5).
 */
import { readU16, writeU16 } from './bytes.js';
import { internetChecksum, onesComplementSum } from './checksum.js';
import { type Ipv4Address, readIpv4Address, writeIpv4Address } from './ipv4-address.js';
import { requireSpace, requireUint, WireFormatError } from './wire-error.js';

/** Field offsets of the IPv4 header (RFC 791 §3.1). */
const Field = {
  VERSION_IHL: 0,
  DSCP_ECN: 1,
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT_OFFSET: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SOURCE: 12,
  DESTINATION: 16,
} as const;

/** RFC 791 §3.1 Flags, as bits of the 16-bit flags + fragment offset field. */
const FLAG_DONT_FRAGMENT = 0x4000;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/**
 * IP protocol numbers this stack handles (IANA "Assigned Internet Protocol Numbers").
 *
 * @example
 * ```ts
 * import { IpProtocol } from '@libos/net';
 * IpProtocol.UDP; // 17
 * ```
 */
export const IpProtocol = {
  /** Internet Control Message Protocol (RFC 792). */
  ICMP: 1,
  /** Transmission Control Protocol (RFC 9293). */
  TCP: 6,
  /** User Datagram Protocol (RFC 768). */
  UDP: 17,
} as const;

/**
 * Length of an IPv4 header without options (IHL 5).
 *
 * @example
 * ```ts
 * import { IPV4_MIN_HEADER_LENGTH } from '@libos/net';
 * const maxUdpPayload = 1500 - IPV4_MIN_HEADER_LENGTH - 8; // 1472
 * ```
 */
export const IPV4_MIN_HEADER_LENGTH = 20;

/**
 * Why received bytes are not an IPv4 packet:
 * - `'truncated'`: shorter than 20 bytes, or than the header length IHL announces;
 * - `'bad-version'`: the version field is not 4;
 * - `'bad-header-length'`: IHL below 5;
 * - `'bad-total-length'`: total length below the header length or beyond the bytes.
 *
 * @example
 * ```ts
 * import { Ipv4Packet, type Ipv4WireError } from '@libos/net';
 * const result: Ipv4Packet | Ipv4WireError = Ipv4Packet.check(new Uint8Array(10)); // 'truncated'
 * ```
 */
export type Ipv4WireError = 'truncated' | 'bad-version' | 'bad-header-length' | 'bad-total-length';

/**
 * A zero-copy view of an IPv4 packet. Getters and setters work on the bytes in place;
 * setters do not update the checksum — call {@link Ipv4Packet.fillChecksum} last.
 *
 * @example
 * ```ts
 * import { Ipv4Packet, IpProtocol } from '@libos/net';
 * const packet = Ipv4Packet.check(frame.payload);
 * if (typeof packet !== 'string' && packet.verifyChecksum() && packet.protocol === IpProtocol.UDP) {
 *   handleUdp(packet.source, packet.destination, packet.payload);
 * }
 * ```
 */
export class Ipv4Packet {
  /**
   * Wraps `bytes` without any check: only for buffers the caller laid out itself. Use
   * {@link Ipv4Packet.check} for received packets.
   *
   * @param bytes The packet, starting at the version field. May extend past
   *   `totalLength` (link-layer padding).
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes after checking that every length field is consistent with
   * them, so that every getter stays in bounds. Bytes beyond the total length (Ethernet
   * padding) are accepted and ignored. The checksum is not verified here.
   *
   * @param bytes The received packet.
   * @returns The view, or the reason it is not a well-formed IPv4 packet.
   */
  static check(bytes: Uint8Array): Ipv4Packet | Ipv4WireError {
    if (bytes.length < IPV4_MIN_HEADER_LENGTH) return 'truncated';
    const versionIhl = bytes[Field.VERSION_IHL]!;
    if (versionIhl >>> 4 !== 4) return 'bad-version';
    const headerLength = (versionIhl & 0x0f) * 4;
    if (headerLength < IPV4_MIN_HEADER_LENGTH) return 'bad-header-length';
    if (headerLength > bytes.length) return 'truncated';
    const totalLength = readU16(bytes, Field.TOTAL_LENGTH);
    if (totalLength < headerLength || totalLength > bytes.length) return 'bad-total-length';
    return new Ipv4Packet(bytes);
  }

  /** The version field: 4 for a checked packet. */
  get version(): number {
    return this.bytes[Field.VERSION_IHL]! >>> 4;
  }

  /** The header length in bytes (IHL × 4), 20..60. */
  get headerLength(): number {
    return (this.bytes[Field.VERSION_IHL]! & 0x0f) * 4;
  }

  /**
   * Writes version 4 and the header length.
   *
   * @param headerLength Bytes, a multiple of 4 in 20..60.
   * @throws {@link WireFormatError} `EINVAL` otherwise.
   */
  setVersionAndHeaderLength(headerLength: number): void {
    if (
      !Number.isInteger(headerLength) ||
      headerLength % 4 !== 0 ||
      headerLength < 20 ||
      headerLength > 60
    ) {
      throw new WireFormatError(
        'EINVAL',
        `an IPv4 header length is a multiple of 4 in 20..60, got ${headerLength}`,
      );
    }
    this.bytes[Field.VERSION_IHL] = 0x40 | (headerLength / 4);
  }

  /** Differentiated Services Code Point, 6 bits (RFC 2474 §3). */
  get dscp(): number {
    return this.bytes[Field.DSCP_ECN]! >>> 2;
  }

  /** Writes `dscp` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set dscp(value: number) {
    requireUint(value, 0x3f, 'DSCP');
    this.bytes[Field.DSCP_ECN] = (value << 2) | (this.bytes[Field.DSCP_ECN]! & 0x03);
  }

  /** Explicit Congestion Notification, 2 bits (RFC 3168 §5). */
  get ecn(): number {
    return this.bytes[Field.DSCP_ECN]! & 0x03;
  }

  /** Writes `ecn` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set ecn(value: number) {
    requireUint(value, 0x03, 'ECN');
    this.bytes[Field.DSCP_ECN] = (this.bytes[Field.DSCP_ECN]! & 0xfc) | value;
  }

  /** Total length of header plus data in bytes. */
  get totalLength(): number {
    return readU16(this.bytes, Field.TOTAL_LENGTH);
  }

  /** Writes `totalLength` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set totalLength(value: number) {
    requireUint(value, 0xffff, 'IPv4 total length');
    writeU16(this.bytes, Field.TOTAL_LENGTH, value);
  }

  /** Identification, shared by the fragments of one datagram (RFC 791 §3.1, RFC 6864). */
  get identification(): number {
    return readU16(this.bytes, Field.IDENTIFICATION);
  }

  /** Writes `identification` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set identification(value: number) {
    requireUint(value, 0xffff, 'IPv4 identification');
    writeU16(this.bytes, Field.IDENTIFICATION, value);
  }

  /** The DF flag: the datagram must not be fragmented. */
  get dontFragment(): boolean {
    return (readU16(this.bytes, Field.FLAGS_FRAGMENT_OFFSET) & FLAG_DONT_FRAGMENT) !== 0;
  }

  /** The MF flag: more fragments follow this one. */
  get moreFragments(): boolean {
    return (readU16(this.bytes, Field.FLAGS_FRAGMENT_OFFSET) & FLAG_MORE_FRAGMENTS) !== 0;
  }

  /** Offset of this fragment's data within the datagram, in BYTES (the field × 8). */
  get fragmentOffset(): number {
    return (readU16(this.bytes, Field.FLAGS_FRAGMENT_OFFSET) & FRAGMENT_OFFSET_MASK) * 8;
  }

  /** Whether this packet is a fragment: MF set or a non-zero fragment offset. */
  get isFragment(): boolean {
    return (
      (readU16(this.bytes, Field.FLAGS_FRAGMENT_OFFSET) &
        (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) !==
      0
    );
  }

  /**
   * Writes the flags and fragment offset (the reserved flag bit is cleared).
   *
   * @param dontFragment DF flag.
   * @param moreFragments MF flag.
   * @param offsetBytes Fragment offset in bytes: a multiple of 8 up to 65528.
   * @throws {@link WireFormatError} `EINVAL` for any other offset.
   */
  setFragment(dontFragment: boolean, moreFragments: boolean, offsetBytes: number): void {
    writeU16(
      this.bytes,
      Field.FLAGS_FRAGMENT_OFFSET,
      encodeFragmentField(dontFragment, moreFragments, offsetBytes),
    );
  }

  /** Time to live. */
  get ttl(): number {
    return this.bytes[Field.TTL]!;
  }

  /** Writes `ttl` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set ttl(value: number) {
    requireUint(value, 0xff, 'TTL');
    this.bytes[Field.TTL] = value;
  }

  /** Protocol of the payload (see {@link IpProtocol}). */
  get protocol(): number {
    return this.bytes[Field.PROTOCOL]!;
  }

  /** Writes `protocol` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set protocol(value: number) {
    requireUint(value, 0xff, 'IP protocol');
    this.bytes[Field.PROTOCOL] = value;
  }

  /** The header checksum field as stored. */
  get headerChecksum(): number {
    return readU16(this.bytes, Field.CHECKSUM);
  }

  /** Writes the header checksum field as given. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set headerChecksum(value: number) {
    requireUint(value, 0xffff, 'IPv4 header checksum');
    writeU16(this.bytes, Field.CHECKSUM, value);
  }

  /** Source address. */
  get source(): Ipv4Address {
    return readIpv4Address(this.bytes, Field.SOURCE);
  }

  /** Writes `source` in place (the checksum is not updated). */
  set source(value: Ipv4Address) {
    writeIpv4Address(this.bytes, Field.SOURCE, value);
  }

  /** Destination address. */
  get destination(): Ipv4Address {
    return readIpv4Address(this.bytes, Field.DESTINATION);
  }

  /** Writes `destination` in place (the checksum is not updated). */
  set destination(value: Ipv4Address) {
    writeIpv4Address(this.bytes, Field.DESTINATION, value);
  }

  /** The options area (bytes 20..headerLength), a view; empty without options. */
  get options(): Uint8Array {
    return this.bytes.subarray(IPV4_MIN_HEADER_LENGTH, this.headerLength);
  }

  /** The data after the header up to the total length (padding excluded), a view. */
  get payload(): Uint8Array {
    return this.bytes.subarray(this.headerLength, this.totalLength);
  }

  /** Whether the header checksum is correct: the header, checksum included, sums to 0xffff (RFC 791 §3.1). */
  verifyChecksum(): boolean {
    return onesComplementSum(this.bytes.subarray(0, this.headerLength)) === 0xffff;
  }

  /** Computes the header checksum over the whole header (options included) and stores it. */
  fillChecksum(): void {
    writeU16(this.bytes, Field.CHECKSUM, 0);
    writeU16(
      this.bytes,
      Field.CHECKSUM,
      internetChecksum(this.bytes.subarray(0, this.headerLength)),
    );
  }
}

/** Encodes DF, MF and a byte offset into the 16-bit flags + fragment offset field. */
function encodeFragmentField(
  dontFragment: boolean,
  moreFragments: boolean,
  offsetBytes: number,
): number {
  if (
    !Number.isInteger(offsetBytes) ||
    offsetBytes < 0 ||
    offsetBytes % 8 !== 0 ||
    offsetBytes > FRAGMENT_OFFSET_MASK * 8
  ) {
    throw new WireFormatError(
      'EINVAL',
      `a fragment offset is a multiple of 8 in 0..65528 bytes, got ${offsetBytes}`,
    );
  }
  return (
    (dontFragment ? FLAG_DONT_FRAGMENT : 0) |
    (moreFragments ? FLAG_MORE_FRAGMENTS : 0) |
    (offsetBytes / 8)
  );
}

/**
 * The meaning of an IPv4 header, detached from any buffer. Options are not represented:
 * {@link emitIpv4Repr} writes a 20-byte header.
 *
 * @example
 * ```ts
 * import { IpProtocol, type Ipv4Repr, parseIpv4Address } from '@libos/net';
 * const repr: Ipv4Repr = {
 *   source: parseIpv4Address('10.0.2.15'),
 *   destination: parseIpv4Address('10.0.2.3'),
 *   protocol: IpProtocol.UDP,
 *   payloadLength: 40,
 *   ttl: 64,
 * };
 * ```
 */
export interface Ipv4Repr {
  /** Source address. */
  readonly source: Ipv4Address;
  /** Destination address. */
  readonly destination: Ipv4Address;
  /** Protocol of the payload (see {@link IpProtocol}). */
  readonly protocol: number;
  /** Bytes of data after the header (total length − header length). */
  readonly payloadLength: number;
  /** Time to live. */
  readonly ttl: number;
  /** Identification; 0 when omitted. */
  readonly identification?: number;
  /** DF flag; false when omitted. */
  readonly dontFragment?: boolean;
  /** MF flag; false when omitted. */
  readonly moreFragments?: boolean;
  /** Fragment offset in bytes (multiple of 8); 0 when omitted. */
  readonly fragmentOffset?: number;
  /** DSCP (6 bits); 0 when omitted. ECN is always emitted as 0 (Not-ECT). */
  readonly dscp?: number;
}

/**
 * Reads a checked packet's header into an {@link Ipv4Repr}, verifying the header
 * checksum unless the caller already has (or the device did, via checksum offload).
 * Every optional field is filled in. Options are skipped; use
 * {@link ipv4OptionsWellFormed} on `packet.options` to reject malformed ones.
 *
 * @param packet A checked packet.
 * @param options `checksumVerified: true` skips the checksum check.
 * @returns The repr, or `'bad-checksum'`.
 * @example
 * ```ts
 * import { Ipv4Packet, parseIpv4Repr } from '@libos/net';
 * const packet = Ipv4Packet.check(bytes);
 * if (typeof packet !== 'string') {
 *   const repr = parseIpv4Repr(packet);
 *   if (repr !== 'bad-checksum') console.log(repr.protocol, repr.payloadLength);
 * }
 * ```
 */
export function parseIpv4Repr(
  packet: Ipv4Packet,
  options?: { readonly checksumVerified?: boolean },
): Ipv4Repr | 'bad-checksum' {
  if (options?.checksumVerified !== true && !packet.verifyChecksum()) return 'bad-checksum';
  return {
    source: packet.source,
    destination: packet.destination,
    protocol: packet.protocol,
    payloadLength: packet.totalLength - packet.headerLength,
    ttl: packet.ttl,
    identification: packet.identification,
    dontFragment: packet.dontFragment,
    moreFragments: packet.moreFragments,
    fragmentOffset: packet.fragmentOffset,
    dscp: packet.dscp,
  };
}

/**
 * Writes the 20-byte header (IHL 5, no options, ECN 0) described by `repr` at the
 * start of `buffer`, with its checksum unless `options.checksum` is false (then the
 * field is 0, for checksum offload).
 *
 * @param repr The header.
 * @param buffer Destination; the payload belongs at offset 20.
 * @param options `checksum` (default true) computes the header checksum.
 * @returns 20, the number of bytes written.
 * @throws {@link WireFormatError} `ENOSPC` when `buffer` is shorter than 20 bytes,
 *   `EINVAL` when a field does not fit (payload over 65515 bytes, TTL over 255, an
 *   offset that is not a multiple of 8, ...).
 * @example
 * ```ts
 * import { emitIpv4Repr, IpProtocol, parseIpv4Address } from '@libos/net';
 * const buffer = new Uint8Array(28);
 * emitIpv4Repr(
 *   { source: parseIpv4Address('10.0.2.15'), destination: parseIpv4Address('10.0.2.2'),
 *     protocol: IpProtocol.UDP, payloadLength: 8, ttl: 64 },
 *   buffer,
 * ); // 20
 * ```
 */
export function emitIpv4Repr(
  repr: Ipv4Repr,
  buffer: Uint8Array,
  options?: { readonly checksum?: boolean },
): number {
  requireSpace(buffer, IPV4_MIN_HEADER_LENGTH, 'an IPv4 header');
  requireUint(repr.payloadLength, 0xffff - IPV4_MIN_HEADER_LENGTH, 'IPv4 payload length');
  requireUint(repr.ttl, 0xff, 'TTL');
  requireUint(repr.protocol, 0xff, 'IP protocol');
  const identification = repr.identification ?? 0;
  requireUint(identification, 0xffff, 'IPv4 identification');
  const dscp = repr.dscp ?? 0;
  requireUint(dscp, 0x3f, 'DSCP');
  const fragmentField = encodeFragmentField(
    repr.dontFragment ?? false,
    repr.moreFragments ?? false,
    repr.fragmentOffset ?? 0,
  );
  buffer[Field.VERSION_IHL] = 0x45; // RFC 791 §3.1: version 4, IHL 5
  buffer[Field.DSCP_ECN] = dscp << 2;
  writeU16(buffer, Field.TOTAL_LENGTH, IPV4_MIN_HEADER_LENGTH + repr.payloadLength);
  writeU16(buffer, Field.IDENTIFICATION, identification);
  writeU16(buffer, Field.FLAGS_FRAGMENT_OFFSET, fragmentField);
  buffer[Field.TTL] = repr.ttl;
  buffer[Field.PROTOCOL] = repr.protocol;
  writeU16(buffer, Field.CHECKSUM, 0);
  writeIpv4Address(buffer, Field.SOURCE, repr.source);
  writeIpv4Address(buffer, Field.DESTINATION, repr.destination);
  if (options?.checksum !== false) {
    writeU16(buffer, Field.CHECKSUM, internetChecksum(buffer.subarray(0, IPV4_MIN_HEADER_LENGTH)));
  }
  return IPV4_MIN_HEADER_LENGTH;
}
