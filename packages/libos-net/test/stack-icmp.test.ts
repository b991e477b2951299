import {
  ArpOperation,
  EthernetFrame,
  Icmpv4Message,
  Icmpv4Type,
  Ipv4Packet,
  parseIcmpv4Repr,
} from '@libos/net';
import { describe, expect, it } from 'vitest';
import {
  arpFrame,
  ICMP,
  icmpPayload,
  ip,
  ipv4Frame,
  PEER_MAC,
  UDP,
  udpPayload,
} from './stack-frames.js';
import { drain, inject, pair, stackWithRawPeer } from './stack-rig.js';

function icmpOf(frame: Uint8Array): { ip: Ipv4Packet; icmp: Icmpv4Message } | undefined {
  const eth = EthernetFrame.check(frame);
  if (typeof eth === 'string' || eth.etherType !== 0x0800) return undefined;
  const packet = Ipv4Packet.check(eth.payload);
  if (typeof packet === 'string' || packet.protocol !== ICMP) return undefined;
  const icmp = Icmpv4Message.check(packet.payload);
  return typeof icmp === 'string' ? undefined : { ip: packet, icmp };
}

describe('ICMPv4 echo', () => {
  it('pings between two stacks and measures the round trip on the stack clock', async () => {
    const { left, rig } = pair();
    const reply = left.ping('10.0.0.2', { size: 100 });
    await rig.run(10_000);
    await expect(reply).resolves.toMatchObject({ bytes: 100, ttl: 64, sequence: 0 });
    expect(left.stats.icmp.sent).toBe(1);
    expect(left.stats.icmp.received).toBe(1);
  });

  it('answers an echo request with the same identifier, sequence and data', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }));
    inject(
      peer,
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: ICMP,
        destinationMac: stack.interfaces[0]!.macAddress,
        payload: icmpPayload({ kind: 'echo-request', identifier: 0x1234, sequenceNumber: 7, data }),
      }),
    );
    await rig.settle();
    const replies = drain(peer)
      .map(icmpOf)
      .filter((x) => x !== undefined);
    expect(replies).toHaveLength(1);
    const { ip: header, icmp } = replies[0]!;
    expect(header.destination).toBe(ip('10.0.0.9'));
    expect(header.verifyChecksum()).toBe(true);
    expect(icmp.verifyChecksum()).toBe(true);
    expect(parseIcmpv4Repr(icmp)).toEqual({
      kind: 'echo-reply',
      identifier: 0x1234,
      sequenceNumber: 7,
      data,
    });
  });

  it('ignores broadcast echo requests (RFC 1122 §3.2.2.6)', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    inject(
      peer,
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.255',
        protocol: ICMP,
        destinationMac: new Uint8Array(6).fill(0xff),
        payload: icmpPayload({
          kind: 'echo-request',
          identifier: 1,
          sequenceNumber: 1,
          data: new Uint8Array(4),
        }),
      }),
    );
    await rig.settle();
    expect(
      drain(peer)
        .map(icmpOf)
        .filter((x) => x),
    ).toHaveLength(0);
    expect(stack.stats.icmp.dropped['broadcast-echo']).toBe(1);
  });

  it('times out a ping nobody answers, then fails with EHOSTUNREACH once ARP gives up', async () => {
    const { left, rig } = pair();
    const quick = left.ping('10.0.0.77', { timeoutMicros: 500_000 });
    const patient = left.ping('10.0.0.77', { timeoutMicros: 10_000_000 });
    const quickResult = quick.catch((e: unknown) => e);
    const patientResult = patient.catch((e: unknown) => e);
    await rig.run(5_000_000);
    expect(await quickResult).toMatchObject({ code: 'ETIMEDOUT' });
    expect(await patientResult).toMatchObject({ code: 'EHOSTUNREACH' });
    // RFC 1122 §2.3.2.1: one request per second: requests at 0, 1 and 2 s.
    expect(left.stats.arp.sent).toBe(1 + 3);
    expect(left.stats.ipv4.dropped['arp-timeout']).toBe(2);
  });
});

describe('ICMPv4 errors', () => {
  it('sends protocol unreachable for an unknown protocol, quoting header + 8 bytes', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }));
    const payload = new Uint8Array(40).map((_, i) => i);
    const frame = ipv4Frame({
      source: '10.0.0.9',
      destination: '10.0.0.1',
      protocol: 99,
      destinationMac: stack.interfaces[0]!.macAddress,
      payload,
    });
    inject(peer, frame);
    await rig.settle();
    const errors = drain(peer)
      .map(icmpOf)
      .filter((x) => x !== undefined);
    expect(errors).toHaveLength(1);
    const repr = parseIcmpv4Repr(errors[0]!.icmp);
    expect(repr).toMatchObject({ kind: 'destination-unreachable', code: 2 });
    if (typeof repr === 'string' || repr.kind !== 'destination-unreachable')
      throw new Error('unreachable');
    expect(repr.invoking).toEqual(frame.subarray(14, 14 + 28));
    expect(stack.stats.ipv4.dropped['unknown-protocol']).toBe(1);
  });

  it('sends Time Exceeded (code 1) when reassembly times out with the first fragment held', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }));
    const mac = stack.interfaces[0]!.macAddress;
    inject(
      peer,
      ipv4Frame({
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: UDP,
        destinationMac: mac,
        identification: 42,
        moreFragments: true,
        payload: new Uint8Array(64).fill(1),
      }),
    );
    await rig.settle();
    drain(peer);
    await rig.run(120_000_000);
    const errors = drain(peer)
      .map(icmpOf)
      .filter((x) => x !== undefined);
    expect(errors.map((e) => [e.icmp.type, e.icmp.code])).toEqual([[Icmpv4Type.TimeExceeded, 1]]);
    expect(stack.stats.ipv4.dropped['reassembly-timeout']).toBe(1);
  });

  it('rate-limits ICMP errors (burst of 50, then 1000/s)', async () => {
    const { stack, peer, rig } = stackWithRawPeer(undefined, { queueFrames: 4096 });
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }));
    const mac = stack.interfaces[0]!.macAddress;
    for (let i = 0; i < 200; i++) {
      inject(
        peer,
        ipv4Frame({
          source: '10.0.0.9',
          destination: '10.0.0.1',
          protocol: UDP,
          destinationMac: mac,
          payload: udpPayload('10.0.0.9', '10.0.0.1', 1000, 2000 + i, new Uint8Array(4)),
        }),
      );
    }
    await rig.settle();
    expect(stack.stats.udp.dropped['no-socket']).toBe(200);
    expect(stack.stats.icmp.errorsSent).toBe(50);
    expect(stack.stats.icmp.dropped['error-rate-limited']).toBe(150);
  });

  it('delivers host unreachable from a router to the socket that sent the datagram', async () => {
    const { stack, peer, rig } = stackWithRawPeer({
      address: '10.0.0.1/24',
      gateway: '10.0.0.254',
    });
    inject(
      peer,
      arpFrame({
        operation: ArpOperation.Reply,
        sender: '10.0.0.254',
        target: '10.0.0.1',
        destinationMac: stack.interfaces[0]!.macAddress,
      }),
    );
    const socket = stack.bindUdp({ port: 5555 });
    await socket.send(new Uint8Array([1, 2, 3]), '192.0.2.50', 53);
    await rig.settle();
    const sent = drain(peer).filter((f) => f[12] === 0x08 && f[13] === 0x00);
    expect(sent).toHaveLength(1);
    // Routed through the gateway: destination MAC is the gateway's, IP destination unchanged.
    expect(sent[0]!.subarray(0, 6)).toEqual(PEER_MAC);
    const quote = sent[0]!.subarray(14, 14 + 28);
    inject(
      peer,
      ipv4Frame({
        source: '10.0.0.254',
        destination: '10.0.0.1',
        protocol: ICMP,
        destinationMac: stack.interfaces[0]!.macAddress,
        payload: icmpPayload({ kind: 'destination-unreachable', code: 1, invoking: quote }),
      }),
    );
    await rig.settle();
    await expect(socket.receive()).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
  });
});
