import { Channel, type Poller, RealTimeLoop } from '@libos/sched';
import { describe, expect, it } from 'vitest';

describe('RealTimeLoop', () => {
  it('runs tasks on host timers; shorter sleeps finish first', async () => {
    const loop = new RealTimeLoop();
    const s = loop.scheduler;
    const order = await loop.run(async () => {
      const done: string[] = [];
      await s.group(async (g) => {
        g.spawn(async () => {
          await s.sleep(8000);
          done.push('slow');
        });
        g.spawn(async () => {
          await s.sleep(1000);
          done.push('fast');
        });
      });
      return done;
    });
    loop.stop();
    expect(order).toEqual(['fast', 'slow']);
  });

  it('wakes early through a poller doorbell rung from a host callback', async () => {
    const loop = new RealTimeLoop();
    const s = loop.scheduler;
    const rx = new Channel<string>(s, { capacity: 1 });
    let pending: string | null = null;
    const nic: Poller = {
      pollAt: () => null, // only when woken
      poll: () => {
        if (pending !== null && rx.trySend(pending)) pending = null;
      },
    };
    const handle = s.addPoller(nic, 'nic');
    // A "device interrupt" from outside the loop.
    setTimeout(() => {
      pending = 'frame';
      handle.ring();
    }, 5);
    const got = await loop.run(() => rx.recv());
    loop.stop();
    expect(got).toBe('frame');
  });

  it('stop() ends the loop and rejects a pending run', async () => {
    const loop = new RealTimeLoop();
    const s = loop.scheduler;
    const p = loop.run(() => s.sleep(60_000_000));
    setTimeout(() => loop.stop(), 2);
    await expect(p).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    expect(loop.running).toBe(false);
  });

  it('wake() services due timers without waiting for the host timer', async () => {
    let fakeNow = 0;
    const loop = new RealTimeLoop({ clock: { now: () => fakeNow } });
    const s = loop.scheduler;
    const p = loop.run(async () => {
      await s.sleep(3_600_000_000); // an hour of fake time
      return s.now();
    });
    await new Promise((r) => setTimeout(r, 1));
    fakeNow = 3_600_000_000;
    loop.wake();
    await expect(p).resolves.toBe(3_600_000_000);
    loop.stop();
  });

  it('routes timer-callback errors to onFault and main errors to run()', async () => {
    const faults: string[] = [];
    const loop = new RealTimeLoop({ seed: 1, onFault: (e) => faults.push((e as Error).message) });
    const s = loop.scheduler;
    const err = await loop
      .run(async () => {
        s.setTimer(s.now() + 500, () => {
          throw new Error('timer bug');
        });
        await s.sleep(2000);
        throw new Error('main failed');
      })
      .catch((e: unknown) => (e as Error).message);
    loop.stop();
    expect(err).toBe('main failed');
    expect(faults).toEqual(['timer bug']);
  });

  it('serves a sleep started outside any task while the loop is parked on a later timer', async () => {
    const loop = new RealTimeLoop();
    const s = loop.scheduler;
    const long = loop.run(() => s.sleep(60_000_000)); // parks on a one-minute host timer
    await new Promise((r) => setTimeout(r, 1));
    const order: string[] = [];
    await s.sleep(2000).then(() => order.push('outside sleep done'));
    order.push(`long still pending: ${loop.running}`);
    loop.stop();
    await expect(long).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    expect(order).toEqual(['outside sleep done', 'long still pending: true']);
  });
});
