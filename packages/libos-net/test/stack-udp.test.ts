import { StackError, type UdpMessage } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { ip } from './stack-frames.js';
import { pair } from './stack-rig.js';

const text = new TextEncoder();

describe('UDP between two stacks on a link', () => {
  it('resolves the peer with ARP and echoes a datagram', async () => {
    const { left, right, rig } = pair();
    const server = right.bindUdp({ port: 7 });
    const client = left.bindUdp();
    const received: UdpMessage[] = [];
    void (async () => {
      for await (const m of server) {
        received.push(m);
        await server.send(m.data, m.address, m.port);
      }
    })();
    await client.send(text.encode('hello'), '10.0.0.2', 7);
    await rig.run(10_000);
    const reply = client.tryReceive();
    expect(reply && new TextDecoder().decode(reply.data)).toBe('hello');
    expect(reply?.address).toBe(ip('10.0.0.2'));
    expect(reply?.port).toBe(7);
    expect(received[0]?.port).toBe(client.port);
    expect(client.port).toBeGreaterThanOrEqual(49152);
    expect(left.stats.arp.sent).toBeGreaterThanOrEqual(1);
    expect(left.stats.udp).toMatchObject({ sent: 1, received: 1 });
    expect(right.stats.udp).toMatchObject({ sent: 1, received: 1 });
    expect(left.interfaces[0]!.arpCache.lookup(ip('10.0.0.2'), rig.clock.now())).toEqual(
      right.interfaces[0]!.macAddress,
    );
    server.close();
  });

  it('fragments a datagram above the MTU and the peer reassembles it byte-exact', async () => {
    const { left, right, rig } = pair(undefined, undefined, { maxTransmitUnit: 1500 });
    const server = right.bindUdp({ port: 9000 });
    const client = left.bindUdp();
    const data = new Uint8Array(20_000).map((_, i) => (i * 7 + 3) & 0xff);
    await client.send(data, '10.0.0.2', 9000);
    await rig.run(10_000);
    const got = server.tryReceive();
    expect(got?.data).toEqual(data);
    // 20,008 bytes of UDP in 1480-byte pieces: 14 fragments.
    expect(left.stats.ipv4.fragmentsSent).toBe(14);
    expect(right.stats.ipv4.fragmentsReceived).toBe(14);
    expect(right.stats.ipv4.reassembled).toBe(1);
  });

  it('reports ICMP port unreachable as ECONNREFUSED on the next receive', async () => {
    const { left, right, rig } = pair();
    const client = left.bindUdp();
    await client.send(text.encode('anyone?'), '10.0.0.2', 4444);
    await rig.run(10_000);
    expect(right.stats.udp.dropped['no-socket']).toBe(1);
    expect(right.stats.icmp.errorsSent).toBe(1);
    expect(left.stats.icmp.errorsDelivered).toBe(1);
    await expect(client.receive()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('needs { broadcast: true } to send to a broadcast address and sends no ICMP error for it', async () => {
    const { left, right, rig } = pair();
    const plain = left.bindUdp();
    await expect(plain.send(text.encode('x'), '255.255.255.255', 5000)).rejects.toMatchObject({
      code: 'EACCES',
    });
    await expect(plain.send(text.encode('x'), '10.0.0.255', 5000)).rejects.toMatchObject({
      code: 'EACCES',
    });
    const caster = left.bindUdp({ broadcast: true });
    const listener = right.bindUdp({ port: 5000 });
    await caster.send(text.encode('all'), '255.255.255.255', 5000);
    await caster.send(text.encode('subnet'), '10.0.0.255', 5000);
    await caster.send(text.encode('nobody'), '10.0.0.255', 5001);
    await rig.run(10_000);
    expect(new TextDecoder().decode(listener.tryReceive()?.data)).toBe('all');
    const second = listener.tryReceive();
    expect(new TextDecoder().decode(second?.data)).toBe('subnet');
    expect(second?.destination).toBe(ip('10.0.0.255'));
    expect(right.stats.udp.dropped['no-socket']).toBe(1);
    expect(right.stats.icmp.errorsSent).toBe(0);
    expect(left.stats.arp.sent).toBe(1); // the gratuitous announcement only: broadcasts need no ARP
  });

  it('drops and counts datagrams beyond the receive queue', async () => {
    const { left, right, rig } = pair();
    const server = right.bindUdp({ port: 9, receiveQueue: 3 });
    const client = left.bindUdp();
    for (let i = 0; i < 5; i++) await client.send(new Uint8Array([i]), '10.0.0.2', 9);
    await rig.run(10_000);
    expect(server.queued).toBe(3);
    expect(server.droppedDatagrams).toBe(2);
    expect(right.stats.udp.dropped['receive-queue-full']).toBe(2);
    expect([0, 1, 2].map(() => server.tryReceive()?.data[0])).toEqual([0, 1, 2]);
  });

  it('waits while the transmit backlog is full and loses nothing', async () => {
    const { left, right, rig } = pair(undefined, undefined, { queueFrames: 2 });
    const server = right.bindUdp({ port: 9, receiveQueue: 1000 });
    const client = left.bindUdp();
    // Resolve ARP first so datagrams go straight to the device.
    await client.send(new Uint8Array([0]), '10.0.0.2', 9);
    await rig.run(10_000);
    const sends: Promise<void>[] = [];
    for (let i = 1; i <= 600; i++)
      sends.push(client.send(new Uint8Array([i & 0xff, i >> 8]), '10.0.0.2', 9));
    await rig.run(100_000);
    await Promise.all(sends);
    const got: number[] = [];
    for (let m = server.tryReceive(); m; m = server.tryReceive())
      got.push(m.data[0]! | (m.data[1]! << 8));
    expect(got).toEqual(Array.from({ length: 601 }, (_, i) => i));
    expect(left.stats.ethernet.dropped['transmit-backlog-full']).toBeUndefined();
  });

  it('rejects misuse with typed errors', async () => {
    const { left } = pair();
    const s = left.bindUdp({ port: 53 });
    expect(() => left.bindUdp({ port: 53 })).toThrow(StackError);
    expect(() => left.bindUdp({ port: 53 })).toThrow(/EADDRINUSE/);
    expect(() => left.bindUdp({ port: 70000 })).toThrow(/EINVAL/);
    expect(() => left.bindUdp({ address: '10.9.9.9' })).toThrow(/EADDRNOTAVAIL/);
    await expect(s.send(new Uint8Array(65508), '10.0.0.2', 1)).rejects.toMatchObject({
      code: 'EMSGSIZE',
    });
    await expect(s.send(new Uint8Array(1), '192.168.1.1', 1)).rejects.toMatchObject({
      code: 'ENETUNREACH',
    });
    await expect(s.send(new Uint8Array(1), 'not-an-ip', 1)).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(s.send(new Uint8Array(1), '10.0.0.2', 0)).rejects.toMatchObject({
      code: 'EINVAL',
    });
    s.close();
    await expect(s.send(new Uint8Array(1), '10.0.0.2', 1)).rejects.toMatchObject({ code: 'EBADF' });
    await expect(s.receive()).rejects.toMatchObject({ code: 'EBADF' });
    expect(() => left.bindUdp({ port: 53 })).not.toThrow();
  });

  it('an aborted receive gives up its place: the next datagram goes to the next receiver', async () => {
    const { left, right, rig } = pair();
    const server = right.bindUdp({ port: 4000 });
    const client = left.bindUdp();
    const controller = new AbortController();
    const abandoned = server.receive(controller.signal);
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'ECANCELED' });
    await expect(server.receive(controller.signal)).rejects.toMatchObject({ code: 'ECANCELED' });
    const next = server.receive();
    await client.send(new Uint8Array([9]), '10.0.0.2', 4000);
    await rig.run(10_000);
    expect((await next).data).toEqual(new Uint8Array([9]));
  });

  it('ends async iteration when the socket closes', async () => {
    const { right } = pair();
    const s = right.bindUdp({ port: 1234 });
    const done = (async () => {
      let n = 0;
      for await (const _ of s) n++;
      return n;
    })();
    s.close();
    await expect(done).resolves.toBe(0);
  });
});
