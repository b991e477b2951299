/**
 * `npm run bench [filter]`: discovers `packages/<pkg>/bench/*.bench.ts`, each exporting
 * `comparisons: Comparison[]`, measures them, prints a table and writes
 * `bench/results/latest.json` (machine-readable, to compare one run with the last).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type Comparison,
  type ComparisonResult,
  formatRate,
  type Gauge,
  type GaugeResult,
  measure,
  readGauge,
} from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const filter = process.argv[2];
const quick = process.env['LIBOS_BENCH_QUICK'] === '1';
const sampling = quick ? { warmupSamples: 1, samples: 3 } : { warmupSamples: 3, samples: 9 };

function benchFiles(): string[] {
  const out: string[] = [];
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', pkg, 'bench');
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (n.endsWith('.bench.ts')) out.push(join(dir, n));
  }
  return out;
}

const results: (ComparisonResult | GaugeResult)[] = [];
console.log(
  `libos benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
);
console.log(
  `sampling: ${sampling.warmupSamples} warm-up + ${sampling.samples} interleaved samples, medians\n`,
);
for (const file of benchFiles()) {
  const mod = (await import(pathToFileURL(file).href)) as {
    comparisons?: Comparison[];
    gauges?: Gauge[];
    /** Stops whatever the file's workloads left running (servers, child processes). */
    teardown?: () => Promise<void>;
  };
  for (const g of mod.gauges ?? []) {
    if (filter && !`${g.id} ${g.title}`.toLowerCase().includes(filter.toLowerCase())) continue;
    const r = await readGauge(g, sampling);
    results.push(r);
    const goal = r.goalAtMost !== null ? ` (goal ≤ ${r.goalAtMost} ${r.unit})` : '';
    console.log(`${r.id.padEnd(5)} ${r.title}  [${relative(root, file)}]`);
    console.log(`      conditions: ${r.conditions}`);
    const all = r.readings.map((x) => x.toFixed(0)).join(', ');
    console.log(
      `      median ${r.median.toFixed(0)} ${r.unit} (readings ${all})${goal} → ${r.verdict}\n`,
    );
  }
  for (const c of mod.comparisons ?? []) {
    if (filter && !`${c.id} ${c.title}`.toLowerCase().includes(filter.toLowerCase())) continue;
    const r = await measure(c, sampling);
    results.push(r);
    const base = r.baseline
      ? `${r.baseline.name}: ${formatRate(r.baseline.opsPerSecond)}`
      : 'no baseline';
    const ratio = r.ratio !== null ? `${r.ratio.toFixed(2)}×` : '—';
    const goal = r.goal !== null ? ` (goal ${r.goal}×, floor ${r.floor ?? '—'}×)` : '';
    console.log(`${r.id.padEnd(5)} ${r.title}  [${relative(root, file)}]`);
    console.log(`      conditions: ${r.conditions}`);
    console.log(`      ${r.subject.name}: ${formatRate(r.subject.opsPerSecond)} | ${base}`);
    console.log(`      ratio ${ratio}${goal} → ${r.verdict}\n`);
  }
  await mod.teardown?.();
}
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const report = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  results,
};
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${relative(root, join(outDir, 'latest.json'))} (${results.length} comparisons)`);

// Every bench file must leave nothing running (see `teardown`). If something still holds
// the event loop, say what and fail, rather than hang the caller (CI runs the benches).
setTimeout(() => {
  console.error(
    `bench: still running 10 s after the last benchmark; open: ${process.getActiveResourcesInfo().join(', ')}`,
  );
  process.exit(1);
}, 10_000).unref();
