/**
 * A one-line, tcpdump-like description of an Ethernet frame for traces and test
 * failures. Decodes with a few local byte reads (no dependency on the wire layer) and
 * never throws: what cannot be decoded is reported as truncated or by number.
 */

/** EtherTypes named in summaries (IEEE Registration Authority assignments). */
const ETHERTYPE = { ipv4: 0x0800, arp: 0x0806, vlan: 0x8100, ipv6: 0x86dd } as const;
/** IP protocol numbers (IANA "Assigned Internet Protocol Numbers"). */
const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  1: 'ICMP',
  2: 'IGMP',
  6: 'TCP',
  17: 'UDP',
  58: 'ICMPv6',
};

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

function mac(frame: Uint8Array, offset: number): string {
  let out = hex2(frame[offset]!);
  for (let i = 1; i < 6; i++) out += `:${hex2(frame[offset + i]!)}`;
  return out;
}

function ipv4(frame: Uint8Array, offset: number): string {
  return `${frame[offset]}.${frame[offset + 1]}.${frame[offset + 2]}.${frame[offset + 3]}`;
}

function u16(frame: Uint8Array, offset: number): number {
  return (frame[offset]! << 8) | frame[offset + 1]!;
}

/** RFC 826: Ethernet/IPv4 ARP (htype 1, ptype 0x0800, hlen 6, plen 4). */
function arp(frame: Uint8Array, at: number): string {
  if (frame.length < at + 28) return 'ARP truncated';
  if (u16(frame, at) !== 1 || u16(frame, at + 2) !== ETHERTYPE.ipv4)
    return 'ARP (not Ethernet/IPv4)';
  const op = u16(frame, at + 6);
  const senderIp = ipv4(frame, at + 14);
  const targetIp = ipv4(frame, at + 24);
  if (op === 1) return `ARP request who-has ${targetIp} tell ${senderIp}`;
  if (op === 2) return `ARP reply ${senderIp} is-at ${mac(frame, at + 8)}`;
  return `ARP op ${op}`;
}

/** RFC 792 type names for the common ICMP messages. */
function icmp(frame: Uint8Array, at: number, end: number): string {
  if (end < at + 4) return 'ICMP truncated';
  const type = frame[at]!;
  const code = frame[at + 1]!;
  if (type === 8) return 'ICMP echo request';
  if (type === 0) return 'ICMP echo reply';
  if (type === 3) return `ICMP destination unreachable code ${code}`;
  if (type === 11) return 'ICMP time exceeded';
  return `ICMP type ${type} code ${code}`;
}

/** RFC 791 §3.1 header, then the ports of TCP (RFC 9293 §3.1) / UDP (RFC 768). */
function ip4(frame: Uint8Array, at: number): string {
  if (frame.length < at + 20) return 'IPv4 truncated';
  const versionIhl = frame[at]!;
  const headerBytes = (versionIhl & 0x0f) * 4;
  if (versionIhl >> 4 !== 4 || headerBytes < 20) return 'IPv4 bad header';
  const totalLength = u16(frame, at + 2);
  const fragmentOffset = u16(frame, at + 6) & 0x1fff;
  const protocol = frame[at + 9]!;
  const src = ipv4(frame, at + 12);
  const dst = ipv4(frame, at + 16);
  const name = PROTOCOL_NAMES[protocol] ?? `protocol ${protocol}`;
  const l4 = at + headerBytes;
  const end = Math.min(frame.length, at + totalLength);
  if (fragmentOffset !== 0) return `IPv4 ${src} > ${dst} ${name} fragment`;
  if ((protocol === 6 || protocol === 17) && end >= l4 + 4) {
    return `IPv4 ${src}.${u16(frame, l4)} > ${dst}.${u16(frame, l4 + 2)} ${name}`;
  }
  if (protocol === 1) return `IPv4 ${src} > ${dst} ${icmp(frame, l4, end)}`;
  return `IPv4 ${src} > ${dst} ${name}`;
}

/** RFC 8200 §3: only the next header is shown. */
function ip6(frame: Uint8Array, at: number): string {
  if (frame.length < at + 40) return 'IPv6 truncated';
  const next = frame[at + 6]!;
  return `IPv6 ${PROTOCOL_NAMES[next] ?? `next header ${next}`}`;
}

/**
 * Describes an Ethernet II frame in one line: source and destination MAC, the payload
 * (802.1Q VLAN tag, ARP request/reply, IPv4 addresses with protocol and TCP/UDP ports
 * or ICMP message, IPv6 next header, else the EtherType in hex) and the length.
 *
 * @param frame A whole Ethernet frame (no preamble or FCS).
 * @example
 * ```ts
 * import { formatFrameSummary } from '@libos/net';
 * const frame = new Uint8Array(60);
 * frame.fill(0xff, 0, 6);
 * formatFrameSummary(frame); // '00:00:00:00:00:00 > ff:ff:ff:ff:ff:ff 802.3 length 0, length 60'
 * ```
 */
export function formatFrameSummary(frame: Uint8Array): string {
  if (frame.length < 14) return `truncated Ethernet frame, length ${frame.length}`;
  let at = 12;
  let out = `${mac(frame, 6)} > ${mac(frame, 0)}`;
  let type = u16(frame, at);
  // IEEE 802.1Q §9.6: a tag of TPID 0x8100 and a 12-bit VLAN id before the EtherType.
  if (type === ETHERTYPE.vlan && frame.length >= 18) {
    out += ` vlan ${u16(frame, 14) & 0x0fff}`;
    at = 16;
    type = u16(frame, at);
  }
  at += 2;
  let payload: string;
  if (type === ETHERTYPE.ipv4) payload = ip4(frame, at);
  else if (type === ETHERTYPE.arp) payload = arp(frame, at);
  else if (type === ETHERTYPE.ipv6) payload = ip6(frame, at);
  else if (type < 0x0600)
    payload = `802.3 length ${type}`; // IEEE 802.3 §3.2.6
  else payload = `ethertype 0x${type.toString(16).padStart(4, '0')}`;
  return `${out} ${payload}, length ${frame.length}`;
}
