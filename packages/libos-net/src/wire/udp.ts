/**
 * UDP datagrams (RFC 768): a zero-copy view with checked construction, and the
 * {@link UdpRepr} value.
 *
 * ```text
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   Source Port   | Destination Port|
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |          data octets ...
 * +---------------- ...
 * ```
 */
import { readU16, writeU16 } from './bytes.js';
import { finishChecksum, ipv4PseudoHeaderSum, onesComplementSum } from './checksum.js';
import type { Ipv4Address } from './ipv4-address.js';
import { requireSpace, requireUint } from './wire-error.js';

/** Field offsets of the UDP header (RFC 768 "Format"). */
const Field = { SOURCE_PORT: 0, DESTINATION_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;

/** IANA protocol number of UDP, for the pseudo header. */
const PROTOCOL_UDP = 17;

/**
 * Length of the UDP header.
 *
 * @example
 * ```ts
 * import { UDP_HEADER_LENGTH } from '@libos/net';
 * const maxPayload = 65535 - 20 - UDP_HEADER_LENGTH; // 65507
 * ```
 */
export const UDP_HEADER_LENGTH = 8;

/**
 * A zero-copy view of a UDP datagram. The datagram ends where its length field says;
 * bytes after that are ignored.
 *
 * @example
 * ```ts
 * import { UdpDatagram } from '@libos/net';
 * const udp = UdpDatagram.check(ip.payload);
 * if (typeof udp !== 'string' && udp.verifyChecksum(ip.source, ip.destination)) {
 *   deliver(udp.destinationPort, udp.payload);
 * }
 * ```
 */
export class UdpDatagram {
  /**
   * Wraps `bytes` without any check. Use {@link UdpDatagram.check} for received data.
   *
   * @param bytes The datagram, starting at the source port.
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes, or says why it cannot. The checksum is not verified here.
   *
   * @param bytes The IP payload.
   * @returns The view; `'truncated'` when shorter than 8 bytes; `'bad-length'` when the
   *   length field is below 8 or beyond the bytes.
   */
  static check(bytes: Uint8Array): UdpDatagram | 'truncated' | 'bad-length' {
    if (bytes.length < UDP_HEADER_LENGTH) return 'truncated';
    const length = readU16(bytes, Field.LENGTH);
    if (length < UDP_HEADER_LENGTH || length > bytes.length) return 'bad-length';
    return new UdpDatagram(bytes);
  }

  /** Source port (0 when the sender expects no reply). */
  get sourcePort(): number {
    return readU16(this.bytes, Field.SOURCE_PORT);
  }

  /** Writes `sourcePort` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set sourcePort(value: number) {
    requireUint(value, 0xffff, 'UDP source port');
    writeU16(this.bytes, Field.SOURCE_PORT, value);
  }

  /** Destination port. */
  get destinationPort(): number {
    return readU16(this.bytes, Field.DESTINATION_PORT);
  }

  /** Writes `destinationPort` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set destinationPort(value: number) {
    requireUint(value, 0xffff, 'UDP destination port');
    writeU16(this.bytes, Field.DESTINATION_PORT, value);
  }

  /** Length of header plus data in bytes. */
  get length(): number {
    return readU16(this.bytes, Field.LENGTH);
  }

  /** Writes `length` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set length(value: number) {
    requireUint(value, 0xffff, 'UDP length');
    writeU16(this.bytes, Field.LENGTH, value);
  }

  /** The checksum field as stored; 0 means the sender computed none. */
  get checksum(): number {
    return readU16(this.bytes, Field.CHECKSUM);
  }

  /** Writes the checksum field as given. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set checksum(value: number) {
    requireUint(value, 0xffff, 'UDP checksum');
    writeU16(this.bytes, Field.CHECKSUM, value);
  }

  /** The data: bytes 8..length, a view. */
  get payload(): Uint8Array {
    return this.bytes.subarray(UDP_HEADER_LENGTH, this.length);
  }

  /**
   * Whether the checksum over pseudo header, header and data is correct. A zero
   * checksum field means none was computed and passes (RFC 768 "Fields").
   *
   * @param source IPv4 source address of the carrying packet.
   * @param destination IPv4 destination address of the carrying packet.
   */
  verifyChecksum(source: Ipv4Address, destination: Ipv4Address): boolean {
    if (this.checksum === 0) return true;
    const length = this.length;
    const pseudo = ipv4PseudoHeaderSum(source, destination, PROTOCOL_UDP, length);
    return onesComplementSum(this.bytes.subarray(0, length), pseudo) === 0xffff;
  }

  /**
   * Computes the checksum over pseudo header, header and data and stores it; a computed
   * 0 is stored as 0xffff, since 0 means "no checksum" (RFC 768 "Fields").
   *
   * @param source IPv4 source address of the carrying packet.
   * @param destination IPv4 destination address of the carrying packet.
   */
  fillChecksum(source: Ipv4Address, destination: Ipv4Address): void {
    writeU16(this.bytes, Field.CHECKSUM, 0);
    writeU16(this.bytes, Field.CHECKSUM, udpChecksum(this.bytes, this.length, source, destination));
  }
}

/** The checksum field value for the first `length` bytes of a datagram whose checksum field is 0. */
function udpChecksum(
  bytes: Uint8Array,
  length: number,
  source: Ipv4Address,
  destination: Ipv4Address,
): number {
  const pseudo = ipv4PseudoHeaderSum(source, destination, PROTOCOL_UDP, length);
  return finishChecksum(onesComplementSum(bytes.subarray(0, length), pseudo)) || 0xffff;
}

/**
 * The meaning of a UDP header, detached from any buffer.
 *
 * @example
 * ```ts
 * import type { UdpRepr } from '@libos/net';
 * const query: UdpRepr = { sourcePort: 49152, destinationPort: 53, payloadLength: 29 };
 * ```
 */
export interface UdpRepr {
  /** Source port. */
  readonly sourcePort: number;
  /** Destination port. */
  readonly destinationPort: number;
  /** Bytes of data after the 8-byte header. */
  readonly payloadLength: number;
}

/**
 * Reads a checked datagram's header into a {@link UdpRepr}, verifying the checksum
 * unless the caller already has (or the device did).
 *
 * @param datagram A checked datagram.
 * @param source IPv4 source address of the carrying packet.
 * @param destination IPv4 destination address of the carrying packet.
 * @param options `checksumVerified: true` skips the checksum check.
 * @returns The repr, or `'bad-checksum'`.
 * @example
 * ```ts
 * import { parseUdpRepr, UdpDatagram } from '@libos/net';
 * const udp = UdpDatagram.check(ip.payload);
 * if (typeof udp !== 'string') {
 *   const repr = parseUdpRepr(udp, ip.source, ip.destination);
 *   if (repr !== 'bad-checksum') deliver(repr.destinationPort, udp.payload);
 * }
 * ```
 */
export function parseUdpRepr(
  datagram: UdpDatagram,
  source: Ipv4Address,
  destination: Ipv4Address,
  options?: { readonly checksumVerified?: boolean },
): UdpRepr | 'bad-checksum' {
  if (options?.checksumVerified !== true && !datagram.verifyChecksum(source, destination)) {
    return 'bad-checksum';
  }
  return {
    sourcePort: datagram.sourcePort,
    destinationPort: datagram.destinationPort,
    payloadLength: datagram.length - UDP_HEADER_LENGTH,
  };
}

/**
 * Writes the 8-byte header described by `repr` at the start of `buffer`. With
 * `options.checksum` (the default) the checksum covers the pseudo header, the header
 * and the `payloadLength` bytes the caller has ALREADY placed at `buffer[8..]`; with
 * `checksum: false` the field is 0 (no checksum, or left to offload).
 *
 * @param repr The header.
 * @param buffer Destination; holds the payload at offset 8 when checksumming.
 * @param source IPv4 source address of the carrying packet.
 * @param destination IPv4 destination address of the carrying packet.
 * @param options `checksum` (default true) computes the checksum.
 * @returns 8, the number of header bytes written.
 * @throws {@link WireFormatError} `ENOSPC` when `buffer` is shorter than 8 bytes (or,
 *   when checksumming, than 8 + `payloadLength`), `EINVAL` for a port or length out of range.
 * @example
 * ```ts
 * import { emitUdpRepr, parseIpv4Address } from '@libos/net';
 * const buffer = new Uint8Array(8 + 4);
 * buffer.set([1, 2, 3, 4], 8); // payload first
 * emitUdpRepr(
 *   { sourcePort: 49152, destinationPort: 7, payloadLength: 4 },
 *   buffer,
 *   parseIpv4Address('10.0.2.15'),
 *   parseIpv4Address('10.0.2.2'),
 * ); // 8
 * ```
 */
export function emitUdpRepr(
  repr: UdpRepr,
  buffer: Uint8Array,
  source: Ipv4Address,
  destination: Ipv4Address,
  options?: { readonly checksum?: boolean },
): number {
  requireUint(repr.sourcePort, 0xffff, 'UDP source port');
  requireUint(repr.destinationPort, 0xffff, 'UDP destination port');
  requireUint(repr.payloadLength, 0xffff - UDP_HEADER_LENGTH, 'UDP payload length');
  const length = UDP_HEADER_LENGTH + repr.payloadLength;
  const checksum = options?.checksum !== false;
  requireSpace(buffer, checksum ? length : UDP_HEADER_LENGTH, 'a UDP datagram');
  writeU16(buffer, Field.SOURCE_PORT, repr.sourcePort);
  writeU16(buffer, Field.DESTINATION_PORT, repr.destinationPort);
  writeU16(buffer, Field.LENGTH, length);
  writeU16(buffer, Field.CHECKSUM, 0);
  if (checksum) writeU16(buffer, Field.CHECKSUM, udpChecksum(buffer, length, source, destination));
  return UDP_HEADER_LENGTH;
}
