/**
 * ARP packets for Ethernet and IPv4 (RFC 826 "Packet format"): a zero-copy view with
 * checked construction, and the {@link ArpRepr} value.
 *
 * ```text
 *  0        2        4    5    6        8              14       18             24       28
 * +--------+--------+----+----+--------+--------------+--------+--------------+--------+
 * | htype  | ptype  |hlen|plen| oper   | sender MAC   | sender | target MAC   | target |
 * | 1      | 0x0800 | 6  | 4  |        |              | IPv4   |              | IPv4   |
 * +--------+--------+----+----+--------+--------------+--------+--------------+--------+
 * ```
 */
import { readU16, writeU16 } from './bytes.js';
import { EtherType } from './ethernet.js';
import { type Ipv4Address, readIpv4Address, writeIpv4Address } from './ipv4-address.js';
import { requireMac, requireSpace, requireUint } from './wire-error.js';

/** Field offsets of an Ethernet/IPv4 ARP packet (RFC 826). */
const Field = {
  HARDWARE_TYPE: 0,
  PROTOCOL_TYPE: 2,
  HARDWARE_LENGTH: 4,
  PROTOCOL_LENGTH: 5,
  OPERATION: 6,
  SENDER_HARDWARE_ADDRESS: 8,
  SENDER_PROTOCOL_ADDRESS: 14,
  TARGET_HARDWARE_ADDRESS: 18,
  TARGET_PROTOCOL_ADDRESS: 24,
} as const;

/** ar$hrd for Ethernet (RFC 826; IANA ARP "Hardware Types"). */
const HARDWARE_TYPE_ETHERNET = 1;
/** Bytes of the fixed part before the addresses: htype, ptype, hlen, plen, oper. */
const FIXED_HEADER_LENGTH = 8;

/**
 * ARP opcodes (RFC 826 ar$op).
 *
 * @example
 * ```ts
 * import { ArpOperation } from '@libos/net';
 * ArpOperation.Reply; // 2
 * ```
 */
export const ArpOperation = {
  /** "Who has target protocol address?" */
  Request: 1,
  /** "Target protocol address is at sender hardware address." */
  Reply: 2,
} as const;

/**
 * Length of an ARP packet for Ethernet and IPv4: 8 fixed bytes, two 6-byte MACs and
 * two 4-byte IPv4 addresses.
 *
 * @example
 * ```ts
 * import { ARP_PACKET_LENGTH, ETHERNET_HEADER_LENGTH } from '@libos/net';
 * const frameLength = ETHERNET_HEADER_LENGTH + ARP_PACKET_LENGTH; // 42, padded to 60 on the wire
 * ```
 */
export const ARP_PACKET_LENGTH = 28;

/**
 * A zero-copy view of an Ethernet/IPv4 ARP packet.
 *
 * @example
 * ```ts
 * import { ArpOperation, ArpPacket } from '@libos/net';
 * const arp = ArpPacket.check(frame.payload);
 * if (typeof arp !== 'string' && arp.operation === ArpOperation.Request) answer(arp.targetProtocolAddress);
 * ```
 */
export class ArpPacket {
  /**
   * Wraps `bytes` without any check. Use {@link ArpPacket.check} for received packets.
   *
   * @param bytes The packet, starting at the hardware type; may be longer than 28 bytes
   *   (Ethernet padding).
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes, or says why it cannot.
   *
   * @param bytes The received packet (an Ethernet payload; padding allowed).
   * @returns The view; `'truncated'` when shorter than the fixed part or than 28 bytes;
   *   `'unsupported'` unless hardware type 1 (Ethernet), protocol type 0x0800 (IPv4),
   *   hardware length 6 and protocol length 4.
   */
  static check(bytes: Uint8Array): ArpPacket | 'truncated' | 'unsupported' {
    if (bytes.length < FIXED_HEADER_LENGTH) return 'truncated';
    if (
      readU16(bytes, Field.HARDWARE_TYPE) !== HARDWARE_TYPE_ETHERNET ||
      readU16(bytes, Field.PROTOCOL_TYPE) !== EtherType.IPv4 ||
      bytes[Field.HARDWARE_LENGTH] !== 6 ||
      bytes[Field.PROTOCOL_LENGTH] !== 4
    ) {
      return 'unsupported';
    }
    if (bytes.length < ARP_PACKET_LENGTH) return 'truncated';
    return new ArpPacket(bytes);
  }

  /** The opcode (see {@link ArpOperation}). */
  get operation(): number {
    return readU16(this.bytes, Field.OPERATION);
  }

  /** Writes `operation` in place. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set operation(value: number) {
    requireUint(value, 0xffff, 'ARP operation');
    writeU16(this.bytes, Field.OPERATION, value);
  }

  /** Sender MAC address: a 6-byte view. */
  get senderHardwareAddress(): Uint8Array {
    return this.bytes.subarray(Field.SENDER_HARDWARE_ADDRESS, Field.SENDER_HARDWARE_ADDRESS + 6);
  }

  /** Sender IPv4 address. */
  get senderProtocolAddress(): Ipv4Address {
    return readIpv4Address(this.bytes, Field.SENDER_PROTOCOL_ADDRESS);
  }

  /** Writes `senderProtocolAddress` in place. */
  set senderProtocolAddress(value: Ipv4Address) {
    writeIpv4Address(this.bytes, Field.SENDER_PROTOCOL_ADDRESS, value);
  }

  /** Target MAC address: a 6-byte view (all zeros in a request). */
  get targetHardwareAddress(): Uint8Array {
    return this.bytes.subarray(Field.TARGET_HARDWARE_ADDRESS, Field.TARGET_HARDWARE_ADDRESS + 6);
  }

  /** Target IPv4 address. */
  get targetProtocolAddress(): Ipv4Address {
    return readIpv4Address(this.bytes, Field.TARGET_PROTOCOL_ADDRESS);
  }

  /** Writes `targetProtocolAddress` in place. */
  set targetProtocolAddress(value: Ipv4Address) {
    writeIpv4Address(this.bytes, Field.TARGET_PROTOCOL_ADDRESS, value);
  }
}

/**
 * The meaning of an Ethernet/IPv4 ARP packet, detached from any buffer.
 *
 * @example
 * ```ts
 * import { ArpOperation, type ArpRepr, parseIpv4Address, parseMacAddress } from '@libos/net';
 * const request: ArpRepr = {
 *   operation: ArpOperation.Request,
 *   senderHardwareAddress: parseMacAddress('52:54:00:12:34:56'),
 *   senderProtocolAddress: parseIpv4Address('10.0.2.15'),
 *   targetHardwareAddress: new Uint8Array(6),
 *   targetProtocolAddress: parseIpv4Address('10.0.2.2'),
 * };
 * ```
 */
export interface ArpRepr {
  /** The opcode (see {@link ArpOperation}). */
  readonly operation: number;
  /** Sender MAC address, 6 bytes. */
  readonly senderHardwareAddress: Uint8Array;
  /** Sender IPv4 address. */
  readonly senderProtocolAddress: Ipv4Address;
  /** Target MAC address, 6 bytes (zeros in a request). */
  readonly targetHardwareAddress: Uint8Array;
  /** Target IPv4 address. */
  readonly targetProtocolAddress: Ipv4Address;
}

/**
 * Reads a checked packet into an {@link ArpRepr}; the MAC addresses are copies.
 *
 * @param packet A checked packet.
 * @example
 * ```ts
 * import { ArpPacket, parseArpRepr } from '@libos/net';
 * const arp = ArpPacket.check(frame.payload);
 * if (typeof arp !== 'string') cache.update(parseArpRepr(arp));
 * ```
 */
export function parseArpRepr(packet: ArpPacket): ArpRepr {
  return {
    operation: packet.operation,
    senderHardwareAddress: packet.senderHardwareAddress.slice(),
    senderProtocolAddress: packet.senderProtocolAddress,
    targetHardwareAddress: packet.targetHardwareAddress.slice(),
    targetProtocolAddress: packet.targetProtocolAddress,
  };
}

/**
 * Writes the 28-byte Ethernet/IPv4 ARP packet described by `repr` at the start of
 * `buffer`.
 *
 * @param repr The packet.
 * @param buffer Destination.
 * @returns 28, the number of bytes written.
 * @throws {@link WireFormatError} `ENOSPC` when `buffer` is shorter than 28 bytes,
 *   `EINVAL` when a MAC is not 6 bytes or the opcode is not 16 bits.
 * @example
 * ```ts
 * import { ArpOperation, emitArpRepr, parseIpv4Address, parseMacAddress } from '@libos/net';
 * const buffer = new Uint8Array(28);
 * emitArpRepr({
 *   operation: ArpOperation.Request,
 *   senderHardwareAddress: parseMacAddress('52:54:00:12:34:56'),
 *   senderProtocolAddress: parseIpv4Address('10.0.2.15'),
 *   targetHardwareAddress: new Uint8Array(6),
 *   targetProtocolAddress: parseIpv4Address('10.0.2.2'),
 * }, buffer); // 28
 * ```
 */
export function emitArpRepr(repr: ArpRepr, buffer: Uint8Array): number {
  requireSpace(buffer, ARP_PACKET_LENGTH, 'an ARP packet');
  requireUint(repr.operation, 0xffff, 'ARP operation');
  requireMac(repr.senderHardwareAddress, 'sender hardware address');
  requireMac(repr.targetHardwareAddress, 'target hardware address');
  writeU16(buffer, Field.HARDWARE_TYPE, HARDWARE_TYPE_ETHERNET);
  writeU16(buffer, Field.PROTOCOL_TYPE, EtherType.IPv4);
  buffer[Field.HARDWARE_LENGTH] = 6;
  buffer[Field.PROTOCOL_LENGTH] = 4;
  writeU16(buffer, Field.OPERATION, repr.operation);
  buffer.set(repr.senderHardwareAddress, Field.SENDER_HARDWARE_ADDRESS);
  writeIpv4Address(buffer, Field.SENDER_PROTOCOL_ADDRESS, repr.senderProtocolAddress);
  buffer.set(repr.targetHardwareAddress, Field.TARGET_HARDWARE_ADDRESS);
  writeIpv4Address(buffer, Field.TARGET_PROTOCOL_ADDRESS, repr.targetProtocolAddress);
  return ARP_PACKET_LENGTH;
}
