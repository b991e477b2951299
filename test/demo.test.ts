/**
 * `npm run demo` runs examples/demo: check that it works,
 * conserves every frame and buffer, and is deterministic for a seed.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../examples/demo/demo-kernel.js';

describe('demo kernel (npm start)', () => {
  it('accounts for every frame and returns every buffer to the pool', async () => {
    const r = await runDemo({ seed: 1, frames: 500, workers: 2 });
    expect(r.produced + r.dropped).toBe(500);
    expect(Object.values(r.processedBy).reduce((a, b) => a + b, 0)).toBe(r.produced);
    expect(r.poolInUseAtEnd).toBe(0);
    expect(r.poolHighWater).toBeGreaterThan(1);
    expect(r.dropped).toBeGreaterThan(0); // 2 workers cannot keep up with a frame every 40 µs
    expect(r.virtualMicros).toBeGreaterThanOrEqual(500 * 40);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await runDemo({ seed: 42, frames: 300, workers: 3 });
    const b = await runDemo({ seed: 42, frames: 300, workers: 3 });
    const c = await runDemo({ seed: 43, frames: 300, workers: 3 });
    expect(b).toEqual(a);
    expect(c.traceDigest).not.toBe(a.traceDigest);
    expect(c.checksumSum).not.toBe(a.checksumSum);
  });

  it('runs from the command line exactly as npm run demo does', async () => {
    const repo = join(import.meta.dirname, '..');
    const out = execFileSync(
      process.execPath,
      [
        '--conditions=libos-source',
        '--import',
        'tsx',
        'examples/demo/main.ts',
        '--seed',
        '5',
        '--frames',
        '200',
      ],
      { cwd: repo, encoding: 'utf8' },
    );
    const expected = await runDemo({ seed: 5, frames: 200, workers: 2 });
    expect(out).toContain(`trace digest ${expected.traceDigest} (seed 5)`);
    expect(out).toContain(
      `done: ${expected.produced} frames processed, ${expected.dropped} dropped`,
    );
    expect(() =>
      execFileSync(
        process.execPath,
        ['--conditions=libos-source', '--import', 'tsx', 'examples/demo/main.ts', '--frames', 'x'],
        {
          cwd: repo,
          stdio: 'pipe',
        },
      ),
    ).toThrow(/--frames must be a non-negative integer/);
  }, 60_000);
});
