import {
  type Clock,
  Event,
  type SchedError,
  Scheduler,
  Simulation,
  type Task,
  type Timers,
  VirtualClock,
} from '@libos/sched';
import { describe, expect, it } from 'vitest';

describe('Scheduler: groups', () => {
  it('cancels the children when the body throws, then rethrows the body error', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const log: string[] = [];
    const err = await sim
      .run(() =>
        s.group(async (g) => {
          g.spawn(async () => {
            try {
              await s.sleep(1000);
            } catch (e) {
              log.push((e as SchedError).code);
            }
          });
          await s.sleep(5);
          throw new Error('body failed');
        }),
      )
      .catch((e: unknown) => (e as Error).message);
    expect(err).toBe('body failed');
    expect(log).toEqual(['CANCELLED']);
  });

  it('returns normally after an explicit cancel once the body completes; refuses late spawns', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    let group: { spawn(fn: () => void): unknown } | null = null;
    const out = await sim.run(async () => {
      const value = await s.group(async (g) => {
        group = g;
        const child = g.spawn(() => s.sleep(1_000_000));
        g.cancel('enough');
        expect(g.cancelled).toBe(true);
        expect(g.live).toBe(1);
        // A child spawned into a cancelled group never runs.
        const late = g.spawn(() => 'ran');
        const lateCode = await late.join().catch((e: SchedError) => e.code);
        const childCode = await child.join().catch((e: SchedError) => e.code);
        return `${childCode}/${lateCode}`;
      });
      return value;
    });
    expect(out).toBe('CANCELLED/CANCELLED');
    expect(sim.now()).toBe(0);
    expect(() => group?.spawn(() => {})).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('Scheduler: cancellation', () => {
  it('rejects every blocking operation of a cancelled running task, and checkCancelled throws', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const codes = await sim.run(async () => {
      const t = s.spawn(async () => {
        const self = s.currentTask as Task<unknown>;
        self.cancel('self');
        expect(self.cancelled).toBe(true);
        const out: string[] = [];
        await s.sleep(10).catch((e: SchedError) => out.push(e.code));
        await s.yield().catch((e: SchedError) => out.push(e.code));
        try {
          s.checkCancelled();
        } catch (e) {
          out.push(`check:${(e as SchedError).code}`);
        }
        return out;
      });
      return t.join();
    });
    expect(codes).toEqual(['CANCELLED', 'CANCELLED', 'check:CANCELLED']);
  });

  it('honours signals that are already aborted', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const aborted = AbortSignal.abort('early');
    let ran = false;
    const out = await sim.run(async () => {
      const t = s.spawn(
        () => {
          ran = true;
        },
        { signal: aborted },
      );
      const a = await t.join().catch((e: SchedError) => e.code);
      const b = await s.sleep(5, { signal: aborted }).catch((e: SchedError) => e.code);
      return [a, b, s.now()];
    });
    expect(out).toEqual(['CANCELLED', 'CANCELLED', 0]);
    expect(ran).toBe(false);
  });

  it('removes a cancelled joiner from the joined task', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    const gate = new Event(s, 'gate');
    const out = await sim.run(async () => {
      const target = s.spawn(async () => {
        await gate.wait();
        return 'target done';
      });
      const joiner = s.spawn(() => target.join(), { name: 'joiner' });
      await s.sleep(1);
      expect(s.blockedTasks()).toEqual([
        { task: 'task-2', waitingOn: 'event.wait(gate)' },
        { task: 'joiner', waitingOn: 'join(task-2)' },
      ]);
      joiner.cancel();
      const code = await joiner.join().catch((e: SchedError) => e.code);
      gate.set();
      return [code, await target.join(), s.liveTaskCount];
    });
    expect(out).toEqual(['CANCELLED', 'target done', 1]); // only main is still live
  });
});

describe('Scheduler: errors outside tasks', () => {
  it('reports failures nobody observes through onTaskError', async () => {
    const seen: string[] = [];
    const sim = new Simulation({
      onTaskError: (e, t) => seen.push(`${t.name}: ${(e as Error).message}`),
    });
    const s = sim.scheduler;
    await sim.run(async () => {
      s.spawn(
        () => {
          throw new Error('lost');
        },
        { name: 'orphan' },
      );
      await s.sleep(1);
    });
    expect(seen).toEqual(['orphan: lost']);
  });

  it('fails the simulation run when a poller throws', async () => {
    const sim = new Simulation();
    const s = sim.scheduler;
    s.addPoller({
      pollAt: () => 50,
      poll: (now) => {
        if (now >= 50) throw new Error('device model bug');
      },
    });
    await expect(sim.run(() => s.sleep(100))).rejects.toThrow('device model bug');
  });

  it('rejects invalid priorities and times', () => {
    const s = new Simulation().scheduler;
    expect(() => s.spawn(() => {}, { priority: 0.5 })).toThrow(/priority/);
    expect(() => s.sleep(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_TIME' }));
    expect(() => new Simulation().run(() => {})).not.toThrow();
  });
});

describe('Scheduler: standalone with the default driver', () => {
  it('runs tasks when activated and services timers when kicked after the clock moves', async () => {
    const clock = new VirtualClock();
    const s = new Scheduler({ clock });
    const log: string[] = [];
    const t = s.spawn(async () => {
      log.push(`start@${s.now()}`);
      await s.sleep(100);
      log.push(`woke@${s.now()}`);
      return 'ok';
    });
    expect(s.active).toBe(false);
    s.setActive(true);
    await Promise.resolve();
    expect(log).toEqual(['start@0']);
    expect(s.nextDeadline()).toBe(100);
    clock.advanceTo(100);
    s.kick();
    await expect(t.join()).resolves.toBe('ok');
    expect(log).toEqual(['start@0', 'woke@100']);
  });
});

describe('Scheduler: interfaces', () => {
  it('is a Clock and Timers for the components it drives', async () => {
    const sim = new Simulation({ start: 500 });
    const clock: Clock = sim.scheduler;
    const timers: Timers = sim.scheduler;
    const fired: number[] = [];
    await sim.run(async () => {
      timers.setTimer(clock.now() + 10, (d) => fired.push(d));
      const id = timers.setTimer(clock.now() + 5, (d) => fired.push(-d));
      expect(timers.cancelTimer(id)).toBe(true);
      expect(timers.cancelTimer(id)).toBe(false);
      await sim.scheduler.sleep(20);
    });
    expect(fired).toEqual([510]);
  });
});
