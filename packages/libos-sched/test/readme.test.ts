import { Channel, millis, Simulation } from '@libos/sched';
import { describe, expect, it } from 'vitest';

describe('README usage example', () => {
  it('runs as documented', async () => {
    const sim = new Simulation({ seed: 7 });
    const sched = sim.scheduler;
    const frames = new Channel<string>(sched, { capacity: 4, name: 'frames' });
    let next = millis(1);
    const nic = sched.addPoller({
      pollAt: () => next,
      poll: (now) => {
        if (now >= next && frames.trySend(`frame@${now}`)) next += millis(1);
      },
    });
    const got = await sim.run(async () => {
      const out: string[] = [];
      await sched.group(async (g) => {
        g.spawn(
          async () => {
            for (let i = 0; i < 3; i++) out.push(await frames.recv());
          },
          { name: 'rx' },
        );
      });
      nic.remove();
      return out;
    });
    expect(got).toEqual(['frame@1000', 'frame@2000', 'frame@3000']);
  });
});
