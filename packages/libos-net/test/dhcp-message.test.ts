import {
  DHCP_MAGIC_COOKIE,
  DhcpPacket,
  type DhcpRepr,
  dhcpReprLength,
  emitDhcpRepr,
  parseDhcpRepr,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Bytes from hex groups ("01 02 ..."), comments stay next to each field. */
function hex(...groups: string[]): number[] {
  return groups.flatMap((g) =>
    g
      .trim()
      .split(/\s+/)
      .filter((s) => s.length > 0)
      .map((b) => Number.parseInt(b, 16)),
  );
}
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
/** Pads a BOOTP message to the 300-byte minimum (RFC 1542 §2.1). */
const padTo300 = (bytes: number[]): Uint8Array =>
  Uint8Array.from([...bytes, ...zeros(300 - bytes.length)]);

const CHADDR = [0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42];
const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

// A DISCOVER/OFFER/REQUEST/ACK exchange laid out per RFC 2131 §2 Figure 1, with the
// values of Wireshark's sample capture dhcp.pcap (client 00:0b:82:01:fc:42, xid
// 0x00003d1d, server 192.168.0.1 offering 192.168.0.10 for 3600 s). Options are in the
// order this codec emits them.
const BOOTP_TAIL = [...zeros(64), ...zeros(128)]; // sname, file

const DISCOVER = padTo300([
  ...hex('01 01 06 00'), // op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
  ...hex('00 00 3d 1d'), // xid
  ...hex('00 00 00 00'), // secs 0, flags 0
  ...hex('00 00 00 00'), // ciaddr 0.0.0.0
  ...hex('00 00 00 00'), // yiaddr
  ...hex('00 00 00 00'), // siaddr
  ...hex('00 00 00 00'), // giaddr
  ...CHADDR,
  ...zeros(10), // chaddr padding to 16
  ...BOOTP_TAIL,
  ...hex('63 82 53 63'), // magic cookie
  ...hex('35 01 01'), // 53 message type DISCOVER
  ...hex('3d 07 01 00 0b 82 01 fc 42'), // 61 client id: type 1 + MAC
  ...hex('32 04 00 00 00 00'), // 50 requested IP 0.0.0.0
  ...hex('37 04 01 03 06 2a'), // 55 PRL: mask, router, DNS, NTP
  ...hex('ff'), // end
]);
const DISCOVER_REPR: DhcpRepr = {
  op: 1,
  messageType: 'discover',
  xid: 0x3d1d,
  secs: 0,
  broadcast: false,
  ciaddr: 0,
  yiaddr: 0,
  siaddr: 0,
  giaddr: 0,
  chaddr: Uint8Array.from(CHADDR),
  clientId: Uint8Array.from([1, ...CHADDR]),
  requestedIp: 0,
  parameterRequestList: [1, 3, 6, 42],
};

const OFFER = padTo300([
  ...hex('02 01 06 00'), // op BOOTREPLY, htype Ethernet, hlen 6, hops 0
  ...hex('00 00 3d 1d'), // xid
  ...hex('00 00 00 00'), // secs 0, flags 0
  ...hex('00 00 00 00'), // ciaddr
  ...hex('c0 a8 00 0a'), // yiaddr 192.168.0.10
  ...hex('c0 a8 00 01'), // siaddr 192.168.0.1
  ...hex('00 00 00 00'), // giaddr
  ...CHADDR,
  ...zeros(10),
  ...BOOTP_TAIL,
  ...hex('63 82 53 63'), // magic cookie
  ...hex('35 01 02'), // 53 OFFER
  ...hex('36 04 c0 a8 00 01'), // 54 server id 192.168.0.1
  ...hex('33 04 00 00 0e 10'), // 51 lease 3600 s
  ...hex('3a 04 00 00 07 08'), // 58 T1 1800 s
  ...hex('3b 04 00 00 0c 4e'), // 59 T2 3150 s
  ...hex('01 04 ff ff ff 00'), // 1 mask 255.255.255.0
  ...hex('ff'), // end
]);
const OFFER_REPR: DhcpRepr = {
  op: 2,
  messageType: 'offer',
  xid: 0x3d1d,
  secs: 0,
  broadcast: false,
  ciaddr: 0,
  yiaddr: ip(192, 168, 0, 10),
  siaddr: ip(192, 168, 0, 1),
  giaddr: 0,
  chaddr: Uint8Array.from(CHADDR),
  serverId: ip(192, 168, 0, 1),
  leaseTime: 3600,
  renewalTime: 1800,
  rebindingTime: 3150,
  subnetMask: 0xffffff00,
};

const REQUEST = padTo300([
  ...hex('01 01 06 00'), // op BOOTREQUEST, htype, hlen, hops
  ...hex('00 00 3d 1d'), // xid (same as the OFFER, RFC 2131 §4.4.1)
  ...hex('00 03 80 00'), // secs 3, flags BROADCAST
  ...hex('00 00 00 00'), // ciaddr 0 in SELECTING
  ...hex('00 00 00 00'), // yiaddr
  ...hex('00 00 00 00'), // siaddr
  ...hex('00 00 00 00'), // giaddr
  ...CHADDR,
  ...zeros(10),
  ...BOOTP_TAIL,
  ...hex('63 82 53 63'), // magic cookie
  ...hex('35 01 03'), // 53 REQUEST
  ...hex('3d 07 01 00 0b 82 01 fc 42'), // 61 client id
  ...hex('32 04 c0 a8 00 0a'), // 50 requested IP 192.168.0.10
  ...hex('36 04 c0 a8 00 01'), // 54 server id 192.168.0.1
  ...hex('37 04 01 03 06 2a'), // 55 PRL
  ...hex('39 02 05 dc'), // 57 max message size 1500
  ...hex('ff'), // end
]);
const REQUEST_REPR: DhcpRepr = {
  op: 1,
  messageType: 'request',
  xid: 0x3d1d,
  secs: 3,
  broadcast: true,
  ciaddr: 0,
  yiaddr: 0,
  siaddr: 0,
  giaddr: 0,
  chaddr: Uint8Array.from(CHADDR),
  clientId: Uint8Array.from([1, ...CHADDR]),
  requestedIp: ip(192, 168, 0, 10),
  serverId: ip(192, 168, 0, 1),
  parameterRequestList: [1, 3, 6, 42],
  maxMessageSize: 1500,
};

const ACK = padTo300([
  ...hex('02 01 06 00'), // op BOOTREPLY
  ...hex('00 00 3d 1d'), // xid
  ...hex('00 00 80 00'), // secs 0, flags BROADCAST (echoed)
  ...hex('00 00 00 00'), // ciaddr
  ...hex('c0 a8 00 0a'), // yiaddr 192.168.0.10
  ...hex('00 00 00 00'), // siaddr
  ...hex('00 00 00 00'), // giaddr
  ...CHADDR,
  ...zeros(10),
  ...BOOTP_TAIL,
  ...hex('63 82 53 63'), // magic cookie
  ...hex('35 01 05'), // 53 ACK
  ...hex('36 04 c0 a8 00 01'), // 54 server id
  ...hex('33 04 00 00 0e 10'), // 51 lease 3600 s
  ...hex('01 04 ff ff ff 00'), // 1 mask /24
  ...hex('03 04 c0 a8 00 01'), // 3 router 192.168.0.1
  ...hex('06 08 c0 a8 00 01 08 08 08 08'), // 6 DNS 192.168.0.1, 8.8.8.8
  ...hex('0f 07 65 78 61 6d 70 6c 65'), // 15 domain "example"
  ...hex('ff'), // end
]);
const ACK_REPR: DhcpRepr = {
  op: 2,
  messageType: 'ack',
  xid: 0x3d1d,
  secs: 0,
  broadcast: true,
  ciaddr: 0,
  yiaddr: ip(192, 168, 0, 10),
  siaddr: 0,
  giaddr: 0,
  chaddr: Uint8Array.from(CHADDR),
  serverId: ip(192, 168, 0, 1),
  leaseTime: 3600,
  subnetMask: 0xffffff00,
  routers: [ip(192, 168, 0, 1)],
  dnsServers: [ip(192, 168, 0, 1), ip(8, 8, 8, 8)],
  domainName: 'example',
};

const CASES = [
  { name: 'DHCPDISCOVER', bytes: DISCOVER, repr: DISCOVER_REPR },
  { name: 'DHCPOFFER', bytes: OFFER, repr: OFFER_REPR },
  { name: 'DHCPREQUEST', bytes: REQUEST, repr: REQUEST_REPR },
  { name: 'DHCPACK', bytes: ACK, repr: ACK_REPR },
];

describe.each(CASES)('$name', ({ bytes, repr }) => {
  it('deconstruct: the view reads every header field', () => {
    const packet = DhcpPacket.newChecked(bytes);
    if (typeof packet === 'string') throw new Error(packet);
    expect(packet.op).toBe(repr.op);
    expect(packet.htype).toBe(1);
    expect(packet.hlen).toBe(6);
    expect(packet.hops).toBe(0);
    expect(packet.xid).toBe(repr.xid);
    expect(packet.secs).toBe(repr.secs);
    expect(packet.broadcast).toBe(repr.broadcast);
    expect(packet.flags).toBe(repr.broadcast ? 0x8000 : 0);
    expect(packet.ciaddr).toBe(repr.ciaddr);
    expect(packet.yiaddr).toBe(repr.yiaddr);
    expect(packet.siaddr).toBe(repr.siaddr);
    expect(packet.giaddr).toBe(repr.giaddr);
    expect([...packet.chaddr]).toEqual([...CHADDR, ...zeros(10)]);
    expect(packet.sname.every((b) => b === 0)).toBe(true);
    expect(packet.file.every((b) => b === 0)).toBe(true);
    expect(packet.magicCookie).toBe(DHCP_MAGIC_COOKIE);
    expect(packet.options[0]).toBe(53);
  });

  it('construct: the view setters write the same bytes', () => {
    const out = new Uint8Array(bytes.length);
    const packet = new DhcpPacket(out);
    packet.op = repr.op;
    packet.htype = 1;
    packet.hlen = 6;
    packet.hops = 0;
    packet.xid = repr.xid;
    packet.secs = repr.secs;
    packet.broadcast = repr.broadcast;
    packet.ciaddr = repr.ciaddr;
    packet.yiaddr = repr.yiaddr;
    packet.siaddr = repr.siaddr;
    packet.giaddr = repr.giaddr;
    packet.chaddr.set(CHADDR);
    packet.magicCookie = DHCP_MAGIC_COOKIE;
    packet.options.set(bytes.subarray(240));
    expect([...out]).toEqual([...bytes]);
  });

  it('parse: the Repr has every field and option', () => {
    expect(parseDhcpRepr(bytes)).toEqual(repr);
  });

  it('emit: the Repr encodes to the fixture, padded to 300 bytes', () => {
    expect(dhcpReprLength(repr)).toBe(300);
    const out = new Uint8Array(300).fill(0xee);
    expect(emitDhcpRepr(repr, out)).toBe(300);
    expect([...out]).toEqual([...bytes]);
  });
});

describe('DHCP parser on untrusted input', () => {
  it('rejects short messages, a missing cookie and overrunning options', () => {
    expect(parseDhcpRepr(OFFER.subarray(0, 239))).toBe('truncated');
    const noCookie = OFFER.slice();
    noCookie[236] = 0;
    expect(parseDhcpRepr(noCookie)).toBe('bad-cookie');
    // Option 54 claims 200 bytes in a 274-byte message: length overrun.
    const overrun = OFFER.slice(0, 250);
    expect(parseDhcpRepr(overrun)).toBe('bad-option');
    // A code byte with no length byte at the very end.
    const noLength = Uint8Array.from([...OFFER.subarray(0, 243), 54]);
    expect(parseDhcpRepr(noLength)).toBe('bad-option');
    // Lease time with 3 bytes.
    const badLength = OFFER.slice();
    badLength[250] = 3;
    expect(parseDhcpRepr(badLength)).toBe('bad-option');
    const noType = OFFER.slice();
    noType[240] = 0; // 53 → pad, then "01" is a subnet-mask code with length 2
    noType.set([0, 0, 0], 240);
    expect(parseDhcpRepr(noType)).toBe('no-message-type');
    const badHlen = OFFER.slice();
    badHlen[2] = 17;
    expect(parseDhcpRepr(badHlen)).toBe('bad-hlen');
  });

  it('skips unknown options and tolerates a missing end option', () => {
    const body = [...OFFER.subarray(0, 243), 0x2b, 2, 0xaa, 0xbb, 0x36, 4, 10, 0, 0, 1];
    const repr = parseDhcpRepr(Uint8Array.from(body));
    if (typeof repr === 'string') throw new Error(repr);
    expect(repr.messageType).toBe('offer');
    expect(repr.serverId).toBe(ip(10, 0, 0, 1));
  });

  it('rejects options that do not fit when emitting', () => {
    const tooMany = { ...DISCOVER_REPR, routers: new Array<number>(64).fill(1) };
    expect(() => dhcpReprLength(tooMany)).toThrow(/1\.\.255/);
    expect(() => emitDhcpRepr(DISCOVER_REPR, new Uint8Array(299))).toThrow(/needs 300/);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        parseDhcpRepr(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real messages, and round-trips what it accepts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(DISCOVER, OFFER, REQUEST, ACK),
        fc.array(fc.tuple(fc.nat(299), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(300),
        (base, edits, cut) => {
          const bytes = base.slice(0, Math.max(cut, 200) + 100);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const repr = parseDhcpRepr(bytes);
          if (typeof repr === 'string') return;
          if (bytes[1] !== 1 || repr.chaddr.length !== 6 || repr.hops !== undefined) return;
          const again = parseDhcpRepr(emitToBytes(repr));
          expect(again).toEqual(repr);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function emitToBytes(repr: DhcpRepr): Uint8Array {
  const out = new Uint8Array(dhcpReprLength(repr));
  emitDhcpRepr(repr, out);
  return out;
}
