/**
 * P8 — timer arm + cancel, and timer cost vs number of live timers (PERFORMANCE.md).
 */
import { TimerWheel } from '@libos/sched';
import type { Comparison } from '../../../bench/harness.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

const N = 1_000_000;
/** Deadlines spread over 1 ms … 60 s, like retransmission and keep-alive timers (fixed LCG, reproducible). */
function deadlines(count: number, seed: number): Float64Array {
  const out = new Float64Array(count);
  let x = seed >>> 0;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = 1000 + (x % 60_000_000); // µs
  }
  return out;
}
const DEADLINES = deadlines(N, 1);
const ids = new Float64Array(N);
const handles: (ReturnType<typeof setTimeout> | undefined)[] = new Array(N).fill(undefined);
const noop = (): void => {};

// One wheel reused across samples: it ends every sample empty, so samples are alike.
const p8Wheel = new TimerWheel<number>({ initialCapacity: N });

const p8: Comparison = {
  id: 'P8',
  title: 'timer arm + cancel, 1 M timers: TimerWheel vs setTimeout + clearTimeout',
  conditions: '1,000,000 timers armed (deadlines 1 ms–60 s, all live at once), then all cancelled',
  subject: {
    name: 'TimerWheel arm+cancel',
    ops: N,
    run: () => {
      const w = p8Wheel;
      for (let i = 0; i < N; i++) ids[i] = w.arm(DEADLINES[i]!, i);
      let acc = 0;
      for (let i = 0; i < N; i++) if (w.cancel(ids[i]!)) acc++;
      sink.value += acc;
    },
  },
  baseline: {
    name: 'setTimeout+clearTimeout',
    ops: N,
    run: () => {
      for (let i = 0; i < N; i++) handles[i] = setTimeout(noop, DEADLINES[i]! / 1000);
      for (let i = 0; i < N; i++) clearTimeout(handles[i]);
      sink.value += handles.length;
      handles.fill(undefined);
    },
  },
  goal: 2,
  floor: 1,
};

const BATCH = 100_000;

/** A wheel preloaded with `live` long-lived timers; built once, on first use. */
function liveWheel(live: number): () => TimerWheel<number> {
  let wheel: TimerWheel<number> | null = null;
  return () => {
    if (wheel === null) {
      wheel = new TimerWheel<number>({ initialCapacity: live + BATCH });
      const d = deadlines(live, 7);
      for (let i = 0; i < live; i++) wheel.arm(d[i]!, i);
    }
    return wheel;
  };
}

function armCancelBatch(getWheel: () => TimerWheel<number>): () => void {
  return () => {
    const w = getWheel();
    for (let i = 0; i < BATCH; i++) ids[i] = w.arm(DEADLINES[i]!, i);
    let acc = 0;
    for (let i = 0; i < BATCH; i++) if (w.cancel(ids[i]!)) acc++;
    sink.value += acc;
  };
}

const emptyWheel = liveWheel(0);

function scaling(live: number, label: string): Comparison {
  const w = liveWheel(live);
  return {
    id: `P8-live-${label}`,
    title: `timer arm + cancel with ${label} other timers live (flat = ratio ≈ 1)`,
    conditions: `batches of ${BATCH.toLocaleString('en')} arm-then-cancel; subject wheel holds ${live.toLocaleString('en')} live timers, baseline wheel is empty`,
    subject: {
      name: `TimerWheel, ${label} live`,
      ops: BATCH,
      setup: () => void w(),
      run: armCancelBatch(w),
    },
    baseline: { name: 'TimerWheel, empty', ops: BATCH, run: armCancelBatch(emptyWheel) },
    goal: 0.8,
    floor: 0.4,
  };
}

export const comparisons: Comparison[] = [
  p8,
  scaling(1_000, '1k'),
  scaling(100_000, '100k'),
  scaling(1_000_000, '1M'),
];
