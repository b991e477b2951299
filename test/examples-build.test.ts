/**
 * Every example unikernel builds with `libos build` into one image that links only
 * what it declares: the disk-less ones carry no byte of @libos/fs, and none carries a
 * device type it does not declare (no virtio-blk code without a disk).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '@libos/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const examples = join(import.meta.dirname, '..', 'examples');
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'libos-examples-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe.each([
  { name: 'http-server', fs: true },
  { name: 'udp-echo', fs: false },
  { name: 'outbound', fs: false },
])('examples/$name', ({ name, fs }) => {
  it(`builds into one image${fs ? '' : ' with no @libos/fs'}`, async () => {
    const image = await buildImage({
      entry: join(examples, name, 'main.ts'),
      outDir: join(out, name),
    });
    expect(image.packages['@libos/boot']).toBeGreaterThan(0);
    expect(image.packages['@libos/net']).toBeGreaterThan(0);
    expect(image.packages['@libos/virtio']).toBeGreaterThan(0);
    if (fs) expect(image.packages['@libos/fs']).toBeGreaterThan(0);
    else expect(image.notLinked).toContain('@libos/fs');
    const code = await readFile(image.outputFile, 'utf8');
    // The virtio-blk driver's messages appear only in images that declare a disk.
    expect(code.includes('virtio-blk')).toBe(fs);
  }, 60_000);
});
