/**
 * Transparent interception (Stack.interceptTcp / interceptUdp): a "guest" stack routes
 * through a "gateway" stack that intercepts connections and datagrams for addresses it
 * does not own, under virtual time. Checks the decision point (nothing answered before
 * accept / refuse), the original destination on the connection, RST on refuse, the
 * 4-tuple table with one guest port to two destinations, and UDP answered from the
 * original destination.
 */
import {
  EthernetFrame,
  emitTcpRepr,
  formatIpv4Address,
  IpProtocol,
  Ipv4Packet,
  type Stack,
  TcpError,
  TcpFlags,
  type TcpRepr,
  TcpSegment,
  type TcpStream,
  tcpReprHeaderLength,
} from '@libos/net';
import { describe, expect, it } from 'vitest';
import { arpFrame, ip, ipv4Frame, PEER_MAC } from './stack-frames.js';
import { drain, flushMicrotasks, inject, pair, stackWithRawPeer } from './stack-rig.js';

/** Guest 10.0.0.1 with the gateway 10.0.0.2 as default route. */
function guestAndGateway() {
  return pair({ address: '10.0.0.1/24', gateway: '10.0.0.2' }, { address: '10.0.0.2/24' });
}

async function settleWhile(
  p: { rig: { run(micros: number): Promise<void> } },
  until: Promise<unknown>,
  micros = 5_000_000,
): Promise<void> {
  let done = false;
  until.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 200 && !done; i++) await p.rig.run(micros / 200);
}

async function echoOnce(conn: TcpStream): Promise<void> {
  for (let c = await conn.read(); c; c = await conn.read()) await conn.write(c);
  await conn.end();
}

async function readAll(conn: TcpStream): Promise<number[]> {
  const out: number[] = [];
  for (let c = await conn.read(); c; c = await conn.read()) out.push(...c);
  return out;
}

/** A crafted SYN from the raw peer 10.0.0.50:40000 to `destination`. */
function synFrame(stackMac: Uint8Array, destination: string, sequenceNumber: number): Uint8Array {
  const repr: TcpRepr = {
    sourcePort: 40000,
    destinationPort: 443,
    sequenceNumber,
    acknowledgmentNumber: 0,
    flags: TcpFlags.SYN,
    window: 65535,
    options: { mss: 1460 },
    payloadLength: 0,
  };
  const segment = new Uint8Array(tcpReprHeaderLength(repr));
  emitTcpRepr(repr, segment, ip('10.0.0.50'), ip(destination), { checksum: true });
  return ipv4Frame({
    source: '10.0.0.50',
    destination,
    protocol: IpProtocol.TCP,
    payload: segment,
    destinationMac: stackMac,
  });
}

/** TCP segments among `frames`: IPv4 source and the segment. */
function tcpSegments(frames: Uint8Array[]): { source: string; segment: TcpSegment }[] {
  const out: { source: string; segment: TcpSegment }[] = [];
  for (const frame of frames) {
    const eth = EthernetFrame.check(frame);
    if (typeof eth === 'string' || eth.etherType !== 0x0800) continue;
    const packet = Ipv4Packet.check(eth.payload);
    if (typeof packet === 'string' || packet.protocol !== IpProtocol.TCP) continue;
    const segment = TcpSegment.check(packet.payload.slice());
    if (typeof segment !== 'string')
      out.push({ source: formatIpv4Address(packet.source), segment });
  }
  return out;
}

describe('Stack.interceptTcp with crafted segments', () => {
  it('answers nothing before the decision, SYN-ACK from the original destination on accept, RST on refuse', async () => {
    const { stack, peer, rig } = stackWithRawPeer({ address: '10.0.0.1/24' });
    const mac = stack.interfaces[0]!.macAddress;
    const interceptor = stack.interceptTcp();
    // Teach the stack the peer's MAC (an ARP request for its address).
    inject(peer, arpFrame({ sender: '10.0.0.50', senderMac: PEER_MAC, target: '10.0.0.1' }));
    inject(peer, synFrame(mac, '198.51.100.7', 1000));
    inject(peer, synFrame(mac, '198.51.100.8', 5000));
    await rig.settle();
    expect(tcpSegments(drain(peer))).toEqual([]);
    expect(interceptor.pending).toBe(2);
    const first = await interceptor.nextRequest();
    const second = await interceptor.nextRequest();
    void first.accept();
    second.refuse();
    await rig.settle();
    const replies = tcpSegments(drain(peer));
    expect(replies.map((r) => r.source)).toEqual(['198.51.100.7', '198.51.100.8']);
    const [synAck, rst] = replies.map((r) => r.segment);
    expect(synAck!.flags).toBe(TcpFlags.SYN | TcpFlags.ACK);
    expect(synAck!.sourcePort).toBe(443);
    expect(synAck!.destinationPort).toBe(40000);
    expect(synAck!.acknowledgmentNumber).toBe(1001);
    expect(rst!.flags & TcpFlags.RST).toBe(TcpFlags.RST);
    expect(rst!.acknowledgmentNumber).toBe(5001);
    interceptor.close();
  });
});

describe('Stack.interceptTcp', () => {
  it('hands a SYN for another host to the application and answers only after accept()', async () => {
    const p = guestAndGateway();
    const { left: guest, right: gateway } = p;
    const interceptor = gateway.interceptTcp();
    const connecting = guest.connectTcp({ address: '192.0.2.7', port: 8080 });
    const request = await (async () => {
      const next = interceptor.nextRequest();
      await settleWhile(p, next);
      return next;
    })();
    expect(formatIpv4Address(request.localAddress)).toBe('192.0.2.7');
    expect(request.localPort).toBe(8080);
    expect(formatIpv4Address(request.remoteAddress)).toBe('10.0.0.1');
    // Undecided: the guest's SYN is retransmitted and absorbed, nothing answers it.
    await p.rig.run(1_500_000);
    expect(guest.tcp.stats.established).toBe(0);
    expect(gateway.tcp.stats.dropped['syn-undecided']).toBeGreaterThanOrEqual(1);
    expect(gateway.tcp.stats.intercepted).toBe(1);
    const accepted = request.accept();
    await settleWhile(p, Promise.all([accepted, connecting]));
    const [server, client] = await Promise.all([accepted, connecting]);
    expect(formatIpv4Address(server.localAddress)).toBe('192.0.2.7');
    expect(server.localPort).toBe(8080);
    expect(formatIpv4Address(client.remoteAddress)).toBe('192.0.2.7');
    const echoed = echoOnce(server);
    const data = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
    const back = (async () => {
      await client.write(data);
      await client.end();
      return readAll(client);
    })();
    await settleWhile(p, Promise.all([echoed, back]), 20_000_000);
    expect(await back).toEqual([...data]);
    await expect(request.accept()).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('refuse() answers with RST: the guest connect fails with ECONNREFUSED', async () => {
    const p = guestAndGateway();
    const interceptor = p.right.interceptTcp();
    void (async () => {
      for await (const request of interceptor) request.refuse();
    })();
    const connecting = p.left.connectTcp({ address: '198.51.100.1', port: 25 });
    await settleWhile(p, connecting);
    const error = await connecting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TcpError);
    expect((error as TcpError).code).toBe('ECONNREFUSED');
    expect(p.right.tcp.stats.resetsSent).toBe(1);
    interceptor.close();
  });

  it('keeps two connections from one guest port to two destinations apart', async () => {
    const p = guestAndGateway();
    const interceptor = p.right.interceptTcp();
    void (async () => {
      for await (const request of interceptor) {
        void request.accept().then(async (conn) => {
          // Each "server" answers with the last octet of its own (original) address.
          await conn.write(Uint8Array.of(conn.localAddress & 0xff));
          await conn.end();
        });
      }
    })();
    const a = p.left.connectTcp({ address: '192.0.2.1', port: 80, localPort: 40000 });
    const b = p.left.connectTcp({ address: '192.0.2.2', port: 80, localPort: 40000 });
    await settleWhile(p, Promise.all([a, b]));
    const reads = Promise.all([readAll(await a), readAll(await b)]);
    await settleWhile(p, reads);
    expect(await reads).toEqual([[1], [2]]);
    // Both closed cleanly: the same-key chain is unlinked in either order.
    (await a).abort();
    (await b).abort();
    await p.rig.run(1_000_000);
    expect(p.right.tcp.connectionCount).toBe(0);
    interceptor.close();
  });

  it('without an interceptor, segments for other hosts are dropped as not-for-us', async () => {
    const p = guestAndGateway();
    const interceptor = p.right.interceptTcp();
    interceptor.close();
    const connecting = p.left.connectTcp({ address: '192.0.2.7', port: 80, timeout: 2_000_000 });
    await settleWhile(p, connecting);
    await expect(connecting).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(p.right.stats.ipv4.dropped['not-for-us']).toBeGreaterThanOrEqual(1);
    expect(p.right.tcp.stats.intercepted).toBe(0);
    expect(() => p.right.interceptTcp()).not.toThrow();
    expect(() => p.right.interceptTcp()).toThrow(/another interceptor/);
  });

  it('drops SYNs beyond the backlog of undecided requests', async () => {
    const p = guestAndGateway();
    const interceptor = p.right.interceptTcp({ backlog: 2 });
    for (let i = 0; i < 3; i++) {
      void p.left.connectTcp({ address: `192.0.2.${i + 1}`, port: 80 }).catch(() => {});
    }
    await p.rig.run(100_000);
    expect(interceptor.pending).toBe(2);
    expect(p.right.tcp.stats.dropped['intercept-backlog-full']).toBeGreaterThanOrEqual(1);
    interceptor.close();
    await p.rig.run(100_000);
    expect(p.right.tcp.stats.resetsSent).toBe(2);
  });
});

describe('Stack.interceptUdp', () => {
  async function guestSocket(guest: Stack) {
    const socket = guest.bindUdp({ port: 5000 });
    return socket;
  }

  it('receives datagrams for any address and port and answers from the original destination', async () => {
    const p = guestAndGateway();
    const nat = p.right.interceptUdp();
    expect(nat.intercepting).toBe(true);
    const socket = await guestSocket(p.left);
    void socket.send(Uint8Array.of(1, 2, 3), '203.0.113.9', 5353);
    await p.rig.settle();
    const m = nat.tryReceive()!;
    expect([...m.data]).toEqual([1, 2, 3]);
    expect(formatIpv4Address(m.destination)).toBe('203.0.113.9');
    expect(m.destinationPort).toBe(5353);
    expect(formatIpv4Address(m.address)).toBe('10.0.0.1');
    expect(m.port).toBe(5000);
    await expect(nat.send(m.data, m.address, m.port)).rejects.toMatchObject({ code: 'EINVAL' });
    void nat.sendFrom(
      Uint8Array.of(9),
      { address: m.destination, port: m.destinationPort },
      m.address,
      m.port,
    );
    await p.rig.settle();
    await flushMicrotasks();
    const reply = socket.tryReceive()!;
    expect([...reply.data]).toEqual([9]);
    expect(formatIpv4Address(reply.address)).toBe('203.0.113.9');
    expect(reply.port).toBe(5353);
  });

  it('refuse() sends ICMP administratively prohibited: the sender fails its next receive', async () => {
    const p = guestAndGateway();
    const nat = p.right.interceptUdp();
    const socket = await guestSocket(p.left);
    void socket.send(Uint8Array.of(1, 2), '203.0.113.9', 53);
    await p.rig.settle();
    nat.refuse(nat.tryReceive()!);
    await p.rig.settle();
    expect(p.right.stats.icmp.errorsSent).toBe(1);
    expect(p.left.stats.icmp.errorsDelivered).toBe(1);
    await expect(socket.receive()).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
    expect(() =>
      socket.refuse({
        data: new Uint8Array(0),
        address: 1,
        port: 1,
        destination: 2,
        destinationPort: 2,
      }),
    ).toThrow(/only an intercepting socket/);
  });

  it('leaves bound sockets their datagrams and stops accepting other hosts once closed', async () => {
    const p = guestAndGateway();
    const nat = p.right.interceptUdp();
    const bound = p.right.bindUdp({ port: 67 });
    const socket = await guestSocket(p.left);
    void socket.send(Uint8Array.of(1), '10.0.0.2', 67);
    void socket.send(Uint8Array.of(2), '10.0.0.2', 68);
    await p.rig.settle();
    expect([...bound.tryReceive()!.data]).toEqual([1]);
    expect(nat.tryReceive()!.destinationPort).toBe(68);
    await expect(
      p.left.bindUdp().sendFrom(Uint8Array.of(1), { address: 1, port: 1 }, '10.0.0.2', 1),
    ).rejects.toMatchObject({ code: 'EINVAL' });
    expect(() => p.right.interceptUdp()).toThrow(/another intercepting/);
    nat.close();
    void socket.send(Uint8Array.of(3), '203.0.113.9', 53);
    await p.rig.settle();
    expect(p.right.stats.ipv4.dropped['not-for-us']).toBe(1);
  });
});
