/**
 * Ethernet II frames (IEEE 802.3 §3.1.1, EtherType per IEEE 802 / RFC 894): a view over
 * the frame bytes without preamble or FCS, and the {@link EthernetRepr} value.
 *
 * ```text
 *  0                6                12      14
 * +----------------+----------------+-------+---------------- - -
 * | destination    | source         | type  | payload
 * +----------------+----------------+-------+---------------- - -
 * ```
 */
import { readU16, writeU16 } from './bytes.js';
import { requireMac, requireSpace, requireUint } from './wire-error.js';

/** Field offsets of the Ethernet II header. */
const Field = { DESTINATION: 0, SOURCE: 6, ETHER_TYPE: 12 } as const;

/**
 * EtherType values this stack speaks (IEEE 802 numbers; RFC 894 for IPv4, RFC 826 for
 * ARP, RFC 2464 for IPv6).
 *
 * @example
 * ```ts
 * import { EtherType } from '@libos/net';
 * EtherType.ARP; // 0x0806
 * ```
 */
export const EtherType = {
  /** Internet Protocol version 4. */
  IPv4: 0x0800,
  /** Address Resolution Protocol. */
  ARP: 0x0806,
  /** Internet Protocol version 6. */
  IPv6: 0x86dd,
} as const;

/**
 * Length of the Ethernet II header: two MAC addresses and the EtherType.
 *
 * @example
 * ```ts
 * import { ETHERNET_HEADER_LENGTH, EthernetFrame } from '@libos/net';
 * new EthernetFrame(new Uint8Array(60)).payload.length === 60 - ETHERNET_HEADER_LENGTH; // true
 * ```
 */
export const ETHERNET_HEADER_LENGTH = 14;

/**
 * A zero-copy view of an Ethernet II frame. The getters and setters read and write the
 * underlying bytes in place.
 *
 * @example
 * ```ts
 * import { EthernetFrame, EtherType } from '@libos/net';
 * const frame = EthernetFrame.check(received);
 * if (frame !== 'truncated' && frame.etherType === EtherType.IPv4) handleIpv4(frame.payload);
 * ```
 */
export class EthernetFrame {
  /**
   * Wraps `bytes` without any check: only for buffers the caller sized itself. Use
   * {@link EthernetFrame.check} for received frames.
   *
   * @param bytes The frame, starting at the destination address.
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes, or says why it cannot.
   *
   * @param bytes The received frame.
   * @returns The view, or `'truncated'` when shorter than the 14-byte header.
   */
  static check(bytes: Uint8Array): EthernetFrame | 'truncated' {
    if (bytes.length < ETHERNET_HEADER_LENGTH) return 'truncated';
    return new EthernetFrame(bytes);
  }

  /** The destination MAC address: a 6-byte view into the frame. */
  get destination(): Uint8Array {
    return this.bytes.subarray(Field.DESTINATION, Field.DESTINATION + 6);
  }

  /** The source MAC address: a 6-byte view into the frame. */
  get source(): Uint8Array {
    return this.bytes.subarray(Field.SOURCE, Field.SOURCE + 6);
  }

  /** The EtherType (see {@link EtherType}). */
  get etherType(): number {
    return readU16(this.bytes, Field.ETHER_TYPE);
  }

  /** Writes `etherType` in place (the low 16 bits of the value). */
  set etherType(value: number) {
    writeU16(this.bytes, Field.ETHER_TYPE, value);
  }

  /**
   * Copies a destination MAC address into the frame.
   *
   * @param mac 6 bytes.
   * @throws {@link WireFormatError} `EINVAL` unless `mac` has 6 bytes.
   */
  setDestination(mac: Uint8Array): void {
    requireMac(mac, 'destination MAC');
    this.bytes.set(mac, Field.DESTINATION);
  }

  /**
   * Copies a source MAC address into the frame.
   *
   * @param mac 6 bytes.
   * @throws {@link WireFormatError} `EINVAL` unless `mac` has 6 bytes.
   */
  setSource(mac: Uint8Array): void {
    requireMac(mac, 'source MAC');
    this.bytes.set(mac, Field.SOURCE);
  }

  /** Everything after the header: a view (may include padding up to the 60-byte minimum). */
  get payload(): Uint8Array {
    return this.bytes.subarray(ETHERNET_HEADER_LENGTH);
  }
}

/**
 * The meaning of an Ethernet II header, detached from any buffer.
 *
 * @example
 * ```ts
 * import { type EthernetRepr, EtherType, parseMacAddress } from '@libos/net';
 * const repr: EthernetRepr = {
 *   destination: parseMacAddress('ff:ff:ff:ff:ff:ff'),
 *   source: parseMacAddress('52:54:00:12:34:56'),
 *   etherType: EtherType.ARP,
 * };
 * ```
 */
export interface EthernetRepr {
  /** Destination MAC address, 6 bytes. */
  readonly destination: Uint8Array;
  /** Source MAC address, 6 bytes. */
  readonly source: Uint8Array;
  /** EtherType (see {@link EtherType}). */
  readonly etherType: number;
}

/**
 * Reads the header of a frame into a {@link EthernetRepr}; the MAC addresses are copies,
 * so the repr outlives the frame buffer.
 *
 * @param frame A checked frame.
 * @example
 * ```ts
 * import { EthernetFrame, parseEthernetRepr } from '@libos/net';
 * const frame = EthernetFrame.check(received);
 * if (frame !== 'truncated') console.log(parseEthernetRepr(frame).etherType);
 * ```
 */
export function parseEthernetRepr(frame: EthernetFrame): EthernetRepr {
  return {
    destination: frame.destination.slice(),
    source: frame.source.slice(),
    etherType: frame.etherType,
  };
}

/**
 * Writes the 14-byte header described by `repr` at the start of `buffer`.
 *
 * @param repr The header.
 * @param buffer Destination; the payload follows at offset 14.
 * @returns 14, the number of bytes written.
 * @throws {@link WireFormatError} `ENOSPC` when `buffer` is shorter than 14 bytes,
 *   `EINVAL` when a MAC is not 6 bytes or the EtherType is not 16 bits.
 * @example
 * ```ts
 * import { emitEthernetRepr, EtherType, parseMacAddress } from '@libos/net';
 * const buffer = new Uint8Array(60);
 * const mac = parseMacAddress('52:54:00:12:34:56');
 * emitEthernetRepr({ destination: mac, source: mac, etherType: EtherType.IPv4 }, buffer); // 14
 * ```
 */
export function emitEthernetRepr(repr: EthernetRepr, buffer: Uint8Array): number {
  requireSpace(buffer, ETHERNET_HEADER_LENGTH, 'an Ethernet header');
  requireMac(repr.destination, 'destination MAC');
  requireMac(repr.source, 'source MAC');
  requireUint(repr.etherType, 0xffff, 'EtherType');
  buffer.set(repr.destination, Field.DESTINATION);
  buffer.set(repr.source, Field.SOURCE);
  writeU16(buffer, Field.ETHER_TYPE, repr.etherType);
  return ETHERNET_HEADER_LENGTH;
}
