/**
 * A zero-copy view over a BOOTP/DHCP message (RFC 2131 §2, RFC 951).
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * +---------------+---------------+---------------+---------------+
 * |                            xid (4)                            |
 * +-------------------------------+-------------------------------+
 * |           secs (2)            |           flags (2)           |
 * +-------------------------------+-------------------------------+
 * |  ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4)             |
 * |  chaddr (16) | sname (64) | file (128)                         |
 * |  magic cookie 99.130.83.99 (4) | options (variable)            |
 * +---------------------------------------------------------------+
 * ```
 */

import { readU16, readU32, writeU16, writeU32 } from '../wire/bytes.js';

/** Field offsets, RFC 2131 §2 Figure 1. */
const FIELD = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  sname: 44,
  file: 108,
  cookie: 236,
  options: 240,
} as const;

/**
 * Length of the fixed BOOTP header plus the magic cookie: where the options begin.
 *
 * @example
 * ```ts
 * import { DHCP_OPTIONS_OFFSET } from '@libos/net';
 * DHCP_OPTIONS_OFFSET; // 240
 * ```
 */
export const DHCP_OPTIONS_OFFSET = FIELD.options;

/**
 * The minimum length of a BOOTP message on the wire (RFC 1542 §2.1, RFC 951's 64-byte
 * vendor area): shorter DHCP messages are padded with zeros up to it.
 *
 * @example
 * ```ts
 * import { DHCP_MIN_MESSAGE_LENGTH } from '@libos/net';
 * DHCP_MIN_MESSAGE_LENGTH; // 300
 * ```
 */
export const DHCP_MIN_MESSAGE_LENGTH = 300;

/**
 * The DHCP magic cookie 99.130.83.99 as a uint32 (RFC 2131 §3, RFC 1497).
 *
 * @example
 * ```ts
 * import { DHCP_MAGIC_COOKIE } from '@libos/net';
 * DHCP_MAGIC_COOKIE.toString(16); // '63825363'
 * ```
 */
export const DHCP_MAGIC_COOKIE = 0x63825363;

/**
 * The `op` values (RFC 951, RFC 2131 §2).
 *
 * @example
 * ```ts
 * import { BootpOp } from '@libos/net';
 * BootpOp.Request; // 1
 * ```
 */
export const BootpOp = {
  /** BOOTREQUEST: client to server. */
  Request: 1,
  /** BOOTREPLY: server to client. */
  Reply: 2,
} as const;

/**
 * The broadcast bit of the `flags` field (RFC 2131 §2 Figure 2).
 *
 * @example
 * ```ts
 * import { DHCP_FLAG_BROADCAST } from '@libos/net';
 * DHCP_FLAG_BROADCAST; // 0x8000
 * ```
 */
export const DHCP_FLAG_BROADCAST = 0x8000;

/**
 * Why a DHCP message was rejected by {@link DhcpPacket.newChecked}: shorter than
 * the fixed header plus cookie, or without the magic cookie (a plain BOOTP message).
 *
 * @example
 * ```ts
 * import type { DhcpPacketIssue } from '@libos/net';
 * const issue: DhcpPacketIssue = 'truncated';
 * ```
 */
export type DhcpPacketIssue = 'truncated' | 'bad-cookie';

/**
 * A zero-copy view over the bytes of a BOOTP/DHCP message: getters and setters do
 * the byte arithmetic in place. Use {@link DhcpPacket.newChecked} for untrusted input.
 *
 * @example
 * ```ts
 * import { DhcpPacket } from '@libos/net';
 * const packet = DhcpPacket.newChecked(payload);
 * if (typeof packet !== 'string') console.log(packet.xid.toString(16));
 * ```
 */
export class DhcpPacket {
  /**
   * Wraps `bytes` without checking its length (for emitting into a buffer known to be
   * at least {@link DHCP_OPTIONS_OFFSET} bytes long).
   *
   * @param bytes The whole DHCP message (the UDP payload).
   */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Wraps untrusted bytes: checks that the fixed header and the magic cookie are
   * present (RFC 2131 §3). Options are checked when they are parsed.
   *
   * @param bytes The UDP payload.
   * @returns the view, or the reason it was rejected.
   */
  static newChecked(bytes: Uint8Array): DhcpPacket | DhcpPacketIssue {
    if (bytes.length < FIELD.options) return 'truncated';
    const packet = new DhcpPacket(bytes);
    if (packet.magicCookie !== DHCP_MAGIC_COOKIE) return 'bad-cookie';
    return packet;
  }

  /** Message op code: 1 BOOTREQUEST, 2 BOOTREPLY. */
  get op(): number {
    return this.bytes[FIELD.op]!;
  }
  /** Sets: message op code: 1 BOOTREQUEST, 2 BOOTREPLY. */
  set op(value: number) {
    this.bytes[FIELD.op] = value;
  }

  /** Hardware address type (1 = 10 Mb Ethernet, RFC 1700 "ARP Hardware"). */
  get htype(): number {
    return this.bytes[FIELD.htype]!;
  }
  /** Sets: hardware address type (1 = 10 Mb Ethernet, RFC 1700 "ARP Hardware"). */
  set htype(value: number) {
    this.bytes[FIELD.htype] = value;
  }

  /** Hardware address length (6 for Ethernet). */
  get hlen(): number {
    return this.bytes[FIELD.hlen]!;
  }
  /** Sets: hardware address length (6 for Ethernet). */
  set hlen(value: number) {
    this.bytes[FIELD.hlen] = value;
  }

  /** Relay hops; clients set 0. */
  get hops(): number {
    return this.bytes[FIELD.hops]!;
  }
  /** Sets: relay hops; clients set 0. */
  set hops(value: number) {
    this.bytes[FIELD.hops] = value;
  }

  /** Transaction ID chosen by the client. */
  get xid(): number {
    return readU32(this.bytes, FIELD.xid);
  }
  /** Sets: transaction ID chosen by the client. */
  set xid(value: number) {
    writeU32(this.bytes, FIELD.xid, value);
  }

  /** Seconds elapsed since the client began acquisition or renewal. */
  get secs(): number {
    return readU16(this.bytes, FIELD.secs);
  }
  /** Sets: seconds elapsed since the client began acquisition or renewal. */
  set secs(value: number) {
    writeU16(this.bytes, FIELD.secs, value);
  }

  /** The whole flags field (only the broadcast bit is defined). */
  get flags(): number {
    return readU16(this.bytes, FIELD.flags);
  }
  /** Sets: the whole flags field (only the broadcast bit is defined). */
  set flags(value: number) {
    writeU16(this.bytes, FIELD.flags, value);
  }

  /** Whether the broadcast bit is set (RFC 2131 §4.1). */
  get broadcast(): boolean {
    return (this.flags & DHCP_FLAG_BROADCAST) !== 0;
  }
  /** Sets: whether the broadcast bit is set (RFC 2131 §4.1). */
  set broadcast(value: boolean) {
    this.flags = value ? this.flags | DHCP_FLAG_BROADCAST : this.flags & ~DHCP_FLAG_BROADCAST;
  }

  /** Client IP address (uint32 a.b.c.d), set only when the client can answer ARP. */
  get ciaddr(): number {
    return readU32(this.bytes, FIELD.ciaddr);
  }
  /** Sets: client IP address (uint32 a.b.c.d), set only when the client can answer ARP. */
  set ciaddr(value: number) {
    writeU32(this.bytes, FIELD.ciaddr, value);
  }

  /** "Your" (client) IP address offered or assigned by the server (uint32). */
  get yiaddr(): number {
    return readU32(this.bytes, FIELD.yiaddr);
  }
  /** Sets: "Your" (client) IP address offered or assigned by the server (uint32). */
  set yiaddr(value: number) {
    writeU32(this.bytes, FIELD.yiaddr, value);
  }

  /** IP address of the next server in bootstrap (uint32). */
  get siaddr(): number {
    return readU32(this.bytes, FIELD.siaddr);
  }
  /** Sets: iP address of the next server in bootstrap (uint32). */
  set siaddr(value: number) {
    writeU32(this.bytes, FIELD.siaddr, value);
  }

  /** Relay agent IP address (uint32). */
  get giaddr(): number {
    return readU32(this.bytes, FIELD.giaddr);
  }
  /** Sets: relay agent IP address (uint32). */
  set giaddr(value: number) {
    writeU32(this.bytes, FIELD.giaddr, value);
  }

  /** The 16-byte client hardware address field (a live subarray). */
  get chaddr(): Uint8Array {
    return this.bytes.subarray(FIELD.chaddr, FIELD.chaddr + 16);
  }

  /** The 64-byte server host name field (a live subarray; options under overload 52). */
  get sname(): Uint8Array {
    return this.bytes.subarray(FIELD.sname, FIELD.sname + 64);
  }

  /** The 128-byte boot file name field (a live subarray; options under overload 52). */
  get file(): Uint8Array {
    return this.bytes.subarray(FIELD.file, FIELD.file + 128);
  }

  /** The 4-byte magic cookie as a uint32 ({@link DHCP_MAGIC_COOKIE} for DHCP). */
  get magicCookie(): number {
    return readU32(this.bytes, FIELD.cookie);
  }
  /** Sets: the 4-byte magic cookie as a uint32 ({@link DHCP_MAGIC_COOKIE} for DHCP). */
  set magicCookie(value: number) {
    writeU32(this.bytes, FIELD.cookie, value);
  }

  /** The options area: everything after the magic cookie (a live subarray). */
  get options(): Uint8Array {
    return this.bytes.subarray(FIELD.options);
  }
}
