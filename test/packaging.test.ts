/**
 * What `npm install @libos/<pkg>` users get: pack every workspace package exactly as
 * `npm publish` would (prepack builds it), install the tarballs into a fresh project
 * outside the repo, and import them from plain Node ESM and from strict TypeScript.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..');
const packageDirs = readdirSync(join(repo, 'packages')).filter((d) => d.startsWith('libos-'));
const names = packageDirs.map((d) => `@libos/${d.slice('libos-'.length)}`);

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

let work = '';
let packed: PackResult[] = [];

const execFileAsync = promisify(execFile);

/**
 * Runs a command without blocking the test worker's event loop (a synchronous call of
 * a minute starves vitest's worker RPC on a loaded machine).
 */
async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const { stdout } = await execFileAsync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  return stdout;
}

/** Runs the repo's tsc in `dir`; returns its diagnostics ('' when the project type-checks). */
async function typeErrors(dir: string): Promise<string> {
  try {
    await run(
      process.execPath,
      [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      dir,
    );
    return '';
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}` || String(e);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'libos-pack-'));
  const json = await run(
    'npm',
    ['pack', '--workspaces', '--json', '--pack-destination', work],
    repo,
  );
  // prepack (tsup) logs to stdout too; npm's JSON array starts on a line of its own.
  const start = json.search(/^\[$/m);
  expect(start, `no JSON in npm pack output:\n${json}`).toBeGreaterThanOrEqual(0);
  packed = JSON.parse(json.slice(start)) as PackResult[];
  const consumer = join(work, 'consumer');
  await run('mkdir', ['-p', consumer], work);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      ...packed.map((p) => join(work, p.filename)),
    ],
    consumer,
  );
}, 600_000); // packs and builds every package (tsup + .d.ts): minutes on a loaded 2-core CI machine

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('published packages', () => {
  it('packs every workspace package', () => {
    expect(packed.map((p) => p.name).sort()).toEqual([...names].sort());
  });

  it.each(packageDirs)(
    '%s tarball holds dist, types, README, LICENSE and nothing from test/',
    (dir) => {
      const p = packed.find((x) => x.name === `@libos/${dir.slice(6)}`)!;
      const files = p.files.map((f) => f.path);
      for (const required of [
        'package.json',
        'README.md',
        'LICENSE',
        'dist/index.js',
        'dist/index.d.ts',
      ]) {
        expect(files, `${p.name} lacks ${required}`).toContain(required);
      }
      expect(files.filter((f) => f.startsWith('test/') || f.startsWith('bench/'))).toEqual([]);
      const manifest = JSON.parse(
        readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8'),
      ) as {
        sideEffects?: boolean;
        exports: Record<string, null | string | Record<string, string>>;
      };
      expect(manifest.sideEffects).toBe(false);
      // Every published entry point (., ./testing, ./node …) ships its JS and its types.
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (target === null || typeof target === 'string') continue;
        for (const condition of ['types', 'import']) {
          const file = target[condition]?.replace(/^\.\//, '');
          expect(file, `${p.name} ${subpath} has no ${condition}`).toBeDefined();
          expect(files, `${p.name} ${subpath} ${condition}`).toContain(file);
        }
      }
    },
  );

  it('imports from plain Node ESM', async () => {
    const script = [
      "import * as virtio from '@libos/virtio';",
      "import * as net from '@libos/net';",
      "import * as fs from '@libos/fs';",
      "import * as mem from '@libos/mem';",
      "import * as sched from '@libos/sched';",
      'const out = {',
      '  queueBytes: virtio.splitQueueLayout(256).descriptorTable.bytes,',
      "  mac: net.formatMacAddress(net.parseMacAddress('52-54-00-AB-CD-EF')),",
      "  sectors: fs.checkBlockRequest({ sectorSize: 512, sectorCount: 8, readOnly: false }, 6, 1024, 'read'),",
      '  memExports: Object.keys(mem).length,',
      '  schedExports: Object.keys(sched).length,',
      '};',
      'console.log(JSON.stringify(out));',
    ].join('\n');
    writeFileSync(join(work, 'consumer', 'main.mjs'), script);
    const out = JSON.parse(
      await run(process.execPath, ['main.mjs'], join(work, 'consumer')),
    ) as Record<string, number | string>;
    expect(out).toMatchObject({ queueBytes: 4096, mac: '52:54:00:ab:cd:ef', sectors: 2 });
    expect(out['memExports']).toBeGreaterThan(0);
    expect(out['schedExports']).toBeGreaterThan(0);
  }, 60_000);

  it('type-checks from strict TypeScript (NodeNext resolution, published .d.ts)', async () => {
    const consumer = join(work, 'consumer');
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          types: [],
        },
        files: ['main.ts'],
      }),
    );
    writeFileSync(
      join(consumer, 'main.ts'),
      [
        "import { type SplitQueueLayout, splitQueueLayout } from '@libos/virtio';",
        "import type { NetDevice } from '@libos/net';",
        "import { type BlockDevice, BlockDeviceError } from '@libos/fs';",
        "import * as mem from '@libos/mem';",
        "import * as sched from '@libos/sched';",
        'const layout: SplitQueueLayout = splitQueueLayout(8);',
        'const bytes: number = layout.usedRing.bytes;',
        'export function mtu(d: NetDevice): number { return d.capabilities.maxTransmitUnit; }',
        'export function size(d: BlockDevice): number { return d.sectorSize * d.sectorCount; }',
        "export const err = new BlockDeviceError('EIO', 'x');",
        'export const all = [bytes, Object.keys(mem).length, Object.keys(sched).length];',
      ].join('\n'),
    );
    expect(await typeErrors(consumer)).toBe('');
    // A type error must be reported, so the check above can fail:
    writeFileSync(
      join(consumer, 'main.ts'),
      "import { splitQueueLayout } from '@libos/virtio';\nexport const n: string = splitQueueLayout(8).queueSize;\n",
    );
    expect(await typeErrors(consumer)).toMatch(/TS2322/);
  }, 120_000);
});
