/**
 * A zero-copy view over the DNS message header (RFC 1035 §4.1.1), plus the record
 * type, class and response code numbers the codec uses.
 *
 * ```text
 *                                 1  1  1  1  1  1
 *   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                      ID                       |
 * |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 * |                    QDCOUNT                    |
 * |                    ANCOUNT                    |
 * |                    NSCOUNT                    |
 * |                    ARCOUNT                    |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * ```
 */

import { readU16, writeU16 } from '../wire/bytes.js';

/** Field offsets, RFC 1035 §4.1.1. */
const FIELD = { id: 0, flags: 2, qdcount: 4, ancount: 6, nscount: 8, arcount: 10 } as const;

/** Flag bits of the second header word, RFC 1035 §4.1.1. */
const FLAG = { qr: 0x8000, aa: 0x0400, tc: 0x0200, rd: 0x0100, ra: 0x0080 } as const;

/**
 * Length of the fixed DNS header.
 *
 * @example
 * ```ts
 * import { DNS_HEADER_LENGTH } from '@libos/net';
 * DNS_HEADER_LENGTH; // 12
 * ```
 */
export const DNS_HEADER_LENGTH = 12;

/**
 * The UDP port DNS servers listen on (RFC 1035 §4.2.1).
 *
 * @example
 * ```ts
 * import { DNS_PORT } from '@libos/net';
 * DNS_PORT; // 53
 * ```
 */
export const DNS_PORT = 53;

/**
 * Resource record TYPE values used by the stub resolver (RFC 1035 §3.2.2, RFC 3596
 * §2.1). Other types are carried as raw data.
 *
 * @example
 * ```ts
 * import { DnsType } from '@libos/net';
 * DnsType.AAAA; // 28
 * ```
 */
export const DnsType = {
  /** A host address (IPv4). */
  A: 1,
  /** An authoritative name server. */
  NS: 2,
  /** The canonical name for an alias. */
  CNAME: 5,
  /** Start of a zone of authority (RFC 2308 negative caching uses its MINIMUM). */
  SOA: 6,
  /** An IPv6 host address (RFC 3596). */
  AAAA: 28,
  /** EDNS(0) pseudo-record (RFC 6891). */
  OPT: 41,
} as const;

/**
 * The Internet CLASS value (RFC 1035 §3.2.4).
 *
 * @example
 * ```ts
 * import { DNS_CLASS_IN } from '@libos/net';
 * DNS_CLASS_IN; // 1
 * ```
 */
export const DNS_CLASS_IN = 1;

/**
 * Response codes (RFC 1035 §4.1.1).
 *
 * @example
 * ```ts
 * import { DnsRcode } from '@libos/net';
 * DnsRcode.NameError; // 3 (NXDOMAIN)
 * ```
 */
export const DnsRcode = {
  /** No error. */
  NoError: 0,
  /** The server could not interpret the query. */
  FormatError: 1,
  /** The server failed to process the query. */
  ServerFailure: 2,
  /** NXDOMAIN: the name does not exist. */
  NameError: 3,
  /** The server does not support this kind of query. */
  NotImplemented: 4,
  /** The server refuses to answer. */
  Refused: 5,
} as const;

/**
 * A zero-copy view over a DNS message's 12-byte header. Use
 * {@link DnsPacket.newChecked} for untrusted input.
 *
 * @example
 * ```ts
 * import { DnsPacket } from '@libos/net';
 * const packet = DnsPacket.newChecked(payload);
 * if (typeof packet !== 'string' && packet.response) console.log(packet.id, packet.rcode);
 * ```
 */
export class DnsPacket {
  /**
   * Wraps `bytes` without checking (for emitting into a buffer of at least 12 bytes).
   *
   * @param bytes The whole DNS message (the UDP payload).
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes: checks that the 12-byte header is present.
   *
   * @param bytes The UDP payload.
   * @returns the view, or `'truncated'`.
   */
  static newChecked(bytes: Uint8Array): DnsPacket | 'truncated' {
    return bytes.length < DNS_HEADER_LENGTH ? 'truncated' : new DnsPacket(bytes);
  }

  /** Query identifier, copied into the response. */
  get id(): number {
    return readU16(this.bytes, FIELD.id);
  }
  /** Sets: query identifier, copied into the response. */
  set id(value: number) {
    writeU16(this.bytes, FIELD.id, value);
  }

  /** The whole second header word (QR, Opcode, AA, TC, RD, RA, Z, RCODE). */
  get flags(): number {
    return readU16(this.bytes, FIELD.flags);
  }
  /** Sets: the whole second header word (QR, Opcode, AA, TC, RD, RA, Z, RCODE). */
  set flags(value: number) {
    writeU16(this.bytes, FIELD.flags, value);
  }

  /** QR: whether this is a response. */
  get response(): boolean {
    return (this.flags & FLAG.qr) !== 0;
  }
  /** Sets: qR: whether this is a response. */
  set response(value: boolean) {
    this.#setFlag(FLAG.qr, value);
  }

  /** Opcode (0 = standard query). */
  get opcode(): number {
    return (this.flags >>> 11) & 0xf;
  }
  /** Sets: opcode (0 = standard query). */
  set opcode(value: number) {
    this.flags = (this.flags & ~0x7800) | ((value & 0xf) << 11);
  }

  /** AA: authoritative answer. */
  get authoritative(): boolean {
    return (this.flags & FLAG.aa) !== 0;
  }
  /** Sets: aA: authoritative answer. */
  set authoritative(value: boolean) {
    this.#setFlag(FLAG.aa, value);
  }

  /** TC: the message was truncated to fit the transport. */
  get truncated(): boolean {
    return (this.flags & FLAG.tc) !== 0;
  }
  /** Sets: tC: the message was truncated to fit the transport. */
  set truncated(value: boolean) {
    this.#setFlag(FLAG.tc, value);
  }

  /** RD: recursion desired. */
  get recursionDesired(): boolean {
    return (this.flags & FLAG.rd) !== 0;
  }
  /** Sets: rD: recursion desired. */
  set recursionDesired(value: boolean) {
    this.#setFlag(FLAG.rd, value);
  }

  /** RA: recursion available. */
  get recursionAvailable(): boolean {
    return (this.flags & FLAG.ra) !== 0;
  }
  /** Sets: rA: recursion available. */
  set recursionAvailable(value: boolean) {
    this.#setFlag(FLAG.ra, value);
  }

  /** Response code (see {@link DnsRcode}). */
  get rcode(): number {
    return this.flags & 0xf;
  }
  /** Sets: response code (see {@link DnsRcode}). */
  set rcode(value: number) {
    this.flags = (this.flags & ~0xf) | (value & 0xf);
  }

  /** Number of entries in the question section. */
  get questionCount(): number {
    return readU16(this.bytes, FIELD.qdcount);
  }
  /** Sets: number of entries in the question section. */
  set questionCount(value: number) {
    writeU16(this.bytes, FIELD.qdcount, value);
  }

  /** Number of resource records in the answer section. */
  get answerCount(): number {
    return readU16(this.bytes, FIELD.ancount);
  }
  /** Sets: number of resource records in the answer section. */
  set answerCount(value: number) {
    writeU16(this.bytes, FIELD.ancount, value);
  }

  /** Number of resource records in the authority section. */
  get authorityCount(): number {
    return readU16(this.bytes, FIELD.nscount);
  }
  /** Sets: number of resource records in the authority section. */
  set authorityCount(value: number) {
    writeU16(this.bytes, FIELD.nscount, value);
  }

  /** Number of resource records in the additional section. */
  get additionalCount(): number {
    return readU16(this.bytes, FIELD.arcount);
  }
  /** Sets: number of resource records in the additional section. */
  set additionalCount(value: number) {
    writeU16(this.bytes, FIELD.arcount, value);
  }

  #setFlag(bit: number, value: boolean): void {
    this.flags = value ? this.flags | bit : this.flags & ~bit;
  }
}
