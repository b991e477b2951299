/**
 * Task switch cost: `yield` between simulated tasks vs a plain `await` chain.
 */
import { Simulation } from '@libos/sched';
import type { Comparison } from '../../../bench/harness.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

const YIELDS_PER_TASK = 50_000;
const TASKS = 2;
const OPS = YIELDS_PER_TASK * TASKS;

const taskSwitch: Comparison = {
  id: 'SCHED-yield',
  title: 'task switch: Simulation yield vs plain await chain',
  conditions: `${TASKS} tasks × ${YIELDS_PER_TASK.toLocaleString('en')} yields, seeded tie-breaking, virtual time; baseline: ${TASKS} async loops × await Promise.resolve()`,
  subject: {
    name: 'Scheduler.yield (simulation)',
    ops: OPS,
    run: async () => {
      const sim = new Simulation({ seed: 1 });
      const s = sim.scheduler;
      let count = 0;
      await sim.run(() =>
        s.group((g) => {
          for (let t = 0; t < TASKS; t++) {
            g.spawn(async () => {
              for (let i = 0; i < YIELDS_PER_TASK; i++) {
                await s.yield();
                count++;
              }
            });
          }
        }),
      );
      sink.value += count;
    },
  },
  baseline: {
    name: 'await Promise.resolve() chain',
    ops: OPS,
    run: async () => {
      let count = 0;
      const loop = async (): Promise<void> => {
        for (let i = 0; i < YIELDS_PER_TASK; i++) {
          await Promise.resolve();
          count++;
        }
      };
      const loops: Promise<void>[] = [];
      for (let t = 0; t < TASKS; t++) loops.push(loop());
      await Promise.all(loops);
      sink.value += count;
    },
  },
  goal: 0.25,
  floor: 0.1,
};

export const comparisons: Comparison[] = [taskSwitch];
