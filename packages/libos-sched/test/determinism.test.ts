import { Channel, Mutex, Simulation } from '@libos/sched';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Step =
  | { op: 'yield' }
  | { op: 'sleep'; us: number }
  | { op: 'send'; value: number }
  | { op: 'recv' }
  | { op: 'locked'; us: number }
  | { op: 'draw' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ op: 'yield' }),
  fc.integer({ min: 0, max: 20 }).map<Step>((us) => ({ op: 'sleep', us })),
  fc.integer({ min: 0, max: 99 }).map<Step>((value) => ({ op: 'send', value })),
  fc.constant<Step>({ op: 'recv' }),
  fc.integer({ min: 0, max: 5 }).map<Step>((us) => ({ op: 'locked', us })),
  fc.constant<Step>({ op: 'draw' }),
);

/** Runs random task programs and returns everything observable: log, trace and outcome. */
async function observe(seed: number, programs: Step[][]): Promise<string[]> {
  const out: string[] = [];
  const sim = new Simulation({
    seed,
    trace: (e) => out.push(`${e.time} ${e.kind} ${e.task} ${e.detail}`),
  });
  const s = sim.scheduler;
  const ch = new Channel<number>(s, { capacity: 2, name: 'ch' });
  const m = new Mutex(s, 'm');
  try {
    await sim.run(() =>
      s.group(async (g) => {
        programs.forEach((steps, i) => {
          g.spawn(
            async () => {
              for (const st of steps) {
                switch (st.op) {
                  case 'yield':
                    await s.yield();
                    break;
                  case 'sleep':
                    await s.sleep(st.us);
                    break;
                  case 'send':
                    await ch.send(st.value);
                    break;
                  case 'recv':
                    out.push(`t${i} got ${await ch.recv()}`);
                    break;
                  case 'locked':
                    await m.withLock(() => s.sleep(st.us));
                    break;
                  case 'draw':
                    out.push(`t${i} drew ${sim.entropy.u32()}`);
                    break;
                }
              }
            },
            { name: `t${i}` },
          );
        });
      }),
    );
    out.push('finished');
  } catch (e) {
    out.push(`failed: ${(e as Error).message}`);
  }
  return out;
}

describe('Simulation determinism (property)', () => {
  it('gives identical observations for the same seed, whatever the programs (even deadlocking ones)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.array(fc.array(step, { maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        async (seed, programs) => {
          const a = await observe(seed, programs);
          const b = await observe(seed, programs);
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 60 },
    );
  });
});
