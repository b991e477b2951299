import { createLink, createSwitch, type NetDevice, PhyError, parseMacAddress } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { VirtualClock } from '@libos/sched';
import { describe, expect, it } from 'vitest';

describeNetDevice('switch port to switch port', {
  create: async () => {
    const sw = createSwitch({ clock: new VirtualClock() });
    const device = sw.attach();
    const peer = sw.attach();
    sw.attach(); // a bystander: flooded frames also go there, never back
    return { device, peer, settle: async () => void sw.poll() };
  },
});

describeNetDevice('cable end attached to a switch, to a switch port (4-frame queues)', {
  create: async () => {
    const sw = createSwitch({ clock: new VirtualClock(), queueFrames: 4 });
    const [switchSide, device] = createLink({ queueFrames: 4 });
    sw.attachDevice(switchSide);
    const peer = sw.attach();
    return { device, peer, settle: async () => void sw.poll() };
  },
});

const BROADCAST = parseMacAddress('ff:ff:ff:ff:ff:ff');

/** Sends a 60-byte frame dst ← src with a tag byte at offset 14. */
function send(device: NetDevice, dst: Uint8Array, src: Uint8Array, tag: number): boolean {
  return device.transmit(60, (f) => {
    f.fill(0);
    f.set(dst, 0);
    f.set(src, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    f[14] = tag;
  });
}

function tags(device: NetDevice): number[] {
  const out: number[] = [];
  device.receive((f) => out.push(f[14]!), 1000);
  return out;
}

describe('NetSwitch', () => {
  it('floods unknown unicast, learns, then forwards to one port only', () => {
    const sw = createSwitch({ clock: new VirtualClock() });
    const [a, b, c] = [sw.attach(), sw.attach(), sw.attach()];
    expect(send(a, b.macAddress, a.macAddress, 1)).toBe(true);
    expect(sw.poll()).toBe(1);
    expect([tags(a), tags(b), tags(c)]).toEqual([[], [1], [1]]); // flooded, not echoed
    expect(sw.stats.flooded).toBe(1);
    expect(sw.portOf(a.macAddress)).toBe(a.id);

    send(b, a.macAddress, b.macAddress, 2); // a is known: only a
    sw.poll();
    expect([tags(a), tags(b), tags(c)]).toEqual([[2], [], []]);
    send(a, b.macAddress, a.macAddress, 3); // b learned from the reply
    sw.poll();
    expect([tags(a), tags(b), tags(c)]).toEqual([[], [3], []]);
    expect(sw.stats).toEqual({ unicast: 2, flooded: 1, filtered: 0 });
    expect(sw.macTable.stats.learned).toBe(2);
    expect(a.stats.ingressFrames).toBe(2);
    expect(a.stats.ingressBytes).toBe(120);
    expect(b.stats.egressFrames).toBe(2);
    expect(c.stats.egressFrames).toBe(1);
  });

  it('floods broadcast and multicast to every port but the ingress one, and does not learn group sources', () => {
    const sw = createSwitch({ clock: new VirtualClock() });
    const ports = [sw.attach(), sw.attach(), sw.attach(), sw.attach()];
    const [a] = ports;
    send(a!, BROADCAST, a!.macAddress, 7);
    send(a!, parseMacAddress('01:00:5e:00:00:fb'), a!.macAddress, 8);
    send(a!, BROADCAST, parseMacAddress('01:00:5e:00:00:01'), 9); // bogus group source
    sw.poll();
    expect(ports.map(tags)).toEqual([[], [7, 8, 9], [7, 8, 9], [7, 8, 9]]);
    expect(sw.stats.flooded).toBe(3);
    expect(sw.macTable.size).toBe(1);
  });

  it('filters a frame whose destination lives on its ingress port (never echoes)', () => {
    const sw = createSwitch({ clock: new VirtualClock() });
    const [switchSide, host] = createLink();
    sw.attachDevice(switchSide);
    const other = sw.attach();
    const hidden = parseMacAddress('02:aa:00:00:00:01'); // a second station behind the cable
    send(host, BROADCAST, hidden, 1);
    sw.poll();
    expect(tags(other)).toEqual([1]);
    send(host, hidden, host.macAddress, 2); // to a station on the same segment
    sw.poll();
    expect(tags(other)).toEqual([]);
    expect(tags(host)).toEqual([]);
    expect(sw.stats.filtered).toBe(1);
  });

  it('ages MAC entries out and floods again', () => {
    const clock = new VirtualClock();
    const sw = createSwitch({ clock, macTable: { ageingMicros: 1_000_000 } });
    const [a, b, c] = [sw.attach(), sw.attach(), sw.attach()];
    send(b, BROADCAST, b.macAddress, 0);
    sw.poll();
    tags(a);
    tags(c);
    clock.advanceTo(999_999);
    send(a, b.macAddress, a.macAddress, 1);
    sw.poll();
    expect([tags(b), tags(c)]).toEqual([[1], []]);
    clock.advanceTo(2_000_000); // b silent for > 1 s
    send(a, b.macAddress, a.macAddress, 2);
    sw.poll();
    expect([tags(b), tags(c)]).toEqual([[2], [2]]);
    expect(sw.macTable.stats.aged).toBe(1);
    expect(sw.portOf(b.macAddress)).toBe(-1);
  });

  it('bounds the MAC table, evicting the least recently seen address', () => {
    const clock = new VirtualClock();
    const sw = createSwitch({ clock, macTable: { capacity: 2 } });
    const [a, b] = [sw.attach(), sw.attach()];
    const macs = ['02:00:00:00:00:0a', '02:00:00:00:00:0b', '02:00:00:00:00:0c'].map(
      parseMacAddress,
    );
    for (const [i, mac] of macs.entries()) {
      clock.advanceTo(i * 10);
      send(a, BROADCAST, mac, i);
      sw.poll();
    }
    tags(b);
    expect(sw.macTable.size).toBe(2);
    expect(sw.macTable.stats.evicted).toBe(1);
    expect(sw.portOf(macs[0]!)).toBe(-1);
    expect(sw.portOf(macs[2]!)).toBe(a.id);
  });

  it('follows a station that moves to another port', () => {
    const sw = createSwitch({ clock: new VirtualClock() });
    const [a, b, c] = [sw.attach(), sw.attach(), sw.attach()];
    const roaming = parseMacAddress('02:00:00:00:99:99');
    send(a, BROADCAST, roaming, 0);
    sw.poll();
    send(b, BROADCAST, roaming, 0);
    sw.poll();
    expect(sw.portOf(roaming)).toBe(b.id);
    expect(sw.macTable.stats.moved).toBe(1);
    for (const p of [a, b, c]) tags(p);
    send(c, roaming, c.macAddress, 5);
    sw.poll();
    expect([tags(a), tags(b)]).toEqual([[], [5]]);
  });

  it('drops and counts when an egress queue is full, and refuses at a full ingress queue', () => {
    const sw = createSwitch({ clock: new VirtualClock(), queueFrames: 4 });
    const [a, b, c] = [sw.attach(), sw.attach(), sw.attach()];
    let accepted = 0;
    for (let i = 0; i < 10; i++) if (send(a, b.macAddress, a.macAddress, i)) accepted++;
    expect(accepted).toBe(4);
    expect(a.stats.ingressRefused).toBe(6);
    sw.poll();
    for (let i = 4; i < 8; i++) send(a, b.macAddress, a.macAddress, i);
    sw.poll(); // b and c already hold 4 each: these 4 floods are dropped at both
    expect(tags(b)).toEqual([0, 1, 2, 3]);
    expect(b.stats.egressDropped).toBe(4);
    expect(c.stats.egressDropped).toBe(4);
    expect(tags(c)).toEqual([0, 1, 2, 3]);
  });

  it('queues for an attached device that pushes back, dropping beyond its queue', () => {
    const sw = createSwitch({ clock: new VirtualClock(), queueFrames: 4 });
    const [switchSide, host] = createLink({ queueFrames: 2 });
    const uplink = sw.attachDevice(switchSide);
    const a = sw.attach();
    for (let i = 0; i < 4; i++) send(a, host.macAddress, a.macAddress, i);
    sw.poll(); // 2 go into the cable, 2 wait in the egress queue
    for (let i = 4; i < 8; i++) send(a, host.macAddress, a.macAddress, i);
    sw.poll(); // the egress queue has room for 2 more; 2 are dropped
    expect(uplink.stats.egressDropped).toBe(2);
    const got: number[] = [];
    for (let round = 0; round < 10; round++) {
      got.push(...tags(host));
      sw.poll();
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(uplink.stats.egressFrames).toBe(6);
  });

  it('detaches ports: forgets their addresses, rejects further use and foreign ports', () => {
    const sw = createSwitch({ clock: new VirtualClock() });
    const other = createSwitch({ clock: new VirtualClock() });
    const [a, b] = [sw.attach(), sw.attach()];
    send(a, BROADCAST, a.macAddress, 0);
    sw.poll();
    expect(sw.portOf(a.macAddress)).toBe(a.id);
    a.detach();
    expect(sw.portCount).toBe(1);
    expect(a.attached).toBe(false);
    expect(sw.portOf(a.macAddress)).toBe(-1);
    expect(() => a.transmit(60, () => {})).toThrow(
      expect.objectContaining({ code: 'DETACHED_PORT' }),
    );
    const foreign = other.attach();
    expect(() => sw.detach(foreign)).toThrow(PhyError);
    sw.detach(b);
    expect(sw.portCount).toBe(0);
  });

  it('moves frames between many ports without loss when queues suffice (fuzz, fixed seeds)', () => {
    for (const seed of [1, 2, 3]) {
      const sw = createSwitch({ clock: new VirtualClock(), queueFrames: 256 });
      const ports = Array.from({ length: 5 }, () => sw.attach());
      let x = seed;
      const next = (n: number): number => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 8) % n;
      };
      for (let i = 0; i < 200; i++) {
        const from = next(5);
        let to = next(4);
        if (to >= from) to++;
        send(ports[from]!, ports[to]!.macAddress, ports[from]!.macAddress, i & 0xff);
        sw.poll();
        const got = ports.map(tags);
        // Whoever is addressed gets it exactly once; nobody ever gets their own frame.
        expect(got[to]).toEqual([i & 0xff]);
        expect(got[from]).toEqual([]);
      }
      expect(sw.stats.unicast + sw.stats.flooded).toBe(200);
      expect(sw.stats.unicast).toBeGreaterThan(150); // learning kicks in quickly
    }
  });
});
