import { Channel, Event, Mutex, SchedError, Semaphore, Simulation } from '@libos/sched';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('Channel', () => {
  it('blocks a sender at capacity and resumes it after a receive (backpressure)', async () => {
    const sim = new Simulation({ seed: 4 });
    const s = sim.scheduler;
    const ch = new Channel<number>(s, { capacity: 2, name: 'q' });
    const log: string[] = [];
    await sim.run(async () => {
      await s.group(async (g) => {
        g.spawn(
          async () => {
            for (let i = 0; i < 4; i++) {
              await ch.send(i);
              log.push(`sent ${i} at ${s.now()}`);
            }
            ch.close();
          },
          { name: 'producer' },
        );
        g.spawn(
          async () => {
            await s.sleep(100);
            expect(ch.length).toBe(2); // the producer is stuck on its third send
            for await (const v of ch) {
              log.push(`got ${v} at ${s.now()}`);
              await s.sleep(10);
            }
          },
          { name: 'consumer' },
        );
      });
    });
    expect(log.filter((l) => l.startsWith('sent'))).toEqual([
      'sent 0 at 0',
      'sent 1 at 0',
      'sent 2 at 100',
      'sent 3 at 110',
    ]);
    expect(log.filter((l) => l.startsWith('got'))).toEqual([
      'got 0 at 100',
      'got 1 at 110',
      'got 2 at 120',
      'got 3 at 130',
    ]);
  });

  it('delivers every value exactly once, in order per sender, for any seed and capacity', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 0, max: 4 }), async (seed, capacity) => {
        const sim = new Simulation({ seed });
        const s = sim.scheduler;
        const ch = new Channel<string>(s, { capacity });
        const got: string[] = [];
        await sim.run(async () => {
          await s.group(async (g) => {
            for (const p of ['x', 'y']) {
              g.spawn(async () => {
                for (let i = 0; i < 5; i++) {
                  await ch.send(`${p}${i}`);
                  if (i % 2 === 0) await s.yield();
                }
              });
            }
            g.spawn(async () => {
              for (let i = 0; i < 10; i++) got.push(await ch.recv());
            });
          });
        });
        expect([...got].sort()).toEqual([
          'x0',
          'x1',
          'x2',
          'x3',
          'x4',
          'y0',
          'y1',
          'y2',
          'y3',
          'y4',
        ]);
        expect(got.filter((v) => v.startsWith('x'))).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
      }),
      { numRuns: 40 },
    );
  });

  it('rejects sends after close, drains, then reports closed; try-variants never block', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const ch = new Channel<number>(s, { capacity: 1 });
    expect(ch.trySend(1)).toBe(true);
    expect(ch.trySend(2)).toBe(false);
    ch.close();
    expect(ch.closed).toBe(true);
    expect(() => ch.trySend(3)).toThrow(expect.objectContaining({ code: 'CHANNEL_CLOSED' }));
    await expect(ch.send(3)).rejects.toMatchObject({ code: 'CHANNEL_CLOSED' });
    expect(ch.tryRecv()).toEqual({ ok: true, value: 1 });
    expect(ch.tryRecv()).toEqual({ ok: false, closed: true });
    await expect(ch.recv()).rejects.toBeInstanceOf(SchedError);
    expect(() => new Channel(s, { capacity: -1 })).toThrow(/capacity/);
  });

  it('wakes blocked receivers and senders with CHANNEL_CLOSED on close', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const ch = new Channel<number>(s, { capacity: 0, name: 'r' });
    const codes = await sim.run(async () => {
      const r = s.spawn(() => ch.recv().catch((e: SchedError) => e.code));
      await s.sleep(5);
      ch.close();
      return r.join();
    });
    expect(codes).toBe('CHANNEL_CLOSED');
  });
});

describe('Mutex', () => {
  it('gives mutual exclusion and FIFO hand-off under any interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 6 }), async (seed, n) => {
        const sim = new Simulation({ seed });
        const s = sim.scheduler;
        const m = new Mutex(s, 'counter');
        let counter = 0;
        let inside = 0;
        let maxInside = 0;
        await sim.run(() =>
          s.group(async (g) => {
            for (let i = 0; i < n; i++) {
              g.spawn(async () => {
                for (let k = 0; k < 3; k++) {
                  await m.withLock(async () => {
                    inside++;
                    maxInside = Math.max(maxInside, inside);
                    const read = counter;
                    await s.yield();
                    await s.sleep(k);
                    counter = read + 1; // a lost update if exclusion failed
                    inside--;
                  });
                }
              });
            }
          }),
        );
        expect(counter).toBe(3 * n);
        expect(maxInside).toBe(1);
        expect(m.locked).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses an unlock by a task that does not hold it', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const m = new Mutex(s, 'm');
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'NOT_OWNER' }));
    const code = await sim.run(async () => {
      await m.lock();
      const intruder = s.spawn(() => {
        try {
          m.unlock();
          return 'unlocked';
        } catch (e) {
          return (e as SchedError).code;
        }
      });
      const r = await intruder.join();
      expect(m.tryLock()).toBe(false);
      m.unlock();
      return r;
    });
    expect(code).toBe('NOT_OWNER');
  });
});

describe('Semaphore', () => {
  it('admits at most `permits` holders at once', async () => {
    const sim = new Simulation({ seed: 8 });
    const s = sim.scheduler;
    const sem = new Semaphore(s, 3, 'slots');
    let inside = 0;
    let maxInside = 0;
    await sim.run(() =>
      s.group(async (g) => {
        for (let i = 0; i < 10; i++) {
          g.spawn(async () => {
            await sem.acquire();
            inside++;
            maxInside = Math.max(maxInside, inside);
            await s.sleep(10);
            inside--;
            sem.release();
          });
        }
      }),
    );
    expect(maxInside).toBe(3);
    expect(sim.now()).toBe(40); // 10 tasks, 3 at a time, 10 µs each: 4 rounds
    expect(sem.available).toBe(3);
  });

  it('serves multi-permit requests in FIFO order and recovers from a cancelled waiter', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const sem = new Semaphore(s, 2);
    const order: string[] = [];
    await sim.run(async () => {
      await sem.acquire(2);
      const big = s.spawn(async () => {
        await sem.acquire(2);
        order.push('big');
      });
      await s.sleep(1); // big queues first
      const small = s.spawn(async () => {
        await sem.acquire(1);
        order.push('small');
        sem.release(1);
      });
      await s.sleep(1);
      expect(sem.tryAcquire()).toBe(false);
      expect(sem.waiting).toBe(2);
      sem.release(1); // 1 free, but the head (big, wants 2) keeps small queued behind it
      await s.sleep(1);
      expect(order).toEqual([]);
      big.cancel();
      await big.join().catch(() => order.push('big cancelled'));
      await small.join(); // the cancelled head no longer blocks the queue
      sem.release(1);
    });
    expect(order.sort()).toEqual(['big cancelled', 'small']);
    expect(sem.available).toBe(2);
    expect(() => sem.release(0)).toThrow(/n must be/);
  });
});

describe('Event', () => {
  it('wakes every waiter on set and lets later waits pass until cleared', async () => {
    const sim = new Simulation({ seed: 5 });
    const s = sim.scheduler;
    const ev = new Event(s, 'go');
    const woke: string[] = [];
    await sim.run(async () => {
      await s.group(async (g) => {
        for (const n of ['a', 'b', 'c']) {
          g.spawn(async () => {
            await ev.wait();
            woke.push(`${n}@${s.now()}`);
          });
        }
        await s.sleep(20);
        expect(woke).toEqual([]);
        ev.set();
      });
      await ev.wait(); // already set: passes
      ev.clear();
      expect(ev.isSet).toBe(false);
    });
    expect(woke.sort()).toEqual(['a@20', 'b@20', 'c@20']);
  });
});

describe('misuse', () => {
  it('rejects Promise.all over blocking operations inside one task with a clear error', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    await expect(sim.run(() => Promise.all([s.sleep(10), s.sleep(20)]))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
