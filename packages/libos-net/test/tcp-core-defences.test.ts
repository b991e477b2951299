/**
 * Resource bounds and hostile input (RELIABILITY items 5 and 7), ICMP errors, and
 * listener/close corner cases.
 */
import { seqAdd, type TcpConnection, TcpFlags } from '@libos/net';
import { describe, expect, it } from 'vitest';
import {
  A,
  active,
  B,
  Capture,
  craft,
  firstDifference,
  passive,
  pattern,
  TcpWire,
  tick,
} from './tcp-core-harness.js';

const { SYN, RST, ACK, FIN } = TcpFlags;

function icmpQuote(conn: TcpConnection, sequence: number): Uint8Array {
  const quote = new Uint8Array(28);
  quote[0] = 0x45;
  quote[9] = 6;
  const view = new DataView(quote.buffer);
  view.setUint32(12, conn.localAddress);
  view.setUint32(16, conn.remoteAddress);
  view.setUint16(20, conn.localPort);
  view.setUint16(22, conn.remotePort);
  view.setUint32(24, sequence);
  return quote;
}

describe('bounded memory', () => {
  it('an out-of-order flood with many holes is bounded by maxGaps (RELIABILITY item 7)', async () => {
    const { cap, conn, irs, iss } = await passive({ capture: { maxGaps: 4 } });
    const base = seqAdd(irs, 1);
    for (let i = 0; i < 50; i++) {
      cap.inject({
        flags: ACK,
        sequenceNumber: seqAdd(base, 100 + i * 20),
        acknowledgmentNumber: seqAdd(iss, 1),
        payload: new Uint8Array(10),
      });
    }
    expect(cap.layer.stats.dropped['too-many-gaps']).toBe(46);
    // Every hostile segment is still answered with a duplicate ACK, never an advance.
    expect(cap.take().every((s) => s.repr.acknowledgmentNumber === base)).toBe(true);
    // In-order data is still accepted.
    cap.inject({
      flags: ACK,
      sequenceNumber: base,
      acknowledgmentNumber: seqAdd(iss, 1),
      payload: pattern(100),
    });
    expect(firstDifference((await conn.read(100))!, pattern(100))).toBe(-1);
  });

  it('data beyond the receive buffer is cut, never buffered', async () => {
    const { cap, conn, irs, iss } = await passive({ capture: { receiveBuffer: 2000 } });
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
      payload: pattern(1460),
    });
    cap.inject({
      flags: ACK | FIN,
      sequenceNumber: seqAdd(irs, 1461),
      acknowledgmentNumber: seqAdd(iss, 1),
      payload: pattern(1460, 2),
    });
    expect(conn.readableLength).toBe(2000);
    expect(cap.layer.stats.dropped['beyond-window']).toBe(1);
    // The FIN sat beyond the window: not taken.
    expect(conn.state).toBe('established');
    expect(cap.take().at(-1)?.repr.acknowledgmentNumber).toBe(seqAdd(irs, 2001));
  });

  it('buffers are allocated on first use and charged to the memory budget', async () => {
    const { cap, conn, irs, iss } = await passive({
      capture: { memoryBudget: 10_000, sendBuffer: 30_000, receiveBuffer: 30_000 },
    });
    expect(cap.layer.memoryUsed).toBe(0); // an idle connection holds no buffers
    await conn.write(new Uint8Array(10));
    expect(cap.layer.memoryUsed).toBe(4096); // initial storage, not the 30 000 capacity
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 11),
      payload: pattern(10),
    });
    expect(cap.layer.memoryUsed).toBe(8192);
    // No room for another connection's buffers: connect fails, SYNs get cookies.
    await expect(cap.layer.connect({ address: B, port: 81 })).rejects.toMatchObject({
      code: 'ENOBUFS',
    });
    cap.take();
    cap.inject({ flags: SYN, sequenceNumber: 5, sourcePort: 999 });
    expect(cap.layer.stats.synCookiesSent).toBe(1);
    expect(cap.layer.connectionCount).toBe(1);
    // ABORT flushes both queues (RFC 9293 §3.10.5): all memory returns at once and the
    // unread bytes are gone — a read reports the abort instead.
    conn.abort();
    expect(cap.layer.memoryUsed).toBe(0);
    await expect(conn.read()).rejects.toMatchObject({ code: 'ECONNABORTED' });
  });

  it('data arriving over the memory budget is dropped, not buffered', async () => {
    const { cap, conn, irs, iss, listener } = await passive({
      capture: { memoryBudget: 8192, sendBuffer: 30_000, receiveBuffer: 30_000 },
    });
    // A second connection, then both write: the budget is used up by send buffers.
    cap.inject({ flags: SYN, sequenceNumber: 7, sourcePort: 40001 });
    const synAck = cap.take()[0]!.repr;
    cap.inject({
      flags: ACK,
      sequenceNumber: 8,
      sourcePort: 40001,
      acknowledgmentNumber: seqAdd(synAck.sequenceNumber, 1),
    });
    const other = await listener.accept();
    await conn.write(new Uint8Array(10));
    await other.write(new Uint8Array(10));
    expect(cap.layer.memoryUsed).toBe(8192);
    cap.take();
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 11),
      payload: pattern(10),
    });
    expect(cap.layer.stats.dropped['memory-budget']).toBe(1);
    expect(conn.readableLength).toBe(0);
    // The immediate ACK does not move: the peer will retransmit.
    expect(cap.take().at(-1)?.repr.acknowledgmentNumber).toBe(seqAdd(irs, 1));
  });

  it('buffers grow with the data waiting in them, only as far as the budget allows', async () => {
    const { cap, conn, irs, iss } = await passive({
      capture: { memoryBudget: 20_000, sendBuffer: 30_000, receiveBuffer: 30_000 },
    });
    const data = pattern(30_000, 3);
    let written = false;
    void conn.write(data).then(() => {
      written = true;
    });
    await tick();
    // 4 KiB → 8 KiB → 16 KiB; 30 000 bytes would take the budget past 20 000: refused.
    expect(cap.layer.memoryUsed).toBe(16_384);
    expect(written).toBe(false);
    // As the peer acknowledges, the rest flows through the same 16 KiB of storage.
    const got: Uint8Array[] = [];
    for (let round = 0; round < 20 && got.reduce((n, p) => n + p.length, 0) < 30_000; round++) {
      const sent = cap.take().filter((s) => s.payload.length > 0);
      for (const s of sent) got.push(s.payload);
      const acked = got.reduce((n, p) => n + p.length, 0);
      cap.inject({
        flags: ACK,
        sequenceNumber: seqAdd(irs, 1),
        acknowledgmentNumber: seqAdd(iss, 1 + acked),
        window: 65_535,
      });
      await tick();
      cap.advanceTo(cap.clock.now() + 50_000);
    }
    const all = new Uint8Array(got.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of got) {
      all.set(p, at);
      at += p.length;
    }
    expect(firstDifference(all, data)).toBe(-1);
    expect(all.length).toBe(data.length);
    expect(written).toBe(true);
    expect(cap.layer.memoryUsed).toBeLessThanOrEqual(20_000);
  });

  it('a SYN flood neither stalls an established transfer nor grows state (RFC 4987)', async () => {
    const wire = new TcpWire({ b: { synBacklog: 16 } });
    const listener = wire.b.listen({ port: 80 });
    const conn = await wire.until(wire.a.connect({ address: B, port: 80 }));
    const server = await wire.until(listener.accept());
    const data = pattern(400_000, 5);
    const received: Uint8Array[] = [];
    let total = 0;
    const reader = (async () => {
      for (let c = await server.read(); c; c = await server.read()) {
        received.push(c);
        total += c.length;
      }
    })();
    const writer = conn.write(data).then(() => conn.end());
    for (let round = 0; round < 50 && total < data.length; round++) {
      for (let i = 0; i < 40; i++) {
        const port = 1024 + round * 40 + i;
        wire.b.input(
          0x0b000000 + port,
          B,
          craft(
            { flags: SYN, sequenceNumber: port * 7919, sourcePort: port },
            0x0b000000 + port,
            B,
          ),
          false,
          wire.clock.now(),
        );
      }
      await wire.run(() => false, 2_000);
    }
    await wire.until(Promise.all([writer, reader]));
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of received) {
      all.set(c, at);
      at += c.length;
    }
    expect(firstDifference(all, data)).toBe(-1);
    expect(wire.b.stats.synCookiesSent).toBeGreaterThan(0);
    // State: the one real connection, at most synBacklog half-open ones.
    expect(wire.b.connectionCount).toBeLessThanOrEqual(17);
    void A;
  });
});

describe('RFC 5961 §5.2 ACK bounds', () => {
  it('an ACK older than SND.UNA − MAX.SND.WND is challenged and its data dropped', async () => {
    const { cap, conn, irs, iss } = await passive({ window: 1000 });
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, -5000),
      payload: new Uint8Array(10),
    });
    expect(cap.layer.stats.dropped['ack-out-of-window']).toBe(1);
    expect(conn.readableLength).toBe(0);
    // Within MAX.SND.WND behind SND.UNA: an old but valid duplicate, data accepted.
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, -500),
      payload: new Uint8Array(10),
    });
    expect(conn.readableLength).toBe(10);
  });
});

describe('SYN-RECEIVED', () => {
  it('an exact RST returns a passive attempt to LISTEN; an unacceptable ACK gets RST', () => {
    const cap = new Capture();
    const listener = cap.layer.listen({ port: 80 });
    cap.inject({ flags: SYN, sequenceNumber: 100 });
    const iss = cap.take()[0]!.repr.sequenceNumber;
    cap.inject({ flags: ACK, sequenceNumber: 101, acknowledgmentNumber: seqAdd(iss, 5) });
    expect(cap.take()[0]?.repr).toMatchObject({ flags: RST, sequenceNumber: seqAdd(iss, 5) });
    expect(cap.layer.connectionCount).toBe(1);
    cap.inject({ flags: RST, sequenceNumber: 101 });
    expect(cap.layer.connectionCount).toBe(0);
    expect(listener.pending).toBe(0);
    expect(listener.synReceived).toBe(0);
  });

  it('retransmits the SYN-ACK with backoff, then gives up', () => {
    const cap = new Capture({ synRetries: 2 });
    cap.layer.listen({ port: 80 });
    cap.inject({ flags: SYN, sequenceNumber: 100 });
    cap.advanceTo(10_000_000);
    const sent = cap.take();
    expect(sent.slice(0, 3).map((s) => [s.at, s.repr.flags])).toEqual([
      [0, SYN | ACK],
      [1_000_000, SYN | ACK],
      [3_000_000, SYN | ACK],
    ]);
    expect(cap.layer.connectionCount).toBe(0);
  });
});

describe('ICMP errors (RFC 5927, RFC 1122 §4.2.3.9)', () => {
  it('a soft error on an established connection is reported only when it times out', async () => {
    const { cap, conn } = await active({ capture: { dataRetries: 2 } });
    await conn.write(new Uint8Array(100));
    const [data] = cap.take();
    // A quote with a sequence number outside SND.UNA..SND.NXT is ignored (blind ICMP).
    cap.layer.icmpError(icmpQuote(conn, seqAdd(data!.repr.sequenceNumber, 5000)), 'ENETUNREACH', 0);
    cap.layer.icmpError(icmpQuote(conn, data!.repr.sequenceNumber), 'EHOSTUNREACH', 0);
    expect(conn.state).toBe('established');
    cap.advanceTo(30_000_000);
    await expect(conn.closed).rejects.toMatchObject({ code: 'EHOSTUNREACH' });
  });

  it('fragmentation needed lowers the MSS and resends in smaller segments (RFC 1191)', async () => {
    const { cap, conn, iss } = await passive();
    await conn.write(pattern(2920));
    const first = cap.take();
    expect(first.map((s) => s.repr.payloadLength)).toEqual([1460, 1460]);
    cap.layer.icmpFragmentationNeeded(icmpQuote(conn, seqAdd(iss, 1)), 1000, 0);
    expect(conn.mss).toBe(960);
    const again = cap.take();
    expect(again[0]?.repr.sequenceNumber).toBe(seqAdd(iss, 1));
    expect(again.every((s) => s.repr.payloadLength <= 960)).toBe(true);
  });
});

describe('closing corner cases', () => {
  it('close() in FIN-WAIT-2 gives up after 2·MSL if the peer never sends FIN', async () => {
    const { cap, conn, irs, iss } = await passive({ capture: { maxSegmentLifetime: 1_000_000 } });
    const closing = conn.close();
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 2),
    });
    expect(conn.state).toBe('fin-wait-2');
    cap.advanceTo(2_000_000);
    await closing;
    expect(conn.state).toBe('closed');
  });

  it('TIME-WAIT without a listener answers a new SYN with a challenge ACK and stays', async () => {
    const { cap, conn, iss, irs, port } = await active();
    void conn.end();
    cap.inject({
      sourcePort: 80,
      destinationPort: port,
      flags: ACK | FIN,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 2),
    });
    expect(conn.state).toBe('time-wait');
    cap.take();
    cap.inject({
      sourcePort: 80,
      destinationPort: port,
      flags: SYN,
      sequenceNumber: seqAdd(irs, 1000),
    });
    expect(cap.take()[0]?.repr).toMatchObject({ flags: ACK, acknowledgmentNumber: seqAdd(irs, 2) });
    expect(conn.state).toBe('time-wait');
  });

  it('LAST-ACK closes when the FIN is acknowledged', async () => {
    const { cap, conn, irs, iss } = await passive();
    cap.inject({
      flags: ACK | FIN,
      sequenceNumber: seqAdd(irs, 1),
      acknowledgmentNumber: seqAdd(iss, 1),
    });
    expect(conn.state).toBe('close-wait');
    expect(await conn.read()).toBeNull();
    void conn.end();
    expect(conn.state).toBe('last-ack');
    expect(cap.take().at(-1)?.repr.flags).toBe(ACK | FIN);
    cap.inject({
      flags: ACK,
      sequenceNumber: seqAdd(irs, 2),
      acknowledgmentNumber: seqAdd(iss, 2),
    });
    expect(conn.state).toBe('closed');
    await conn.closed;
  });

  it('closing a listener resets queued connections and ends iteration', async () => {
    const cap = new Capture();
    const listener = cap.layer.listen({ port: 80 });
    cap.inject({ flags: SYN, sequenceNumber: 100 });
    const iss = cap.take()[0]!.repr.sequenceNumber;
    cap.inject({ flags: ACK, sequenceNumber: 101, acknowledgmentNumber: seqAdd(iss, 1) });
    expect(listener.pending).toBe(1);
    const iteration = (async () => {
      let n = 0;
      for await (const _ of listener) n++;
      return n;
    })();
    await new Promise((resolve) => setImmediate(resolve));
    listener.close();
    expect(await iteration).toBe(1);
    await expect(listener.accept()).rejects.toMatchObject({ code: 'EINVAL' });
    // A new SYN to the closed port is refused.
    cap.take();
    cap.inject({ flags: SYN, sequenceNumber: 500, sourcePort: 40001 });
    expect(cap.take()[0]?.repr.flags).toBe(RST | ACK);
  });

  it('read and accept honour an AbortSignal', async () => {
    const { conn, listener } = await passive();
    const controller = new AbortController();
    const read = conn.read(undefined, controller.signal);
    const accept = listener.accept(controller.signal);
    controller.abort();
    await expect(read).rejects.toMatchObject({ code: 'ECANCELED' });
    await expect(accept).rejects.toMatchObject({ code: 'ECANCELED' });
  });
});
