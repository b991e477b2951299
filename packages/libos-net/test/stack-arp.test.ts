import { ArpOperation, ArpPacket, EthernetFrame } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { arpFrame, BROADCAST, ip, PEER_MAC } from './stack-frames.js';
import { drain, inject, stackWithRawPeer } from './stack-rig.js';

function arpOf(frame: Uint8Array): ArpPacket | undefined {
  const eth = EthernetFrame.check(frame);
  if (typeof eth === 'string' || eth.etherType !== 0x0806) return undefined;
  const p = ArpPacket.check(eth.payload);
  return typeof p === 'string' ? undefined : p;
}

describe('ARP (RFC 826) with hardening', () => {
  it('announces a new address with a gratuitous ARP (RFC 5227 §2.3)', () => {
    const { stack, peer } = stackWithRawPeer();
    const frames = drain(peer);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.subarray(0, 6)).toEqual(BROADCAST);
    const p = arpOf(frames[0]!)!;
    expect(p.operation).toBe(ArpOperation.Request);
    expect(p.senderProtocolAddress).toBe(ip('10.0.0.1'));
    expect(p.targetProtocolAddress).toBe(ip('10.0.0.1'));
    expect(p.senderHardwareAddress).toEqual(stack.interfaces[0]!.macAddress);
  });

  it('answers a request for its address with a unicast reply and learns the sender', async () => {
    const { stack, peer, rig, clock } = stackWithRawPeer();
    drain(peer);
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }));
    await rig.settle();
    const [reply] = drain(peer);
    expect(reply!.subarray(0, 6)).toEqual(PEER_MAC);
    const p = arpOf(reply!)!;
    expect(p.operation).toBe(ArpOperation.Reply);
    expect(p.senderProtocolAddress).toBe(ip('10.0.0.1'));
    expect(p.targetHardwareAddress).toEqual(PEER_MAC);
    expect(p.targetProtocolAddress).toBe(ip('10.0.0.9'));
    expect(stack.interfaces[0]!.arpCache.lookup(ip('10.0.0.9'), clock.now())).toEqual(PEER_MAC);
  });

  it('ignores ARP not for us, from non-unicast or off-subnet senders, and its own frames', async () => {
    const { stack, peer, rig, clock } = stackWithRawPeer();
    drain(peer);
    const multicastMac = new Uint8Array([0x01, 0, 0x5e, 0, 0, 1]);
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.50' }));
    inject(peer, arpFrame({ sender: '10.0.0.10', target: '10.0.0.1', senderMac: multicastMac }));
    inject(peer, arpFrame({ sender: '10.0.0.11', target: '10.0.0.1', senderMac: BROADCAST }));
    inject(peer, arpFrame({ sender: '192.168.7.7', target: '10.0.0.1' }));
    inject(peer, arpFrame({ sender: '10.0.0.255', target: '10.0.0.1' }));
    inject(
      peer,
      arpFrame({
        sender: '10.0.0.12',
        target: '10.0.0.1',
        senderMac: stack.interfaces[0]!.macAddress,
      }),
    );
    await rig.settle();
    expect(drain(peer)).toHaveLength(0);
    const cache = stack.interfaces[0]!.arpCache;
    for (const a of [
      '10.0.0.9',
      '10.0.0.10',
      '10.0.0.11',
      '192.168.7.7',
      '10.0.0.255',
      '10.0.0.12',
    ]) {
      expect(cache.lookup(ip(a), clock.now())).toBeUndefined();
    }
    expect(stack.stats.arp.dropped).toEqual({
      'not-for-us': 1,
      'non-unicast-sender': 2,
      'off-subnet': 2,
      'own-frame': 1,
    });
  });

  it('lets a gratuitous ARP refresh a known neighbour but not create one', async () => {
    const { stack, peer, rig, clock } = stackWithRawPeer();
    const newMac = new Uint8Array([0x02, 0, 0, 0, 0, 0x42]);
    inject(peer, arpFrame({ sender: '10.0.0.20', target: '10.0.0.20', senderMac: newMac }));
    await rig.settle();
    const cache = stack.interfaces[0]!.arpCache;
    expect(cache.lookup(ip('10.0.0.20'), clock.now())).toBeUndefined();
    inject(peer, arpFrame({ sender: '10.0.0.20', target: '10.0.0.1' }));
    inject(peer, arpFrame({ sender: '10.0.0.20', target: '10.0.0.20', senderMac: newMac }));
    await rig.settle();
    expect(cache.lookup(ip('10.0.0.20'), clock.now())).toEqual(newMac);
  });

  it('counts a station claiming our address as a conflict and does not learn it', async () => {
    const { stack, peer, rig, clock } = stackWithRawPeer();
    inject(
      peer,
      arpFrame({ operation: ArpOperation.Reply, sender: '10.0.0.1', target: '10.0.0.1' }),
    );
    await rig.settle();
    expect(stack.stats.arp.conflicts).toBe(1);
    expect(stack.interfaces[0]!.arpCache.lookup(ip('10.0.0.1'), clock.now())).toBeUndefined();
  });

  it('answers an ARP probe for its address (RFC 5227 §2.1.1) without learning the prober', async () => {
    const { stack, peer, rig } = stackWithRawPeer();
    drain(peer);
    inject(peer, arpFrame({ sender: '0.0.0.0', target: '10.0.0.1' }));
    await rig.settle();
    const [reply] = drain(peer);
    expect(arpOf(reply!)?.operation).toBe(ArpOperation.Reply);
    expect(stack.interfaces[0]!.arpCache.size).toBe(0);
  });

  it('expires entries and re-resolves after the lifetime', async () => {
    const { stack, peer, rig, clock } = stackWithRawPeer();
    inject(peer, arpFrame({ sender: '10.0.0.9', target: '10.0.0.1' }));
    await rig.settle();
    drain(peer);
    const socket = stack.bindUdp();
    await socket.send(new Uint8Array(1), '10.0.0.9', 9);
    await rig.settle();
    expect(drain(peer).filter((f) => arpOf(f))).toHaveLength(0);
    clock.advanceBy(61_000_000);
    await socket.send(new Uint8Array(1), '10.0.0.9', 9);
    await rig.settle();
    const requests = drain(peer)
      .map(arpOf)
      .filter((p) => p?.operation === ArpOperation.Request);
    expect(requests.map((p) => p!.targetProtocolAddress)).toEqual([ip('10.0.0.9')]);
  });
});
