/**
 * ICMP for IPv4 (RFC 792): a zero-copy view with checked construction, and the
 * {@link Icmpv4Repr} value for echo, destination unreachable and time exceeded.
 *
 * ```text
 *  0               1               2               3
 * +---------------+---------------+-------------------------------+
 * |     Type      |     Code      |           Checksum            |  0
 * +---------------+---------------+-------------------------------+
 * |  Identifier (echo) / unused   | Sequence (echo) / next-hop MTU|  4
 * +-------------------------------+-------------------------------+
 * |  data: echo payload, or the invoking IP header + 8 bytes ...     8
 * ```
 */
import { readU16, writeU16 } from './bytes.js';
import { internetChecksum, onesComplementSum } from './checksum.js';
import { requireSpace, requireUint } from './wire-error.js';

/** Field offsets of the ICMP header (RFC 792; next-hop MTU from RFC 1191 §4). */
const Field = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  IDENTIFIER: 4,
  SEQUENCE_NUMBER: 6,
  NEXT_HOP_MTU: 6,
  DATA: 8,
} as const;

/** Length of the fixed ICMP header: type, code, checksum and the 4-byte rest of header. */
const ICMPV4_HEADER_LENGTH = 8;

/**
 * ICMP message types the stack knows (RFC 792).
 *
 * @example
 * ```ts
 * import { Icmpv4Type } from '@libos/net';
 * Icmpv4Type.EchoRequest; // 8
 * ```
 */
export const Icmpv4Type = {
  /** Echo Reply. */
  EchoReply: 0,
  /** Destination Unreachable. */
  DestinationUnreachable: 3,
  /** Redirect. */
  Redirect: 5,
  /** Echo (request). */
  EchoRequest: 8,
  /** Time Exceeded. */
  TimeExceeded: 11,
  /** Parameter Problem. */
  ParameterProblem: 12,
} as const;

/**
 * Codes of Destination Unreachable (RFC 792; RFC 1191 for fragmentation needed).
 *
 * @example
 * ```ts
 * import { Icmpv4UnreachableCode } from '@libos/net';
 * Icmpv4UnreachableCode.Port; // 3
 * ```
 */
export const Icmpv4UnreachableCode = {
  /** Net unreachable. */
  Network: 0,
  /** Host unreachable. */
  Host: 1,
  /** Protocol unreachable. */
  Protocol: 2,
  /** Port unreachable. */
  Port: 3,
  /** Fragmentation needed and DF set; carries the next-hop MTU (RFC 1191 §4). */
  FragmentationNeeded: 4,
} as const;

/**
 * Bytes of the offending datagram's data an ICMP error quotes after its IP header:
 * "the first 64 bits of the original datagram's data" (RFC 792).
 *
 * @example
 * ```ts
 * import { ICMPV4_ERROR_QUOTE_LENGTH } from '@libos/net';
 * const quoteOfPlainHeader = 20 + ICMPV4_ERROR_QUOTE_LENGTH; // 28
 * ```
 */
export const ICMPV4_ERROR_QUOTE_LENGTH = 8;

/**
 * A zero-copy view of an ICMPv4 message. The message ends where the bytes end, so wrap
 * exactly the IP payload.
 *
 * @example
 * ```ts
 * import { Icmpv4Message, Icmpv4Type } from '@libos/net';
 * const icmp = Icmpv4Message.check(ip.payload);
 * if (typeof icmp !== 'string' && icmp.verifyChecksum() && icmp.type === Icmpv4Type.EchoRequest) {
 *   reply(icmp.identifier, icmp.sequenceNumber, icmp.data);
 * }
 * ```
 */
export class Icmpv4Message {
  /**
   * Wraps `bytes` without any check. Use {@link Icmpv4Message.check} for received data.
   *
   * @param bytes The whole message, starting at the type.
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes, or says why it cannot. The checksum is not verified here.
   *
   * @param bytes The IP payload.
   * @returns The view, or `'truncated'` when shorter than the 8-byte header.
   */
  static check(bytes: Uint8Array): Icmpv4Message | 'truncated' {
    if (bytes.length < ICMPV4_HEADER_LENGTH) return 'truncated';
    return new Icmpv4Message(bytes);
  }

  /** Message type (see {@link Icmpv4Type}). */
  get type(): number {
    return this.bytes[Field.TYPE]!;
  }

  /** Writes `type` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set type(value: number) {
    requireUint(value, 0xff, 'ICMP type');
    this.bytes[Field.TYPE] = value;
  }

  /** Message code, meaning per type. */
  get code(): number {
    return this.bytes[Field.CODE]!;
  }

  /** Writes `code` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set code(value: number) {
    requireUint(value, 0xff, 'ICMP code');
    this.bytes[Field.CODE] = value;
  }

  /** The checksum field as stored. */
  get checksum(): number {
    return readU16(this.bytes, Field.CHECKSUM);
  }

  /** Writes the checksum field as given. Throws {@link WireFormatError} `EINVAL` when out of range. */
  set checksum(value: number) {
    requireUint(value, 0xffff, 'ICMP checksum');
    writeU16(this.bytes, Field.CHECKSUM, value);
  }

  /** Echo identifier (bytes 4–5). */
  get identifier(): number {
    return readU16(this.bytes, Field.IDENTIFIER);
  }

  /** Writes `identifier` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set identifier(value: number) {
    requireUint(value, 0xffff, 'ICMP echo identifier');
    writeU16(this.bytes, Field.IDENTIFIER, value);
  }

  /** Echo sequence number (bytes 6–7). */
  get sequenceNumber(): number {
    return readU16(this.bytes, Field.SEQUENCE_NUMBER);
  }

  /** Writes `sequenceNumber` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set sequenceNumber(value: number) {
    requireUint(value, 0xffff, 'ICMP echo sequence number');
    writeU16(this.bytes, Field.SEQUENCE_NUMBER, value);
  }

  /** Next-hop MTU of a fragmentation-needed message (bytes 6–7, RFC 1191 §4); 0 from old routers. */
  get nextHopMtu(): number {
    return readU16(this.bytes, Field.NEXT_HOP_MTU);
  }

  /** Writes `nextHopMtu` in place (the checksum is not updated). Throws {@link WireFormatError} `EINVAL` when out of range. */
  set nextHopMtu(value: number) {
    requireUint(value, 0xffff, 'next-hop MTU');
    writeU16(this.bytes, Field.NEXT_HOP_MTU, value);
  }

  /** Bytes 8..end, a view: the echo payload, or the invoking IP header + 8 bytes of an error. */
  get data(): Uint8Array {
    return this.bytes.subarray(Field.DATA);
  }

  /** Whether the checksum over the whole message is correct (RFC 792). */
  verifyChecksum(): boolean {
    return onesComplementSum(this.bytes) === 0xffff;
  }

  /** Computes the checksum over the whole message and stores it. */
  fillChecksum(): void {
    writeU16(this.bytes, Field.CHECKSUM, 0);
    writeU16(this.bytes, Field.CHECKSUM, internetChecksum(this.bytes));
  }
}

/**
 * The meaning of an ICMPv4 message, detached from the header bytes. `data` and
 * `invoking` of a parsed repr are views into the message; `'other'` stands for every
 * type/code the stack does not interpret (including echo with a non-zero code).
 *
 * @example
 * ```ts
 * import type { Icmpv4Repr } from '@libos/net';
 * const ping: Icmpv4Repr = { kind: 'echo-request', identifier: 0x1234, sequenceNumber: 1, data: new Uint8Array(56) };
 * ```
 */
export type Icmpv4Repr =
  | {
      /** Echo request (type 8) or echo reply (type 0), code 0. */
      readonly kind: 'echo-request' | 'echo-reply';
      /** Identifier, matching replies to requests. */
      readonly identifier: number;
      /** Sequence number. */
      readonly sequenceNumber: number;
      /** Echo payload, returned unchanged in the reply. */
      readonly data: Uint8Array;
    }
  | {
      /** Destination unreachable (type 3). */
      readonly kind: 'destination-unreachable';
      /** See {@link Icmpv4UnreachableCode}. */
      readonly code: number;
      /** Next-hop MTU, present for code 4 (fragmentation needed). */
      readonly nextHopMtu?: number;
      /** The invoking packet's IP header and first 8 data bytes. */
      readonly invoking: Uint8Array;
    }
  | {
      /** Time exceeded (type 11). */
      readonly kind: 'time-exceeded';
      /** 0 TTL exceeded in transit, 1 fragment reassembly time exceeded. */
      readonly code: number;
      /** The invoking packet's IP header and first 8 data bytes. */
      readonly invoking: Uint8Array;
    }
  | {
      /** A type/code this stack does not interpret. */
      readonly kind: 'other';
      /** Message type. */
      readonly type: number;
      /** Message code. */
      readonly code: number;
    };

/**
 * Interprets a checked message, verifying its checksum unless the caller already has.
 *
 * @param message A checked message.
 * @param options `checksumVerified: true` skips the checksum check.
 * @returns The repr (with views into the message), or `'bad-checksum'`.
 * @example
 * ```ts
 * import { Icmpv4Message, parseIcmpv4Repr } from '@libos/net';
 * const icmp = Icmpv4Message.check(ip.payload);
 * if (typeof icmp !== 'string') {
 *   const repr = parseIcmpv4Repr(icmp);
 *   if (repr !== 'bad-checksum' && repr.kind === 'echo-request') sendReply(repr);
 * }
 * ```
 */
export function parseIcmpv4Repr(
  message: Icmpv4Message,
  options?: { readonly checksumVerified?: boolean },
): Icmpv4Repr | 'bad-checksum' {
  if (options?.checksumVerified !== true && !message.verifyChecksum()) return 'bad-checksum';
  const type = message.type;
  const code = message.code;
  switch (type) {
    case Icmpv4Type.EchoRequest:
    case Icmpv4Type.EchoReply:
      if (code !== 0) break; // RFC 792 "Echo or Echo Reply Message": Code 0
      return {
        kind: type === Icmpv4Type.EchoRequest ? 'echo-request' : 'echo-reply',
        identifier: message.identifier,
        sequenceNumber: message.sequenceNumber,
        data: message.data,
      };
    case Icmpv4Type.DestinationUnreachable:
      return code === Icmpv4UnreachableCode.FragmentationNeeded
        ? {
            kind: 'destination-unreachable',
            code,
            nextHopMtu: message.nextHopMtu,
            invoking: message.data,
          }
        : { kind: 'destination-unreachable', code, invoking: message.data };
    case Icmpv4Type.TimeExceeded:
      return { kind: 'time-exceeded', code, invoking: message.data };
  }
  return { kind: 'other', type, code };
}

/**
 * The length of the message {@link emitIcmpv4Repr} writes for `repr`: 8 header bytes plus
 * the echo data or invoking quote.
 *
 * @param repr The message.
 * @example
 * ```ts
 * import { icmpv4ReprLength } from '@libos/net';
 * icmpv4ReprLength({ kind: 'echo-request', identifier: 1, sequenceNumber: 1, data: new Uint8Array(56) }); // 64
 * ```
 */
export function icmpv4ReprLength(repr: Icmpv4Repr): number {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMPV4_HEADER_LENGTH + repr.data.length;
    case 'destination-unreachable':
    case 'time-exceeded':
      return ICMPV4_HEADER_LENGTH + repr.invoking.length;
    case 'other':
      return ICMPV4_HEADER_LENGTH;
  }
}

/**
 * Writes the message described by `repr` at the start of `buffer`: the header, a copy
 * of the echo data or invoking quote, and the checksum over all of it. The unused
 * rest-of-header bytes of errors (and of `'other'`) are zero.
 *
 * @param repr The message.
 * @param buffer Destination, at least {@link icmpv4ReprLength} bytes.
 * @returns The number of bytes written, {@link icmpv4ReprLength}`(repr)`.
 * @throws {@link WireFormatError} `ENOSPC` when `buffer` is too short, `EINVAL` for a
 *   field out of range.
 * @example
 * ```ts
 * import { emitIcmpv4Repr } from '@libos/net';
 * const buffer = new Uint8Array(64);
 * emitIcmpv4Repr({ kind: 'echo-reply', identifier: 0x1234, sequenceNumber: 1, data: new Uint8Array(56) }, buffer); // 64
 * ```
 */
export function emitIcmpv4Repr(repr: Icmpv4Repr, buffer: Uint8Array): number {
  const length = icmpv4ReprLength(repr);
  requireSpace(buffer, length, 'an ICMP message');
  let type: number;
  let code: number;
  let restHigh = 0; // bytes 4–5
  let restLow = 0; // bytes 6–7
  let data: Uint8Array | undefined;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      requireUint(repr.identifier, 0xffff, 'ICMP echo identifier');
      requireUint(repr.sequenceNumber, 0xffff, 'ICMP echo sequence number');
      type = repr.kind === 'echo-request' ? Icmpv4Type.EchoRequest : Icmpv4Type.EchoReply;
      code = 0;
      restHigh = repr.identifier;
      restLow = repr.sequenceNumber;
      data = repr.data;
      break;
    case 'destination-unreachable':
      type = Icmpv4Type.DestinationUnreachable;
      code = repr.code;
      restLow = repr.nextHopMtu ?? 0;
      requireUint(restLow, 0xffff, 'next-hop MTU');
      data = repr.invoking;
      break;
    case 'time-exceeded':
      type = Icmpv4Type.TimeExceeded;
      code = repr.code;
      data = repr.invoking;
      break;
    case 'other':
      type = repr.type;
      code = repr.code;
      requireUint(type, 0xff, 'ICMP type');
      break;
  }
  requireUint(code, 0xff, 'ICMP code');
  buffer[Field.TYPE] = type;
  buffer[Field.CODE] = code;
  writeU16(buffer, Field.CHECKSUM, 0);
  writeU16(buffer, Field.IDENTIFIER, restHigh);
  writeU16(buffer, Field.SEQUENCE_NUMBER, restLow);
  if (data) buffer.set(data, Field.DATA);
  writeU16(buffer, Field.CHECKSUM, internetChecksum(buffer.subarray(0, length)));
  return length;
}

/**
 * The part of a received IP packet an ICMP error must quote (RFC 792): its IP header
 * (options included) and the first 8 data bytes — a view, bounded by the packet's total
 * length (when plausible) and by the bytes actually present.
 *
 * @param ipPacketBytes The offending packet, from its IP version byte.
 * @example
 * ```ts
 * import { emitIcmpv4Repr, icmpv4ErrorQuote, Icmpv4UnreachableCode } from '@libos/net';
 * const invoking = icmpv4ErrorQuote(receivedIpPacket);
 * emitIcmpv4Repr({ kind: 'destination-unreachable', code: Icmpv4UnreachableCode.Port, invoking }, buffer);
 * ```
 */
export function icmpv4ErrorQuote(ipPacketBytes: Uint8Array): Uint8Array {
  let end = ipPacketBytes.length;
  if (end >= 4) {
    const totalLength = readU16(ipPacketBytes, 2);
    if (totalLength >= 20 && totalLength < end) end = totalLength; // drop link padding
  }
  const headerLength = ((ipPacketBytes[0] ?? 0) & 0x0f) * 4;
  return ipPacketBytes.subarray(0, Math.min(end, headerLength + ICMPV4_ERROR_QUOTE_LENGTH));
}
