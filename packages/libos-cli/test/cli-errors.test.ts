/**
 * Errors a user can cause: each gives a non-zero exit status and exactly one line on
 * standard error, `libos: <message>`, with no stack trace — and nothing on stdout.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libos } from './run-cli.js';

let work = '';
let tree = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-cli-errors-'));
  tree = join(work, 'tree');
  await mkdir(tree);
  // 300 KiB of file data: more than a 64K image holds, less than the default size.
  await writeFile(join(tree, 'big.bin'), new Uint8Array(300 * 1024).fill(7));
  await writeFile(join(work, 'syntax.ts'), 'export const x = ;\n');
  await writeFile(join(work, 'unresolved.ts'), "import '@libos/no-such-package';\n");
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly args: () => string[];
  readonly status: number;
  readonly message: RegExp;
}

const fixture = join(import.meta.dirname, 'fixtures', 'udp-echo.ts');
const img = () => join(work, 'out.img');

const cases: Case[] = [
  { name: 'no command', args: () => [], status: 2, message: /no command given/ },
  {
    name: 'unknown command',
    args: () => ['frobnicate'],
    status: 2,
    message: /unknown command "frobnicate"/,
  },
  { name: 'unknown global flag', args: () => ['--bogus'], status: 2, message: /--bogus/ },
  {
    name: 'build without entry',
    args: () => ['build'],
    status: 2,
    message: /missing <entry\.ts>/,
  },
  {
    name: 'build: entry missing',
    args: () => ['build', join(work, 'missing.ts')],
    status: 1,
    message: /entry file not found: .*missing\.ts$/,
  },
  {
    name: 'build: entry is a directory',
    args: () => ['build', work],
    status: 1,
    message: /entry is not a file/,
  },
  {
    name: 'build: bad flag',
    args: () => ['build', fixture, '--minify-harder'],
    status: 2,
    message: /unknown option --minify-harder for libos build/,
  },
  {
    name: 'build: --out without value',
    args: () => ['build', fixture, '--out'],
    status: 2,
    message: /option --out needs a value/,
  },
  {
    name: 'build: two entries',
    args: () => ['build', fixture, fixture],
    status: 2,
    message: /unexpected argument/,
  },
  {
    name: 'build: syntax error',
    args: () => ['build', join(work, 'syntax.ts'), '--out', join(work, 'o1')],
    status: 1,
    message: /build failed: .*syntax\.ts:1:\d+: /,
  },
  {
    name: 'build: unresolved import',
    args: () => ['build', join(work, 'unresolved.ts'), '--out', join(work, 'o2')],
    status: 1,
    message: /build failed: .*Could not resolve "@libos\/no-such-package"/,
  },
  {
    name: 'mkimage without image path',
    args: () => ['mkimage', tree],
    status: 2,
    message: /missing <file\.img>/,
  },
  {
    name: 'mkimage: directory missing',
    args: () => ['mkimage', join(work, 'nope'), img()],
    status: 1,
    message: /directory not found: .*nope$/,
  },
  {
    name: 'mkimage: source is a file',
    args: () => ['mkimage', join(tree, 'big.bin'), img()],
    status: 1,
    message: /not a directory/,
  },
  {
    name: 'mkimage: bad size',
    args: () => ['mkimage', tree, img(), '--size', '16Q'],
    status: 2,
    message: /bad size "16Q"/,
  },
  {
    name: 'mkimage: size not a sector multiple',
    args: () => ['mkimage', tree, img(), '--size', '1000'],
    status: 2,
    message: /multiple of 512/,
  },
  {
    name: 'mkimage: unknown file system',
    args: () => ['mkimage', tree, img(), '--fs', 'ext4'],
    status: 2,
    message: /unsupported --fs "ext4"/,
  },
  {
    name: 'mkimage: image too small',
    args: () => ['mkimage', tree, img(), '--size', '64K'],
    status: 1,
    message: /image too small: .* 64K/,
  },
  {
    name: 'mkimage: size too small to format',
    args: () => ['mkimage', tree, img(), '--size', '4K'],
    status: 2,
    message: /cannot format 4K as FAT/,
  },
  {
    name: 'mkimage: bad label',
    args: () => ['mkimage', tree, img(), '--label', 'much too long a label'],
    status: 2,
    message: /label "much too long a label"/,
  },
  {
    name: 'mkimage: output directory missing',
    args: () => ['mkimage', tree, join(work, 'no', 'such', 'dir', 'x.img')],
    status: 1,
    message: /cannot write .*x\.img: ENOENT/,
  },
  {
    name: 'mkimage: image inside its source',
    args: () => ['mkimage', tree, join(tree, 'self.img')],
    status: 2,
    message: /must not be inside the directory/,
  },
];

describe('user errors: one line on stderr, non-zero exit, no stack trace', () => {
  it.concurrent.each(cases)(
    '$name',
    async ({ args, status, message }) => {
      const r = await libos(args());
      expect(r.code).toBe(status);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines.at(-1)).toBe(''); // ends with a newline
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^libos: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    },
    60_000,
  );

  it('leaves no half-built image behind when the files do not fit', async () => {
    const target = join(work, 'partial.img');
    const r = await libos(['mkimage', tree, target, '--size', '128K']);
    expect(r.stderr).toMatch(/^libos: image too small/);
    expect(existsSync(target)).toBe(false);
  }, 60_000);
});

describe('help', () => {
  it('libos --help lists build, mkimage and run', async () => {
    const r = await libos(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: libos <command>/);
    expect(r.stdout).toMatch(/^\s+build <entry\.ts>/m);
    expect(r.stdout).toMatch(/^\s+mkimage <dir> <file\.img>/m);
    expect(r.stdout).toMatch(/^\s+run <entry\.ts\|image\.mjs>/m);
  }, 60_000);

  it.concurrent.each([
    ['build', /^Usage: libos build <entry\.ts> \[--out dir\] \[--no-minify\] \[--json\]/],
    ['mkimage', /^Usage: libos mkimage <dir> <file\.img> \[--size 16M\] \[--fs fat\]/],
    [
      'run',
      /^Usage: libos run <entry\.ts \| image\.mjs> \[--net \.\.\.\]\.\.\. \[--disk file\.img\[,ro\]\]/,
    ],
  ])(
    'libos %s --help',
    async (command, usage) => {
      const r = await libos([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(usage);
    },
    60_000,
  );
});
