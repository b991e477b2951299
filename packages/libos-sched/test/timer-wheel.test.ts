import { TimerWheel } from '@libos/sched';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** The naive reference: a list scanned in (deadline, arm order). */
class ModelTimers {
  now = 0;
  #seq = 0;
  armed: { payload: number; deadline: number; seq: number }[] = [];
  arm(deadline: number, payload: number): void {
    this.armed.push({ payload, deadline, seq: this.#seq++ });
  }
  cancel(payload: number): boolean {
    const i = this.armed.findIndex((t) => t.payload === payload);
    if (i < 0) return false;
    this.armed.splice(i, 1);
    return true;
  }
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const t of this.armed) if (min === null || t.deadline < min) min = t.deadline;
    return min;
  }
  expire(now: number): number[] {
    const due = this.armed.filter((t) => t.deadline <= now);
    this.armed = this.armed.filter((t) => t.deadline > now);
    due.sort((a, b) => a.deadline - b.deadline || a.seq - b.seq);
    if (now > this.now) this.now = now;
    return due.map((t) => t.payload);
  }
}

// Deltas spanning every level: sub-slot, level boundaries (32^k ± 1), huge jumps, the past.
const delta = fc.oneof(
  fc.integer({ min: -50, max: 50 }),
  fc.integer({ min: 0, max: 2000 }),
  fc.constantFrom(31, 32, 33, 1023, 1024, 1025, 32767, 32768, 32769, 2 ** 20, 2 ** 25 - 1, 2 ** 30),
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.integer({ min: 0, max: 2 ** 51 }),
);

type Op =
  | { kind: 'arm'; delta: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'advance'; delta: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: delta.map((d) => ({ kind: 'arm' as const, delta: d })) },
  { weight: 2, arbitrary: fc.nat().map((p) => ({ kind: 'cancel' as const, pick: p })) },
  { weight: 3, arbitrary: delta.map((d) => ({ kind: 'advance' as const, delta: Math.abs(d) })) },
);

describe('TimerWheel', () => {
  it('matches a naive sorted model under random arm/cancel/advance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.array(op, { maxLength: 150 }),
        (start, ops) => {
          const wheel = new TimerWheel<number>({ now: start, initialCapacity: 16 });
          const model = new ModelTimers();
          model.now = start;
          const ids: number[] = [];
          let next = 0;
          const limit = Number.MAX_SAFE_INTEGER;
          for (const o of ops) {
            if (o.kind === 'arm') {
              const deadline = Math.min(limit, Math.max(0, model.now + o.delta));
              ids.push(wheel.arm(deadline, next));
              model.arm(deadline, next);
              next++;
            } else if (o.kind === 'cancel') {
              if (ids.length === 0) continue;
              const payload = o.pick % ids.length;
              expect(wheel.cancel(ids[payload]!)).toBe(model.cancel(payload));
            } else {
              const now = Math.min(limit, model.now + o.delta);
              const fired: number[] = [];
              wheel.expire(now, (p) => fired.push(p));
              expect(fired).toEqual(model.expire(now));
            }
            expect(wheel.nextDeadline()).toBe(model.nextDeadline());
            expect(wheel.size).toBe(model.armed.length);
          }
          const fired: number[] = [];
          wheel.expire(limit, (p) => fired.push(p));
          expect(fired).toEqual(model.expire(limit));
          expect(wheel.size).toBe(0);
          expect(wheel.nextDeadline()).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fires in deadline order with ties in arm order, even after cascading', () => {
    const wheel = new TimerWheel<string>();
    wheel.arm(5000, 'far-first'); // lands on a high level, cascades later
    wheel.expire(4990, () => {
      throw new Error('nothing is due yet');
    });
    wheel.arm(5000, 'near-second'); // lands on level 0 directly
    wheel.arm(4995, 'earlier');
    const fired: string[] = [];
    wheel.expire(5000, (p, d) => fired.push(`${p}@${d}`));
    expect(fired).toEqual(['earlier@4995', 'far-first@5000', 'near-second@5000']);
  });

  it('fires deadlines in the past at the next expire, in deadline order', () => {
    const wheel = new TimerWheel<number>({ now: 1000 });
    wheel.arm(900, 2);
    wheel.arm(100, 1);
    wheel.arm(900, 3);
    expect(wheel.nextDeadline()).toBe(100);
    const fired: number[] = [];
    wheel.expire(1000, (p) => fired.push(p));
    expect(fired).toEqual([1, 2, 3]);
  });

  it('handles the largest safe deadline and a jump straight to it', () => {
    const wheel = new TimerWheel<string>();
    wheel.arm(Number.MAX_SAFE_INTEGER, 'end of time');
    wheel.arm(2 ** 52 + 7, 'far');
    expect(wheel.nextDeadline()).toBe(2 ** 52 + 7);
    const fired: string[] = [];
    wheel.expire(Number.MAX_SAFE_INTEGER - 1, (p) => fired.push(p));
    expect(fired).toEqual(['far']);
    wheel.expire(Number.MAX_SAFE_INTEGER, (p) => fired.push(p));
    expect(fired).toEqual(['far', 'end of time']);
  });

  it('makes cancel safe after expiry and after a double cancel, even when nodes are reused', () => {
    const wheel = new TimerWheel<number>();
    const a = wheel.arm(10, 1);
    expect(wheel.isArmed(a)).toBe(true);
    expect(wheel.cancel(a)).toBe(true);
    expect(wheel.cancel(a)).toBe(false);
    const b = wheel.arm(20, 2); // reuses a's node
    expect(wheel.cancel(a)).toBe(false);
    expect(wheel.isArmed(b)).toBe(true);
    wheel.expire(20, () => {});
    expect(wheel.cancel(b)).toBe(false);
    expect(wheel.cancel(-1)).toBe(false);
    expect(wheel.cancel(1.5)).toBe(false);
    expect(wheel.size).toBe(0);
  });

  it('lets callbacks arm and cancel timers while expiring', () => {
    const wheel = new TimerWheel<string>();
    const fired: string[] = [];
    const victim = wheel.arm(30, 'victim');
    wheel.arm(10, 'first');
    wheel.expire(50, (p, d) => {
      fired.push(p);
      if (p === 'first') {
        wheel.cancel(victim);
        wheel.arm(d + 5, 'chained'); // ≤ now: fires in this same call
        wheel.arm(100, 'later');
      }
    });
    expect(fired).toEqual(['first', 'chained']);
    expect(wheel.nextDeadline()).toBe(100);
    expect(() => wheel.arm(Number.NaN, 'bad')).toThrow(/safe integer/);
  });

  it('grows past its initial capacity and reports deadlines of armed timers', () => {
    const wheel = new TimerWheel<number>({ initialCapacity: 16 });
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) ids.push(wheel.arm(1000 - i, i));
    expect(wheel.size).toBe(1000);
    expect(wheel.deadlineOf(ids[10]!)).toBe(990);
    expect(wheel.nextDeadline()).toBe(1);
    let count = 0;
    let last = 0;
    wheel.expire(1000, (_p, d) => {
      expect(d).toBeGreaterThanOrEqual(last);
      last = d;
      count++;
    });
    expect(count).toBe(1000);
    expect(wheel.deadlineOf(ids[10]!)).toBeNull();
  });
});
