/**
 * `libos mkimage` against the reference tools: dosfstools' `fsck.fat -n` must find the
 * image clean and mtools must read every file back byte-exact. The tools may be missing
 * on a developer machine (the tests skip, saying so); in CI they are required.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libos } from './run-cli.js';

const execFileAsync = promisify(execFile);
const required = process.env.CI === 'true';
const env = { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8', TZ: 'UTC' };

async function hasTool(name: string): Promise<boolean> {
  try {
    await execFileAsync('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

const tools = ['fsck.fat', 'mcopy', 'mtype', 'mdir'];
const present = (await Promise.all(tools.map(hasTool))).every(Boolean);
if (!present && required) {
  throw new Error(`CI=true but dosfstools or mtools is missing (need ${tools.join(', ')})`);
}
if (!present) console.warn('skipping libos mkimage peer checks: install dosfstools and mtools');

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Host-relative path → content of every file put in the tree. */
const files: Record<string, Uint8Array> = {
  'readme.txt': new TextEncoder().encode('hello from the host\r\nsecond line\n'),
  'Long File Name.html': new TextEncoder().encode('<h1>long names survive</h1>\n'),
  'a/empty.dat': new Uint8Array(0),
  'a/b/notes.md': new TextEncoder().encode('# nested two levels\n'),
  'a/b/c/data.bin': bytes(150_000, 1),
  'a/b/c/one-cluster.bin': bytes(4096, 2),
};

let work = '';
let tree = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-cli-mkimage-'));
  tree = join(work, 'tree');
  for (const [path, content] of Object.entries(files)) {
    const file = join(tree, path);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, content);
  }
  await mkdir(join(tree, 'empty-dir'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function fsck(image: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('fsck.fat', ['-n', image], { env });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (e) {
    const { code, stdout, stderr } = e as { code: number; stdout: string; stderr: string };
    return { code, output: `${stdout}${stderr}` };
  }
}

async function mtools(tool: string, args: string[]): Promise<Uint8Array> {
  const { stdout } = await execFileAsync(tool, args, {
    env,
    encoding: 'buffer',
    maxBuffer: 64 << 20,
  });
  return new Uint8Array(stdout);
}

describe.skipIf(!present)('libos mkimage against fsck.fat and mtools', () => {
  it('builds an image fsck.fat finds clean, with every file readable byte-exact', async () => {
    const image = join(work, 'auto.img');
    const r = await libos(['mkimage', tree, image, '--label', 'LIBOSTEST']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^libos mkimage: .*auto\.img — \d+[KMG]? FAT(12|16|32), 6 files, /);
    const checked = await fsck(image);
    expect(checked.output).not.toMatch(/differ|invalid|lost|free cluster summary wrong/i);
    expect(checked.code).toBe(0);
    for (const [path, content] of Object.entries(files)) {
      // mcopy to stdout: binary-safe.
      const copied = await mtools('mcopy', ['-n', '-i', image, `::/${path}`, '-']);
      expect(Buffer.from(copied).equals(Buffer.from(content)), path).toBe(true);
    }
    const typed = await mtools('mtype', ['-i', image, '::/a/b/notes.md']);
    expect(new TextDecoder().decode(typed)).toBe('# nested two levels\n');
    const listing = new TextDecoder().decode(await mtools('mdir', ['-i', image, '::/']));
    expect(listing).toMatch(/Volume in drive : is LIBOSTEST/);
    expect(listing).toMatch(/Long File Name\.html/);
    expect(listing).toMatch(/empty-dir/);
  }, 120_000);

  it.each([
    ['16M', 'fat', 16 << 20, /FAT1[26]/],
    ['2M', 'fat12', 2 << 20, /FAT12/],
    ['64M', 'fat32', 64 << 20, /FAT32/],
  ])(
    '--size %s --fs %s gives an image of exactly that size',
    async (size, fs, bytes, kind) => {
      const image = join(work, `${fs}-${size}.img`);
      const r = await libos(['mkimage', tree, image, '--size', size, '--fs', fs]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`— ${size} ${kind.source},`));
      expect((await stat(image)).size).toBe(bytes);
      expect((await fsck(image)).code).toBe(0);
      const data = await mtools('mcopy', ['-n', '-i', image, '::/a/b/c/data.bin', '-']);
      expect(Buffer.from(data).equals(Buffer.from(files['a/b/c/data.bin']!))).toBe(true);
    },
    120_000,
  );
});
