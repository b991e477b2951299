/**
 * `npm start [-- --seed N --frames N --workers N]`: boots the demo kernel and prints a
 * boot log, per-task results and the trace digest (same seed → same digest).
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo-kernel.js';

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(
      `libos demo: --${name} must be a non-negative integer, not ${JSON.stringify(text)}`,
    );
    process.exit(2);
  }
  return n;
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: { seed: { type: 'string' }, frames: { type: 'string' }, workers: { type: 'string' } },
  });
}
try {
  args = parse();
} catch (e) {
  console.error(`libos demo: ${(e as Error).message}`);
  process.exit(2);
}

const seed = positiveInt('seed', args.values.seed, 7);
const frames = positiveInt('frames', args.values.frames, 2000);
const workers = Math.max(1, positiveInt('workers', args.values.workers, 2));
const t0 = performance.now();
const stamp = (): string => `[${(performance.now() - t0).toFixed(3).padStart(8)} ms]`;

console.log(`libos demo kernel — @libos/mem + @libos/sched, node ${process.version}`);
const result = await runDemo({
  seed,
  frames,
  workers,
  log: (line) => console.log(`${stamp()} ${line}`),
});
console.log(
  `${stamp()} done: ${result.produced} frames processed, ${result.dropped} dropped (pool or queue full)`,
);
for (const [task, n] of Object.entries(result.processedBy))
  console.log(`           ${task}: ${n} frames`);
console.log(
  `           pool high-water ${result.poolHighWater}/${result.poolBuffers} buffers, ${result.poolInUseAtEnd} in use at exit`,
);
console.log(
  `           virtual time ${(result.virtualMicros / 1000).toFixed(3)} ms, ${result.traceEvents} scheduler events`,
);
console.log(
  `           checksum sum ${result.checksumSum}, trace digest ${result.traceDigest} (seed ${seed})`,
);
console.log(
  'Run again with the same --seed: the digest is identical. A different seed interleaves differently.',
);
