/**
 * P6 (PERFORMANCE.md): image size of every example unikernel — the minified one-file
 * ESM image `libos build` makes of examples/<name>/main.ts. Deterministic: every
 * reading is the same; the split per @libos package is printed once per example.
 * Goal for http-server (boot + nic + fatDisk + a static HTTP server): ≤ 64 KB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, formatLinkMap } from '@libos/cli';
import type { Gauge } from '../../../bench/harness.js';

const examples = join(import.meta.dirname, '..', '..', '..', 'examples');
const printed = new Set<string>();

async function imageBytes(name: string): Promise<number> {
  const outDir = await mkdtemp(join(tmpdir(), `libos-p6-${name}-`));
  try {
    const image = await buildImage({ entry: join(examples, name, 'main.ts'), outDir });
    if (!printed.has(name)) {
      printed.add(name);
      console.log(
        `      link map of examples/${name}:\n${formatLinkMap(image).replace(/^/gm, '        ')}`,
      );
    }
    return image.bytes;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

function gauge(name: string, what: string, goalAtMost?: number): Gauge {
  return {
    id: `P6-${name}`,
    title: `Image size: examples/${name} (${what}), minified one-file ESM`,
    conditions: `libos build (esbuild, tree-shaking, minify, platform node, target node20) of examples/${name}/main.ts`,
    unit: 'B',
    read: () => imageBytes(name),
    ...(goalAtMost === undefined ? {} : { goalAtMost }),
  };
}

export const gauges: Gauge[] = [
  gauge('http-server', 'boot + nic + fatDisk + static HTTP server', 64 * 1024),
  gauge('udp-echo', 'boot + nic, UDP echo'),
  gauge('outbound', 'boot + nic, one HTTP request through NAT'),
];
