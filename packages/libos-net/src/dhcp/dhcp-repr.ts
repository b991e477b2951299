/**
 * A DHCP message as a plain value ({@link DhcpRepr}), with a checked parser for
 * untrusted bytes and an emitter that pads to the 300-byte BOOTP minimum.
 */

import { readU16, readU32 } from '../wire/bytes.js';
import { DhcpError } from './dhcp-error.js';
import {
  type DhcpMessageType,
  DhcpOption,
  dhcpMessageTypeCode,
  dhcpMessageTypeFromCode,
} from './dhcp-option.js';
import {
  DHCP_MAGIC_COOKIE,
  DHCP_MIN_MESSAGE_LENGTH,
  DHCP_OPTIONS_OFFSET,
  DhcpPacket,
  type DhcpPacketIssue,
} from './dhcp-packet.js';

/**
 * A BOOTP/DHCP message with the options this stack understands. IPv4 addresses are
 * uint32 numbers (`a.b.c.d` is `(a << 24 | b << 16 | c << 8 | d) >>> 0`); times are
 * whole seconds as on the wire. Absent options are absent properties.
 *
 * @example
 * ```ts
 * import type { DhcpRepr } from '@libos/net';
 * const discover: DhcpRepr = {
 *   op: 1, messageType: 'discover', xid: 0x3903f326, secs: 0, broadcast: true,
 *   ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0,
 *   chaddr: new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
 *   parameterRequestList: [1, 3, 6, 15, 51, 58, 59],
 * };
 * ```
 */
export interface DhcpRepr {
  /** 1 BOOTREQUEST (client → server) or 2 BOOTREPLY. */
  readonly op: number;
  /** Option 53. */
  readonly messageType: DhcpMessageType;
  /** Transaction ID. */
  readonly xid: number;
  /** Seconds since the client began acquisition or renewal. */
  readonly secs: number;
  /** The broadcast flag (RFC 2131 §4.1). */
  readonly broadcast: boolean;
  /** Client IP address (uint32). */
  readonly ciaddr: number;
  /** "Your" IP address (uint32). */
  readonly yiaddr: number;
  /** Next-server IP address (uint32). */
  readonly siaddr: number;
  /** Relay agent IP address (uint32). */
  readonly giaddr: number;
  /** Client hardware address: the first `hlen` bytes of `chaddr` (htype 1 when 6 bytes). */
  readonly chaddr: Uint8Array;
  /** Relay hops (0 from clients); emitted as 0 when absent. */
  readonly hops?: number;
  /** Option 50: requested IP address (uint32). */
  readonly requestedIp?: number;
  /** Option 54: server identifier (uint32). */
  readonly serverId?: number;
  /** Option 51: lease time in seconds (0xffffffff = infinite). */
  readonly leaseTime?: number;
  /** Option 58: renewal (T1) time in seconds. */
  readonly renewalTime?: number;
  /** Option 59: rebinding (T2) time in seconds. */
  readonly rebindingTime?: number;
  /** Option 1: subnet mask (uint32). */
  readonly subnetMask?: number;
  /** Option 3: routers (uint32 each), preferred first. */
  readonly routers?: readonly number[];
  /** Option 6: DNS servers (uint32 each), preferred first. */
  readonly dnsServers?: readonly number[];
  /** Option 15: domain name. */
  readonly domainName?: string;
  /** Option 12: host name. */
  readonly hostName?: string;
  /** Option 55: parameter request list (option codes). */
  readonly parameterRequestList?: readonly number[];
  /** Option 61: client identifier (type byte, then the identifier). */
  readonly clientId?: Uint8Array;
  /** Option 57: maximum DHCP message size the sender accepts. */
  readonly maxMessageSize?: number;
  /** Option 56: an error message (servers send it with DHCPNAK). */
  readonly message?: string;
}

/**
 * Why {@link parseDhcpRepr} rejected a message: those of {@link DhcpPacketIssue}, or
 * `bad-option` (an option running past the end of the message, a missing length
 * byte, or a fixed-size option of the wrong length), `bad-hlen` (hardware address
 * length over 16), `no-message-type` (option 53 absent or outside 1..8).
 *
 * @example
 * ```ts
 * import type { DhcpParseIssue } from '@libos/net';
 * const issue: DhcpParseIssue = 'bad-option';
 * ```
 */
export type DhcpParseIssue = DhcpPacketIssue | 'bad-option' | 'bad-hlen' | 'no-message-type';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type OptionalFields = Omit<
  Mutable<DhcpRepr>,
  | 'op'
  | 'messageType'
  | 'xid'
  | 'secs'
  | 'broadcast'
  | 'ciaddr'
  | 'yiaddr'
  | 'siaddr'
  | 'giaddr'
  | 'chaddr'
>;
type ListFields = { routers: number[]; dnsServers: number[]; parameterRequestList: number[] };

/** Option text; empty (or all-NUL) text counts as absent. */
function text(bytes: Uint8Array): string {
  let end = bytes.length;
  // Some servers NUL-terminate string options (RFC 2132 §2 says they should not).
  while (end > 0 && bytes[end - 1] === 0) end--;
  let out = '';
  for (let i = 0; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

function addresses(value: Uint8Array, into: number[]): boolean {
  if (value.length === 0 || value.length % 4 !== 0) return false;
  for (let i = 0; i < value.length; i += 4) into.push(readU32(value, i));
  return true;
}

/**
 * Parses an untrusted DHCP message (the UDP payload). Pad options are skipped,
 * parsing stops at the end option (or at the end of the buffer when the end option
 * is missing), unknown options are skipped. Repeated address-list options are
 * concatenated (RFC 3396); a repeated fixed-size option keeps its last value.
 * Options carried in `sname`/`file` under option 52 are not read.
 *
 * @param bytes The UDP payload.
 * @returns the message, or why it was rejected.
 * @example
 * ```ts
 * import { parseDhcpRepr } from '@libos/net';
 * const repr = parseDhcpRepr(payload);
 * if (typeof repr !== 'string' && repr.messageType === 'offer') console.log(repr.yiaddr);
 * ```
 */
export function parseDhcpRepr(bytes: Uint8Array): DhcpRepr | DhcpParseIssue {
  const packet = DhcpPacket.newChecked(bytes);
  if (typeof packet === 'string') return packet;
  const hlen = packet.hlen;
  if (hlen > 16) return 'bad-hlen';
  const fields: OptionalFields = {};
  const lists: ListFields = { routers: [], dnsServers: [], parameterRequestList: [] };
  let messageType: DhcpMessageType | undefined;
  const options = packet.options;
  let i = 0;
  // RFC 2132 §2: code, length, value; pad (0) and end (255) are one byte.
  while (i < options.length) {
    const code = options[i]!;
    if (code === DhcpOption.Pad) {
      i++;
      continue;
    }
    if (code === DhcpOption.End) break;
    if (i + 1 >= options.length) return 'bad-option';
    const length = options[i + 1]!;
    const start = i + 2;
    if (start + length > options.length) return 'bad-option';
    const value = options.subarray(start, start + length);
    i = start + length;
    switch (code) {
      case DhcpOption.MessageType:
        if (length !== 1) return 'bad-option';
        messageType = dhcpMessageTypeFromCode(value[0]!);
        break;
      case DhcpOption.SubnetMask:
      case DhcpOption.RequestedIpAddress:
      case DhcpOption.ServerIdentifier:
      case DhcpOption.LeaseTime:
      case DhcpOption.RenewalTime:
      case DhcpOption.RebindingTime: {
        if (length !== 4) return 'bad-option';
        const word = readU32(value, 0);
        if (code === DhcpOption.SubnetMask) fields.subnetMask = word;
        else if (code === DhcpOption.RequestedIpAddress) fields.requestedIp = word;
        else if (code === DhcpOption.ServerIdentifier) fields.serverId = word;
        else if (code === DhcpOption.LeaseTime) fields.leaseTime = word;
        else if (code === DhcpOption.RenewalTime) fields.renewalTime = word;
        else fields.rebindingTime = word;
        break;
      }
      case DhcpOption.Router:
        if (!addresses(value, lists.routers)) return 'bad-option';
        break;
      case DhcpOption.DomainNameServer:
        if (!addresses(value, lists.dnsServers)) return 'bad-option';
        break;
      case DhcpOption.ParameterRequestList:
        for (const c of value) lists.parameterRequestList.push(c);
        break;
      case DhcpOption.HostName: {
        const t = text(value);
        if (t.length > 0) fields.hostName = t;
        break;
      }
      case DhcpOption.DomainName: {
        const t = text(value);
        if (t.length > 0) fields.domainName = t;
        break;
      }
      case DhcpOption.Message: {
        const t = text(value);
        if (t.length > 0) fields.message = t;
        break;
      }
      case DhcpOption.ClientIdentifier:
        // RFC 2132 §9.14: minimum length 2.
        if (length < 2) return 'bad-option';
        fields.clientId = value.slice();
        break;
      case DhcpOption.MaxMessageSize:
        if (length !== 2) return 'bad-option';
        fields.maxMessageSize = readU16(value, 0);
        break;
      default:
        // Unknown options (and 52, overload) are skipped.
        break;
    }
  }
  if (messageType === undefined) return 'no-message-type';
  if (lists.routers.length > 0) fields.routers = lists.routers;
  if (lists.dnsServers.length > 0) fields.dnsServers = lists.dnsServers;
  if (lists.parameterRequestList.length > 0) {
    fields.parameterRequestList = lists.parameterRequestList;
  }
  if (packet.hops !== 0) fields.hops = packet.hops;
  return {
    op: packet.op,
    messageType,
    xid: packet.xid,
    secs: packet.secs,
    broadcast: packet.broadcast,
    ciaddr: packet.ciaddr,
    yiaddr: packet.yiaddr,
    siaddr: packet.siaddr,
    giaddr: packet.giaddr,
    chaddr: packet.chaddr.slice(0, hlen),
    ...fields,
  };
}

function textBytes(value: string, what: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) throw new DhcpError('EINVAL', `${what} must be Latin-1 text`);
    out.push(c);
  }
  return out;
}

function u32Bytes(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** The options of `repr` as [code, value bytes] pairs, in emission order. */
function optionList(repr: DhcpRepr): Array<[number, readonly number[]]> {
  const list: Array<[number, readonly number[]]> = [
    [DhcpOption.MessageType, [dhcpMessageTypeCode(repr.messageType)]],
  ];
  const word = (code: number, value: number | undefined): void => {
    if (value !== undefined) list.push([code, u32Bytes(value)]);
  };
  const addrs = (code: number, value: readonly number[] | undefined): void => {
    if (value !== undefined && value.length > 0) list.push([code, value.flatMap(u32Bytes)]);
  };
  if (repr.clientId !== undefined) list.push([DhcpOption.ClientIdentifier, [...repr.clientId]]);
  word(DhcpOption.RequestedIpAddress, repr.requestedIp);
  word(DhcpOption.ServerIdentifier, repr.serverId);
  word(DhcpOption.LeaseTime, repr.leaseTime);
  word(DhcpOption.RenewalTime, repr.renewalTime);
  word(DhcpOption.RebindingTime, repr.rebindingTime);
  word(DhcpOption.SubnetMask, repr.subnetMask);
  addrs(DhcpOption.Router, repr.routers);
  addrs(DhcpOption.DomainNameServer, repr.dnsServers);
  if (repr.hostName !== undefined) {
    list.push([DhcpOption.HostName, textBytes(repr.hostName, 'hostName')]);
  }
  if (repr.domainName !== undefined) {
    list.push([DhcpOption.DomainName, textBytes(repr.domainName, 'domainName')]);
  }
  if (repr.parameterRequestList !== undefined && repr.parameterRequestList.length > 0) {
    list.push([DhcpOption.ParameterRequestList, repr.parameterRequestList]);
  }
  if (repr.maxMessageSize !== undefined) {
    list.push([DhcpOption.MaxMessageSize, [repr.maxMessageSize >>> 8, repr.maxMessageSize & 0xff]]);
  }
  if (repr.message !== undefined) {
    list.push([DhcpOption.Message, textBytes(repr.message, 'message')]);
  }
  for (const [code, value] of list) {
    if (value.length === 0 || value.length > 255) {
      throw new DhcpError('EINVAL', `option ${code} must have 1..255 bytes, has ${value.length}`);
    }
  }
  return list;
}

/**
 * The number of bytes {@link emitDhcpRepr} writes for `repr`: the header, cookie,
 * options and end option, padded to at least {@link DHCP_MIN_MESSAGE_LENGTH}.
 *
 * @throws {@link DhcpError} `EINVAL` if an option value does not fit in 255 bytes.
 * @example
 * ```ts
 * import { dhcpReprLength, emitDhcpRepr } from '@libos/net';
 * const payload = new Uint8Array(dhcpReprLength(repr));
 * emitDhcpRepr(repr, payload);
 * ```
 */
export function dhcpReprLength(repr: DhcpRepr): number {
  let length = DHCP_OPTIONS_OFFSET + 1;
  for (const [, value] of optionList(repr)) length += 2 + value.length;
  return Math.max(length, DHCP_MIN_MESSAGE_LENGTH);
}

/**
 * Writes `repr` into `buffer` (which must hold {@link dhcpReprLength} bytes) and
 * returns the number of bytes written. The `sname` and `file` fields and the padding
 * after the end option are zeroed; `htype` is 1 (Ethernet) for a 6-byte `chaddr`.
 *
 * @throws {@link DhcpError} `ENOSPC` if the buffer is too small, `EINVAL` if a field
 *   or option value does not fit.
 * @example
 * ```ts
 * import { dhcpReprLength, emitDhcpRepr } from '@libos/net';
 * const payload = new Uint8Array(dhcpReprLength(repr));
 * emitDhcpRepr(repr, payload);
 * ```
 */
export function emitDhcpRepr(repr: DhcpRepr, buffer: Uint8Array): number {
  if (!Number.isInteger(repr.op) || repr.op < 0 || repr.op > 255) {
    throw new DhcpError('EINVAL', `op must be a byte, got ${repr.op}`);
  }
  if (repr.chaddr.length > 16) {
    throw new DhcpError('EINVAL', `chaddr must have at most 16 bytes, has ${repr.chaddr.length}`);
  }
  const list = optionList(repr);
  let length = DHCP_OPTIONS_OFFSET + 1;
  for (const [, value] of list) length += 2 + value.length;
  length = Math.max(length, DHCP_MIN_MESSAGE_LENGTH);
  if (buffer.length < length) {
    throw new DhcpError(
      'ENOSPC',
      `DHCP message needs ${length} bytes, buffer has ${buffer.length}`,
    );
  }
  const bytes = buffer.subarray(0, length);
  bytes.fill(0);
  const packet = new DhcpPacket(bytes);
  packet.op = repr.op;
  // RFC 1700 "ARP Hardware Types": 1 = Ethernet.
  packet.htype = repr.chaddr.length === 6 ? 1 : 0;
  packet.hlen = repr.chaddr.length;
  packet.hops = repr.hops ?? 0;
  packet.xid = repr.xid;
  packet.secs = Math.min(repr.secs, 0xffff);
  packet.broadcast = repr.broadcast;
  packet.ciaddr = repr.ciaddr;
  packet.yiaddr = repr.yiaddr;
  packet.siaddr = repr.siaddr;
  packet.giaddr = repr.giaddr;
  packet.chaddr.set(repr.chaddr);
  packet.magicCookie = DHCP_MAGIC_COOKIE;
  let at = DHCP_OPTIONS_OFFSET;
  for (const [code, value] of list) {
    bytes[at] = code;
    bytes[at + 1] = value.length;
    bytes.set(value, at + 2);
    at += 2 + value.length;
  }
  bytes[at] = DhcpOption.End;
  return length;
}
