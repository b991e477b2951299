/**
 * The stack's DHCP binding under virtual time, against a scripted server on a raw peer:
 * the offered address is probed with ARP, used when nobody answers, declined when
 * somebody does (RFC 2131 §4.4.1, RFC 5227 §2.1.1), and removed when the lease expires.
 */
import {
  ArpOperation,
  ArpPacket,
  createLink,
  createStack,
  type DhcpRepr,
  dhcpReprLength,
  EthernetFrame,
  emitDhcpRepr,
  IpProtocol,
  Ipv4Packet,
  parseDhcpRepr,
  UdpDatagram,
} from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';
import { describe, expect, it } from 'vitest';
import { arpFrame, BROADCAST, ip, ipv4Frame, UDP, udpPayload } from './stack-frames.js';
import { drain, inject, rig } from './stack-rig.js';

const SERVER = '10.5.0.1';
const OFFER = '10.5.0.77';

interface Seen {
  readonly dhcp: DhcpRepr[];
  readonly arp: ArpPacket[];
}

function classify(frames: Uint8Array[]): Seen {
  const seen: Seen = { dhcp: [], arp: [] };
  for (const f of frames) {
    const eth = EthernetFrame.check(f);
    if (typeof eth === 'string') continue;
    if (eth.etherType === 0x0806) {
      const arp = ArpPacket.check(eth.payload);
      if (typeof arp !== 'string') seen.arp.push(arp);
      continue;
    }
    const packet = Ipv4Packet.check(eth.payload);
    if (typeof packet === 'string' || packet.protocol !== IpProtocol.UDP) continue;
    const udp = UdpDatagram.check(packet.payload);
    if (typeof udp === 'string' || udp.destinationPort !== 67) continue;
    const repr = parseDhcpRepr(udp.payload);
    if (typeof repr !== 'string') seen.dhcp.push(repr);
  }
  return seen;
}

function reply(request: DhcpRepr, messageType: 'offer' | 'ack', leaseTime = 3600): Uint8Array {
  const repr: DhcpRepr = {
    op: 2,
    messageType,
    xid: request.xid,
    secs: 0,
    broadcast: true,
    ciaddr: 0,
    yiaddr: ip(OFFER),
    siaddr: 0,
    giaddr: 0,
    chaddr: request.chaddr,
    serverId: ip(SERVER),
    leaseTime,
    subnetMask: ip('255.255.255.0'),
    routers: [ip(SERVER)],
    dnsServers: [ip(SERVER)],
  };
  const payload = new Uint8Array(dhcpReprLength(repr));
  emitDhcpRepr(repr, payload);
  return ipv4Frame({
    source: SERVER,
    destination: '255.255.255.255',
    protocol: UDP,
    destinationMac: BROADCAST,
    payload: udpPayload(SERVER, '255.255.255.255', 67, 68, payload),
  });
}

function setup(probeMicros?: number) {
  const [a, peer] = createLink({ queueFrames: 256 });
  const clock = new VirtualClock();
  const stack = createStack({
    devices: [{ device: a, ipv4: { dhcp: probeMicros === undefined ? {} : { probeMicros } } }],
    clock,
    entropy: new SeededEntropy(11),
  });
  return { stack, peer, clock, r: rig([stack], clock) };
}

/** Runs DISCOVER → OFFER → REQUEST → ACK; returns what the stack sent afterwards. */
async function lease(s: ReturnType<typeof setup>, leaseTime = 3600): Promise<void> {
  await s.r.run(100_000);
  const discover = classify(drain(s.peer)).dhcp.find((d) => d.messageType === 'discover');
  expect(discover, 'no DHCPDISCOVER').toBeDefined();
  expect(discover!.chaddr).toEqual(s.stack.interfaces[0]!.macAddress);
  inject(s.peer, reply(discover!, 'offer', leaseTime));
  await s.r.run(100_000);
  const request = classify(drain(s.peer)).dhcp.find((d) => d.messageType === 'request');
  expect(request?.requestedIp).toBe(ip(OFFER));
  inject(s.peer, reply(request!, 'ack', leaseTime));
  await s.r.settle();
}

describe('DHCP on a stack interface', () => {
  it('probes the offered address, then configures it with routes and DNS servers', async () => {
    const s = setup();
    await lease(s);
    const iface = s.stack.interfaces[0]!;
    expect(iface.ipv4).toBeUndefined(); // still probing
    const probe = classify(drain(s.peer)).arp[0];
    expect(probe?.operation).toBe(ArpOperation.Request);
    expect(probe?.senderProtocolAddress).toBe(0); // RFC 5227 §2.1.1: sender 0
    expect(probe?.targetProtocolAddress).toBe(ip(OFFER));
    await s.r.run(600_000);
    expect(iface.ipv4).toEqual({ address: ip(OFFER), prefixLength: 24 });
    expect(s.stack.routes.lookup(ip('8.8.8.8'))?.gateway).toBe(ip(SERVER));
    expect(s.stack.resolver.servers).toEqual([ip(SERVER)]);
    // Announced with a gratuitous ARP (RFC 5227 §2.3).
    const announce = classify(drain(s.peer)).arp.find((a) => a.senderProtocolAddress === ip(OFFER));
    expect(announce?.targetProtocolAddress).toBe(ip(OFFER));
  });

  it('declines an offered address another station answers for', async () => {
    const s = setup();
    await lease(s);
    drain(s.peer);
    inject(
      s.peer,
      arpFrame({
        operation: ArpOperation.Reply,
        sender: OFFER,
        target: '0.0.0.0',
        destinationMac: s.stack.interfaces[0]!.macAddress,
      }),
    );
    await s.r.run(100_000);
    const sent = classify(drain(s.peer)).dhcp;
    expect(sent.map((d) => d.messageType)).toContain('decline');
    expect(sent.find((d) => d.messageType === 'decline')?.requestedIp).toBe(ip(OFFER));
    expect(s.stack.interfaces[0]!.ipv4).toBeUndefined();
    expect(s.stack.stats.arp.conflicts).toBe(1);
    // RFC 2131 §4.4.1: wait at least 10 s before starting over.
    await s.r.run(9_000_000);
    expect(classify(drain(s.peer)).dhcp.filter((d) => d.messageType === 'discover')).toHaveLength(
      0,
    );
    await s.r.run(3_000_000);
    expect(
      classify(drain(s.peer)).dhcp.filter((d) => d.messageType === 'discover').length,
    ).toBeGreaterThan(0);
  });

  it('uses the address at once with probeMicros 0, and drops it when the lease expires', async () => {
    const s = setup(0);
    await lease(s, 60);
    const iface = s.stack.interfaces[0]!;
    expect(iface.ipv4?.address).toBe(ip(OFFER));
    // Nobody answers the renewal or rebinding: at 60 s the lease is gone.
    await s.r.run(61_000_000);
    expect(iface.ipv4).toBeUndefined();
    expect(s.stack.routes.routes()).toHaveLength(0);
    const renewals = classify(drain(s.peer)).dhcp.filter((d) => d.messageType === 'request');
    expect(renewals.length).toBeGreaterThanOrEqual(1); // RENEWING / REBINDING tried
  });

  it('receives unicast to the offered address before it is configured (RFC 2131 §4.1)', async () => {
    const s = setup(0);
    await s.r.run(100_000);
    const discover = classify(drain(s.peer)).dhcp[0]!;
    // The server unicasts the offer to yiaddr and our MAC instead of broadcasting.
    const offer = reply(discover, 'offer');
    const unicast = ipv4Frame({
      source: SERVER,
      destination: OFFER,
      protocol: UDP,
      destinationMac: s.stack.interfaces[0]!.macAddress,
      payload: new Ipv4Packet(offer.subarray(14)).payload.slice(),
    });
    // Fix the UDP checksum for the new destination.
    const udp = new UdpDatagram(unicast.subarray(34));
    udp.fillChecksum(ip(SERVER), ip(OFFER));
    inject(s.peer, unicast);
    await s.r.run(100_000);
    expect(classify(drain(s.peer)).dhcp.map((d) => d.messageType)).toContain('request');
  });
});
