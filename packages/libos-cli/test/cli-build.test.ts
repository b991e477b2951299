/**
 * `libos build` and `buildImage`: one ESM file per app, tree-shaken and minified, with a
 * link map that names exactly the @libos packages the app pulled in; the image runs on
 * plain Node and exits by itself.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildImageResult, buildImage, OTHER } from '@libos/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libos, repo, run } from './run-cli.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const udpEcho = join(fixtures, 'udp-echo.ts');
const fsApp = join(fixtures, 'fs-app.ts');

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-cli-build-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Checks the invariants every link map keeps, whatever the app. */
async function expectConsistent(map: BuildImageResult): Promise<void> {
  expect((await stat(map.outputFile)).size).toBe(map.bytes);
  const sum = Object.values(map.packages).reduce((a, b) => a + b, 0);
  expect(sum).toBe(map.bytes);
  for (const name of map.notLinked) expect(map.packages[name]).toBe(0);
  for (const [name, bytes] of Object.entries(map.packages)) {
    if (name !== OTHER && bytes === 0) expect(map.notLinked).toContain(name);
  }
  expect(map.packages[OTHER]).toBeGreaterThan(0);
}

describe('libos build (CLI)', () => {
  it('links @libos/net and @libos/sched only for a UDP echo app, and the image runs', async () => {
    const out = join(work, 'udp');
    const built = await libos(['build', udpEcho, '--out', out, '--json']);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const map = JSON.parse(built.stdout) as BuildImageResult;
    expect(map.outputFile).toBe(join(out, 'udp-echo.mjs'));
    expect(map.packages['@libos/net']).toBeGreaterThan(10_000);
    expect(map.packages['@libos/sched']).toBeGreaterThan(0);
    expect(map.packages['@libos/fs']).toBe(0);
    expect(map.packages['@libos/virtio']).toBe(0);
    expect(map.notLinked).toEqual(expect.arrayContaining(['@libos/fs', '@libos/virtio']));
    expect(map.notLinked).not.toContain('@libos/net');
    expect(map.notLinked).not.toContain('@libos/sched');
    // The CLI is a host tool, never part of an app's link map.
    expect(Object.keys(map.packages)).not.toContain('@libos/cli');
    await expectConsistent(map);

    const source = await readFile(map.outputFile, 'utf8');
    expect(source).not.toMatch(/^#!|require\(/m);
    expect(source.split('\n').length).toBeLessThan(5); // minified

    const ran = await run(process.execPath, [map.outputFile], { cwd: work, timeoutMs: 30_000 });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('echo: ping over libos\n');
  }, 120_000);

  it('prints the link map as a table: per package, other, not linked, total', async () => {
    const out = join(work, 'table');
    const built = await libos(['build', udpEcho, '-o', out]);
    expect(built.code).toBe(0);
    const lines = built.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`libos build: ${join(out, 'udp-echo.mjs')}`);
    const bytes = (await stat(join(out, 'udp-echo.mjs'))).size;
    expect(lines.at(-1)).toMatch(new RegExp(`^\\s+${bytes} B  total$`));
    expect(lines[1]).toMatch(/^\s+\d+ B {2}@libos\/net$/); // largest first
    expect(lines).toContainEqual(expect.stringMatching(/^\s+[1-9]\d* B {2}@libos\/sched$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+\d+ B {2}other$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+0 B {2}@libos\/fs — not linked$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+0 B {2}@libos\/virtio — not linked$/));
  }, 120_000);

  it('--no-minify writes a larger, readable image with the same packages linked', async () => {
    const [minified, readable] = await Promise.all([
      libos(['build', udpEcho, '--out', join(work, 'cli-min'), '--json']),
      libos(['build', udpEcho, '--out', join(work, 'cli-nomin'), '--no-minify', '--json']),
    ]);
    expect(readable.code).toBe(0);
    const small = JSON.parse(minified.stdout) as BuildImageResult;
    const large = JSON.parse(readable.stdout) as BuildImageResult;
    expect(large.bytes).toBeGreaterThan(small.bytes * 1.3);
    expect(await readFile(large.outputFile, 'utf8')).toMatch(/\n {2}\S/); // indented lines
    expect(large.notLinked).toEqual(small.notLinked);
    await expectConsistent(large);
  }, 120_000);
});

describe('buildImage (API)', () => {
  it('links @libos/fs for an app that uses it, and not @libos/net', async () => {
    const map = await buildImage({ entry: fsApp, outDir: join(work, 'fs'), cwd: repo });
    expect(map.outputFile).toBe(join(work, 'fs', 'fs-app.mjs'));
    expect(map.packages['@libos/fs']).toBeGreaterThan(10_000);
    expect(map.notLinked).toContain('@libos/net');
    expect(map.notLinked).not.toContain('@libos/fs');
    await expectConsistent(map);
    const ran = await run(process.execPath, [map.outputFile], { cwd: work, timeoutMs: 30_000 });
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('fs: hello from FAT\n');
  }, 120_000);

  it('minifies by default; minify: false keeps a larger, readable file', async () => {
    const small = await buildImage({ entry: udpEcho, outDir: join(work, 'min') });
    const large = await buildImage({ entry: udpEcho, outDir: join(work, 'nomin'), minify: false });
    expect(large.bytes).toBeGreaterThan(small.bytes * 1.3);
    expect(await readFile(large.outputFile, 'utf8')).toContain('createStack');
    // The same packages are linked either way.
    expect(large.notLinked).toEqual(small.notLinked);
  }, 120_000);
});
