/**
 * P6 (PERFORMANCE.md): image sizes. `P6-net-only` is the size of the minified one-file
 * ESM image `libos build` makes of a UDP echo app that uses @libos/net only (two stacks
 * on an in-process link; test/fixtures/udp-echo.ts). The build is deterministic, so
 * every reading is the same; the per-package split is printed alongside.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, formatLinkMap } from '@libos/cli';
import type { Gauge } from '../../../bench/harness.js';

const app = join(import.meta.dirname, '..', 'test', 'fixtures', 'udp-echo.ts');

async function imageBytes(): Promise<number> {
  const outDir = await mkdtemp(join(tmpdir(), 'libos-p6-'));
  try {
    const image = await buildImage({ entry: app, outDir });
    if (image.packages['@libos/fs'] !== 0 || image.packages['@libos/virtio'] !== 0) {
      throw new Error(`unexpected packages in the UDP echo image:\n${formatLinkMap(image)}`);
    }
    return image.bytes;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export const gauges: Gauge[] = [
  {
    id: 'P6-net-only',
    title: 'Image size: UDP echo app (@libos/net only), minified one-file ESM',
    conditions:
      'libos build (esbuild, tree-shaking, minify, platform node, target node20) of packages/libos-cli/test/fixtures/udp-echo.ts; bytes of the output file',
    unit: 'B',
    read: imageBytes,
  },
];
