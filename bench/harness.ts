/**
 * The benchmark harness behind `npm run bench` (see PERFORMANCE.md).
 *
 * A benchmark is a {@link Comparison}: a subject and, almost always, a baseline measured
 * in the same run. Samples of subject and baseline are interleaved so that machine noise
 * hits both alike; the reported figure is the ratio of their median throughputs.
 */

/** One measured workload: `run()` performs `ops` operations. */
export interface Workload {
  /** What is measured, e.g. `TimerWheel arm+cancel`. */
  readonly name: string;
  /** Operations performed by one call of `run`. */
  readonly ops: number;
  /** Optional per-sample setup, not timed. */
  readonly setup?: () => void | Promise<void>;
  /** Performs `ops` operations. */
  readonly run: () => void | Promise<void>;
}

/** A subject measured against a baseline in the same process and run. */
export interface Comparison {
  /** Stable id, e.g. `P8`, used as the key in the JSON results. */
  readonly id: string;
  /** One line saying what is compared. */
  readonly title: string;
  /** Conditions that matter to the figure (sizes, counts, modes). */
  readonly conditions: string;
  readonly subject: Workload;
  /** The reference; omitted only for absolute figures with no meaningful baseline. */
  readonly baseline?: Workload;
  /** The ratio (subject ops/s ÷ baseline ops/s) the project aims for. */
  readonly goal?: number;
  /** The ratio below which the benchmark counts as a regression. */
  readonly floor?: number;
}

/**
 * A figure that is not a rate: a quantity read once per sample (e.g. bytes of memory
 * per idle connection), reported as the median, lower is better. Used where a
 * PERFORMANCE.md goal is an absolute bound rather than a ratio to a baseline.
 */
export interface Gauge {
  /** Stable id, e.g. `P10`. */
  readonly id: string;
  /** One line saying what is read. */
  readonly title: string;
  /** Conditions that matter to the figure. */
  readonly conditions: string;
  /** Unit of the reading, e.g. `B/connection`. */
  readonly unit: string;
  /** Takes one reading (setup included; only the returned value counts). */
  readonly read: () => Promise<number>;
  /** The bound the project aims for (reading ≤ goal). */
  readonly goalAtMost?: number;
}

/** What one gauge read. */
export interface GaugeResult {
  readonly id: string;
  readonly title: string;
  readonly conditions: string;
  readonly unit: string;
  readonly median: number;
  readonly readings: readonly number[];
  readonly goalAtMost: number | null;
  readonly verdict: 'meets goal' | 'misses goal' | 'absolute';
}

/** Reads a gauge `samples` times (after warm-ups) and reports the median. */
export async function readGauge(g: Gauge, o: SamplingOptions): Promise<GaugeResult> {
  const readings: number[] = [];
  const count = Math.max(1, Math.ceil(o.samples / 3));
  for (let i = 0; i < Math.min(o.warmupSamples, 1) + count; i++) {
    const value = await g.read();
    if (i >= Math.min(o.warmupSamples, 1)) readings.push(value);
  }
  const m = median(readings);
  let verdict: GaugeResult['verdict'] = 'absolute';
  if (g.goalAtMost !== undefined) verdict = m <= g.goalAtMost ? 'meets goal' : 'misses goal';
  return {
    id: g.id,
    title: g.title,
    conditions: g.conditions,
    unit: g.unit,
    median: m,
    readings,
    goalAtMost: g.goalAtMost ?? null,
    verdict,
  };
}

/** What one comparison measured. */
export interface ComparisonResult {
  readonly id: string;
  readonly title: string;
  readonly conditions: string;
  readonly subject: { readonly name: string; readonly opsPerSecond: number };
  readonly baseline: { readonly name: string; readonly opsPerSecond: number } | null;
  readonly ratio: number | null;
  readonly goal: number | null;
  readonly floor: number | null;
  readonly verdict: 'meets goal' | 'above floor' | 'below floor' | 'absolute';
}

/** Sampling parameters. */
export interface SamplingOptions {
  readonly warmupSamples: number;
  readonly samples: number;
}

const now = (): number => performance.now();

async function sampleOnce(w: Workload): Promise<number> {
  if (w.setup) await w.setup();
  const t0 = now();
  const r = w.run();
  if (r) await r;
  const ms = now() - t0;
  return (w.ops / Math.max(ms, 1e-6)) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Measures one comparison: warm-up, then interleaved samples, medians and ratio. */
export async function measure(c: Comparison, o: SamplingOptions): Promise<ComparisonResult> {
  const subj: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < o.warmupSamples + o.samples; i++) {
    const s = await sampleOnce(c.subject);
    const b = c.baseline ? await sampleOnce(c.baseline) : 0;
    if (i >= o.warmupSamples) {
      subj.push(s);
      base.push(b);
    }
  }
  const subjectOps = median(subj);
  const baselineOps = c.baseline ? median(base) : null;
  const ratio = baselineOps ? subjectOps / baselineOps : null;
  let verdict: ComparisonResult['verdict'] = 'absolute';
  if (ratio !== null) {
    if (c.goal !== undefined && ratio >= c.goal) verdict = 'meets goal';
    else if (c.floor === undefined || ratio >= c.floor) verdict = 'above floor';
    else verdict = 'below floor';
  }
  return {
    id: c.id,
    title: c.title,
    conditions: c.conditions,
    subject: { name: c.subject.name, opsPerSecond: subjectOps },
    baseline:
      c.baseline && baselineOps !== null
        ? { name: c.baseline.name, opsPerSecond: baselineOps }
        : null,
    ratio,
    goal: c.goal ?? null,
    floor: c.floor ?? null,
    verdict,
  };
}

/** Formats ops/s with an SI suffix, e.g. `12.3 M/s`. */
export function formatRate(opsPerSecond: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (opsPerSecond >= scale) return `${(opsPerSecond / scale).toFixed(2)} ${suffix}/s`;
  }
  return `${opsPerSecond.toFixed(1)} /s`;
}
