import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from '../src/tcp/deadline-heap.js';
import { B, TcpWire } from './tcp-core-harness.js';

describe('DeadlineHeap', () => {
  it('pops entries in deadline order, like a sorted list (property)', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 1000 }) }),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const heap = new DeadlineHeap<number>();
        const model: { at: number; id: number }[] = [];
        let id = 0;
        for (const o of ops) {
          if ('push' in o) {
            heap.push(o.push, id);
            model.push({ at: o.push, id: id++ });
          } else {
            model.sort((x, y) => x.at - y.at);
            const top = model.shift();
            expect(heap.peekAt()).toBe(top?.at);
            // Equal deadlines may come out in any order; the item must carry that deadline.
            if (top !== undefined) {
              const item = heap.peekItem()!;
              const wanted = model.concat(top).find((m) => m.id === item);
              expect(wanted?.at).toBe(top.at);
              const i = model.findIndex((m) => m.id === item);
              if (i >= 0) model.splice(i, 1, top);
            }
            heap.pop();
          }
          expect(heap.size).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('TCP layer timers with many connections', () => {
  it('runs each connection’s timer at its own deadline and none early, with 300 connections', async () => {
    const wire = new TcpWire();
    const listener = wire.b.listen({ port: 80, backlog: 400 });
    const clients = [];
    for (let i = 0; i < 300; i++) clients.push(wire.a.connect({ address: B, port: 80 }));
    const conns = await wire.until(Promise.all(clients));
    const servers = [];
    for (let i = 0; i < 300; i++) servers.push(await wire.until(listener.accept()));
    await wire.run(() => false, 2_000_000);
    // Idle established connections run no timer at all.
    expect(wire.a.pollAt()).toBeUndefined();
    expect(wire.b.pollAt()).toBeUndefined();

    // Keep-alive on A after 10 s + i ms idle (idle since the handshake, the same instant
    // for all): the layer must wake exactly at the earliest deadline.
    const start = wire.clock.now();
    for (const [i, c] of conns.entries()) c.setKeepAlive(10_000_000 + i * 1000);
    const t0 = wire.a.pollAt()!;
    expect(t0 - start).toBeGreaterThan(8_000_000);
    expect(t0 - start).toBeLessThanOrEqual(10_000_000);
    // Move the earliest later and another earlier: the heap follows both.
    conns[0]!.setKeepAlive(20_000_000);
    expect(wire.a.pollAt()).toBe(t0 + 1000);
    conns[150]!.setKeepAlive(5_000_000);
    expect(wire.a.pollAt()).toBe(t0 - 5_000_000);
    conns[150]!.setKeepAlive(0);
    expect(wire.a.pollAt()).toBe(t0 + 1000);

    // Polling partway through the deadlines probes exactly the connections due.
    wire.a.poll(t0 + 98_500);
    expect(wire.a.stats.keepAliveProbes).toBe(98);
    wire.a.poll(t0 + 298_000);
    expect(wire.a.stats.keepAliveProbes).toBe(297); // 1..298 except 150
    expect(wire.a.pollAt()).toBe(t0 + 299_000);
    for (const c of [...conns, ...servers]) c.abort();
    expect(wire.a.connectionCount).toBe(0);
    expect(wire.a.pollAt()).toBeUndefined();
  });
});
