/**
 * The same sequence of calls on a real tmp directory through node:fs/promises and on a
 * libos FileSystem over a MemoryVolume: results, error codes, syscalls, paths and
 * messages must match.
 */
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileSystem,
  FsError,
  formatFat,
  ManualWallClock,
  MemoryVolume,
  mountFat,
  RamDisk,
} from '@libos/fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The calls both APIs share, typed loosely enough for both. */
interface Handle {
  read(
    buffer: Uint8Array,
    offset?: number,
    length?: number,
    position?: number | null,
  ): Promise<{ bytesRead: number }>;
  write(data: Uint8Array | string, ...rest: (number | null)[]): Promise<{ bytesWritten: number }>;
  readFile(options?: 'utf8'): Promise<Uint8Array | string>;
  writeFile(data: Uint8Array | string): Promise<void>;
  truncate(length?: number): Promise<void>;
  stat(): Promise<{ size: number; isFile(): boolean; isDirectory(): boolean }>;
  close(): Promise<void>;
}
interface Api {
  readFile(path: string, options?: 'utf8'): Promise<Uint8Array | string>;
  writeFile(path: string, data: Uint8Array | string, options?: { flag?: string }): Promise<void>;
  appendFile(path: string, data: Uint8Array | string): Promise<void>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<string | undefined>;
  readdir(
    path: string,
    options?: { withFileTypes?: boolean; recursive?: boolean },
  ): Promise<unknown[]>;
  stat(path: string): Promise<{ size: number; isFile(): boolean; isDirectory(): boolean }>;
  lstat(path: string): Promise<{ size: number; isFile(): boolean; isDirectory(): boolean }>;
  access(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  truncate(path: string, length?: number): Promise<void>;
  utimes(path: string, atime: number | Date, mtime: number | Date): Promise<void>;
  open(path: string, flags?: string): Promise<Handle>;
}

type Step = readonly [string, (fs: Api, p: (path: string) => string) => Promise<unknown>];

const bytes = (s: string) => new TextEncoder().encode(s);

async function withHandle(h: Handle, f: (h: Handle) => Promise<unknown>): Promise<unknown> {
  try {
    return await f(h);
  } finally {
    await h.close();
  }
}

const steps: Step[] = [
  ['writeFile new', (fs, p) => fs.writeFile(p('/a.txt'), 'hello')],
  ['readFile utf8', (fs, p) => fs.readFile(p('/a.txt'), 'utf8')],
  ['readFile bytes', (fs, p) => fs.readFile(p('/a.txt'))],
  ['appendFile', (fs, p) => fs.appendFile(p('/a.txt'), bytes(' world'))],
  ['appendFile creates', (fs, p) => fs.appendFile(p('/new.log'), 'x')],
  ['readFile after append', (fs, p) => fs.readFile(p('/a.txt'), 'utf8')],
  ['writeFile wx exists', (fs, p) => fs.writeFile(p('/a.txt'), 'x', { flag: 'wx' })],
  ['writeFile wx new', (fs, p) => fs.writeFile(p('/b.txt'), 'bee', { flag: 'wx' })],
  ['readFile missing', (fs, p) => fs.readFile(p('/missing'))],
  ['readFile through file', (fs, p) => fs.readFile(p('/a.txt/x'))],
  ['readFile trailing slash on file', (fs, p) => fs.readFile(p('/a.txt/'))],
  ['stat trailing slash on file', (fs, p) => fs.stat(p('/a.txt/'))],
  ['unlink file with trailing slash', (fs, p) => fs.unlink(p('/a.txt/'))],
  ['utimes file with trailing slash', (fs, p) => fs.utimes(p('/a.txt/'), 1, 1)],
  ['rm file with trailing slash', (fs, p) => fs.rm(p('/a.txt/'))],
  ['rename file with trailing slash', (fs, p) => fs.rename(p('/a.txt/'), p('/z'))],
  ['rename file to a trailing slash', (fs, p) => fs.rename(p('/a.txt'), p('/z/'))],
  ['writeFile missing parent', (fs, p) => fs.writeFile(p('/no/x'), 'x')],
  ['writeFile new with trailing slash', (fs, p) => fs.writeFile(p('/new/'), 'x')],
  ['mkdir', (fs, p) => fs.mkdir(p('/d'))],
  ['mkdir exists', (fs, p) => fs.mkdir(p('/d'))],
  ['mkdir over file', (fs, p) => fs.mkdir(p('/a.txt'))],
  ['mkdir missing parent', (fs, p) => fs.mkdir(p('/x/y'))],
  ['mkdir recursive new', (fs, p) => fs.mkdir(p('/r1/r2/r3'), { recursive: true })],
  ['mkdir recursive partly there', (fs, p) => fs.mkdir(p('/r1/r2/r4/r5/'), { recursive: true })],
  ['mkdir recursive exists', (fs, p) => fs.mkdir(p('/r1/r2'), { recursive: true })],
  ['mkdir recursive over file', (fs, p) => fs.mkdir(p('/a.txt'), { recursive: true })],
  ['mkdir recursive through file', (fs, p) => fs.mkdir(p('/a.txt/q/r'), { recursive: true })],
  ['writeFile directory', (fs, p) => fs.writeFile(p('/d'), 'x')],
  ['appendFile directory', (fs, p) => fs.appendFile(p('/d'), 'x')],
  ['readFile directory', (fs, p) => fs.readFile(p('/d'))],
  ['writeFile in dir', (fs, p) => fs.writeFile(p('/d/inner.bin'), new Uint8Array([0, 1, 2, 255]))],
  ['readdir names', (fs, p) => fs.readdir(p('/'))],
  ['readdir withFileTypes', (fs, p) => fs.readdir(p('/d'), { withFileTypes: true })],
  ['readdir recursive', (fs, p) => fs.readdir(p('/'), { recursive: true })],
  [
    'readdir recursive withFileTypes',
    (fs, p) => fs.readdir(p('/r1'), { recursive: true, withFileTypes: true }),
  ],
  ['readdir trailing slash', (fs, p) => fs.readdir(p('/d/'))],
  ['readdir missing', (fs, p) => fs.readdir(p('/missing'))],
  ['readdir file', (fs, p) => fs.readdir(p('/a.txt'))],
  ['stat file', (fs, p) => fs.stat(p('/a.txt'))],
  ['stat dir', (fs, p) => fs.stat(p('/d'))],
  ['stat dotted', (fs, p) => fs.stat(p('/d/../d/./inner.bin'))],
  ['stat missing', (fs, p) => fs.stat(p('/missing'))],
  ['lstat missing', (fs, p) => fs.lstat(p('/missing'))],
  ['access missing', (fs, p) => fs.access(p('/missing'))],
  ['access file', (fs, p) => fs.access(p('/a.txt'))],
  ['rename missing', (fs, p) => fs.rename(p('/missing'), p('/x'))],
  ['rename file over dir', (fs, p) => fs.rename(p('/a.txt'), p('/d'))],
  ['rename dir over file', (fs, p) => fs.rename(p('/d'), p('/a.txt'))],
  ['rename into own subtree', (fs, p) => fs.rename(p('/r1'), p('/r1/r2/inside'))],
  ['writeFile deep', (fs, p) => fs.writeFile(p('/r1/r2/r3/f'), 'f')],
  ['rename file onto its parent dir', (fs, p) => fs.rename(p('/r1/r2/r3/f'), p('/r1/r2/r3'))],
  ['rename file onto an ancestor dir', (fs, p) => fs.rename(p('/r1/r2/r3/f'), p('/r1'))],
  ['rename dir onto its parent dir', (fs, p) => fs.rename(p('/r1/r2/r3'), p('/r1/r2'))],
  ['rename dir over non-empty dir', (fs, p) => fs.rename(p('/d'), p('/r1'))],
  ['rename to missing parent', (fs, p) => fs.rename(p('/a.txt'), p('/nowhere/a'))],
  ['rename file replaces file', (fs, p) => fs.rename(p('/b.txt'), p('/new.log'))],
  ['readFile replaced', (fs, p) => fs.readFile(p('/new.log'), 'utf8')],
  ['rename same path', (fs, p) => fs.rename(p('/a.txt'), p('/a.txt'))],
  ['mkdir empty target', (fs, p) => fs.mkdir(p('/empty'))],
  ['rename dir over empty dir', (fs, p) => fs.rename(p('/d'), p('/empty'))],
  ['readdir after renames', (fs, p) => fs.readdir(p('/'))],
  ['rename across dirs', (fs, p) => fs.rename(p('/empty/inner.bin'), p('/r1/r2/moved.bin'))],
  ['readFile moved', (fs, p) => fs.readFile(p('/r1/r2/moved.bin'))],
  ['rmdir non-empty', (fs, p) => fs.rmdir(p('/r1'))],
  ['rmdir file', (fs, p) => fs.rmdir(p('/a.txt'))],
  ['rmdir missing', (fs, p) => fs.rmdir(p('/missing'))],
  ['rmdir empty', (fs, p) => fs.rmdir(p('/empty'))],
  ['unlink dir', (fs, p) => fs.unlink(p('/r1'))],
  ['unlink missing', (fs, p) => fs.unlink(p('/missing'))],
  ['rm missing', (fs, p) => fs.rm(p('/missing'))],
  ['rm missing force', (fs, p) => fs.rm(p('/missing'), { force: true })],
  ['rm file', (fs, p) => fs.rm(p('/new.log'))],
  ['rm tree', (fs, p) => fs.rm(p('/r1'), { recursive: true })],
  ['readdir after rm', (fs, p) => fs.readdir(p('/'))],
  ['truncate grow', (fs, p) => fs.truncate(p('/a.txt'), 20)],
  ['read truncated', (fs, p) => fs.readFile(p('/a.txt'))],
  ['truncate shrink', (fs, p) => fs.truncate(p('/a.txt'), 3)],
  ['truncate default', (fs, p) => fs.truncate(p('/a.txt'))],
  ['truncate missing', (fs, p) => fs.truncate(p('/missing'))],
  ['utimes missing', (fs, p) => fs.utimes(p('/missing'), 1, 1)],
  [
    'utimes then stat',
    async (fs, p) => {
      await fs.utimes(p('/a.txt'), 1_000_000, new Date(5_000));
      const s = (await fs.stat(p('/a.txt'))) as unknown as { atimeMs: number; mtimeMs: number };
      return [s.atimeMs, s.mtimeMs];
    },
  ],
  ['open missing', (fs, p) => fs.open(p('/missing'))],
  ['open wx exists', (fs, p) => fs.open(p('/a.txt'), 'wx')],
  ['open dir for writing', (fs, p) => fs.open(p('/'), 'w')],
  [
    'handle: w+ write, positional read, current position',
    async (fs, p) =>
      withHandle(await fs.open(p('/h.bin'), 'w+'), async (h) => {
        const out: unknown[] = [];
        out.push(await h.write(bytes('abcdef')));
        out.push(await h.write(bytes('XY'), 0, 2, 1));
        const buf = new Uint8Array(10);
        out.push(await h.read(buf, 0, 10, 0), [...buf]);
        out.push(await h.read(buf, 2, 3, null));
        out.push(await h.write('tail'));
        out.push(await h.stat());
        out.push(await h.read(buf, 0, 4, 100));
        return out;
      }),
  ],
  [
    'handle: a+ appends whatever the position',
    async (fs, p) =>
      withHandle(await fs.open(p('/h.bin'), 'a+'), async (h) => {
        await h.write(bytes('12'), 0, 2, 0);
        await h.write('34', 1);
        const buf = new Uint8Array(4);
        return [await h.read(buf, 0, 4, null), [...buf], await h.readFile('utf8')];
      }),
  ],
  [
    'handle: readFile from current position, writeFile at it',
    async (fs, p) =>
      withHandle(await fs.open(p('/h.bin'), 'r+'), async (h) => {
        await h.read(new Uint8Array(3), 0, 3, null);
        const rest = await h.readFile('utf8');
        await h.writeFile('!');
        return [rest, await fs.readFile(p('/h.bin'), 'utf8')];
      }),
  ],
  [
    'handle: write on read-only',
    async (fs, p) => withHandle(await fs.open(p('/h.bin'), 'r'), (h) => h.write(bytes('x'))),
  ],
  [
    'handle: read on write-only',
    async (fs, p) =>
      withHandle(await fs.open(p('/h.bin'), 'a'), (h) => h.read(new Uint8Array(1), 0, 1, 0)),
  ],
  [
    'handle: truncate on read-only',
    async (fs, p) => withHandle(await fs.open(p('/h.bin'), 'r'), (h) => h.truncate(1)),
  ],
  [
    'handle: read a directory',
    async (fs, p) => withHandle(await fs.open(p('/'), 'r'), (h) => h.readFile()),
  ],
  [
    'handle: stat a directory',
    async (fs, p) =>
      withHandle(await fs.open(p('/'), 'r'), async (h) => (await h.stat()).isDirectory()),
  ],
  [
    'handle: close twice',
    async (fs, p) => {
      const h = await fs.open(p('/h.bin'), 'r');
      await h.close();
      await h.close();
      return 'closed';
    },
  ],
  [
    'handle: read after close',
    async (fs, p) => {
      const h = await fs.open(p('/h.bin'), 'r');
      await h.close();
      return h.read(new Uint8Array(1), 0, 1, 0);
    },
  ],
  [
    'handle: truncate through r+',
    async (fs, p) =>
      withHandle(await fs.open(p('/h.bin'), 'r+'), async (h) => {
        await h.truncate(2);
        return [await h.readFile('utf8'), (await h.stat()).size];
      }),
  ],
  ['open ax exists', (fs, p) => fs.open(p('/h.bin'), 'ax')],
  [
    'open wx+ new, write, read back',
    async (fs, p) =>
      withHandle(await fs.open(p('/wx.bin'), 'wx+'), async (h) => {
        await h.write('abc');
        const buf = new Uint8Array(3);
        return [await h.read(buf, 0, 3, 0), [...buf]];
      }),
  ],
  [
    'open r+ keeps contents',
    async (fs, p) =>
      withHandle(await fs.open(p('/wx.bin'), 'r+'), async (h) => {
        await h.write('X', 1);
        return h.readFile('utf8');
      }),
  ],
  [
    'open ax+ new then append',
    async (fs, p) =>
      withHandle(await fs.open(p('/ax.bin'), 'ax+'), async (h) => {
        await h.write('12');
        await h.write('34', 0);
        return [await h.readFile('utf8'), (await h.stat()).size];
      }),
  ],
  ['open r on a missing parent', (fs, p) => fs.open(p('/nope/x'), 'r')],
  ['open w through a file', (fs, p) => fs.open(p('/wx.bin/x'), 'w')],
  [
    'open w truncates',
    async (fs, p) => {
      await (await fs.open(p('/h.bin'), 'w')).close();
      return fs.readFile(p('/h.bin'));
    },
  ],
];

type Outcome = { ok: unknown } | { error: Record<string, unknown> };

function summarise(value: unknown, strip: (s: string) => string): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (typeof value === 'string') return strip(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => summarise(v, strip));
    // Directory order is the file system's own; compare as sets.
    return value.every((v) => typeof v === 'string' || isDirent(v))
      ? items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
      : items;
  }
  if (isDirent(value)) {
    return {
      name: value.name,
      parentPath: strip(value.parentPath),
      file: value.isFile(),
      dir: value.isDirectory(),
    };
  }
  if (value !== null && typeof value === 'object' && 'isFile' in value && 'size' in value) {
    const s = value as { size: number; isFile(): boolean; isDirectory(): boolean };
    return { size: s.isFile() ? s.size : 'dir', file: s.isFile(), dir: s.isDirectory() };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'buffer') out[k] = summarise(v, strip);
    return out;
  }
  return value;
}

function isDirent(
  v: unknown,
): v is { name: string; parentPath: string; isFile(): boolean; isDirectory(): boolean } {
  return v !== null && typeof v === 'object' && 'parentPath' in v && 'name' in v;
}

async function run(fs: Api, p: (path: string) => string, strip: (s: string) => string) {
  const outcomes: [string, Outcome][] = [];
  for (const [name, step] of steps) {
    try {
      const r = await step(fs, p);
      // A handle left open by a step that returns one is closed here.
      if (r !== null && typeof r === 'object' && 'close' in r && 'fd' in r) {
        await (r as unknown as Handle).close();
        outcomes.push([name, { ok: 'a handle' }]);
      } else {
        outcomes.push([name, { ok: summarise(r, strip) }]);
      }
    } catch (e) {
      const err = e as {
        code?: string;
        syscall?: string;
        path?: string;
        dest?: string;
        message: string;
      };
      outcomes.push([
        name,
        {
          error: {
            code: err.code,
            syscall: err.syscall,
            path: err.path === undefined ? undefined : strip(err.path),
            dest: err.dest === undefined ? undefined : strip(err.dest),
            // Node says "file closed" for calls on a closed FileHandle; libos the strerror text.
            message:
              err.message === 'file closed'
                ? `EBADF: bad file descriptor, ${err.syscall}`
                : strip(err.message).split(' (')[0],
          },
        },
      ]);
    }
  }
  return outcomes;
}

let dir = '';
let fatDir = '';
beforeAll(async () => {
  dir = await nodeFs.mkdtemp(join(tmpdir(), 'libos-fs-parity-'));
  fatDir = await nodeFs.mkdtemp(join(tmpdir(), 'libos-fs-parity-fat-'));
});
afterAll(async () => {
  if (dir) await nodeFs.rm(dir, { recursive: true, force: true });
  if (fatDir) await nodeFs.rm(fatDir, { recursive: true, force: true });
});

describe('node:fs/promises parity', () => {
  it('the same calls give the same results and errors', async () => {
    const nodeOutcomes = await run(
      nodeFs as unknown as Api,
      (path) => (path === '/' ? `${dir}/` : `${dir}${path}`),
      (s) => s.replaceAll(dir, '').replace(/^$/, '/'),
    );
    const libos = createFileSystem();
    libos.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
    const libosOutcomes = await run(
      libos as unknown as Api,
      (path) => path,
      (s) => s,
    );
    expect(libosOutcomes.length).toBe(steps.length);
    for (let i = 0; i < steps.length; i++) {
      const [name] = steps[i] as Step;
      const ours = libosOutcomes[i]?.[1];
      const theirs = nodeOutcomes[i]?.[1];
      expect(ours, name).toEqual(theirs);
    }
  });

  it('FileSystem over a FAT volume gives the same results too (except times FAT cannot hold)', async () => {
    const nodeOutcomes = await run(
      nodeFs as unknown as Api,
      (path) => (path === '/' ? `${fatDir}/` : `${fatDir}${path}`),
      (s) => s.replaceAll(fatDir, '').replace(/^$/, '/'),
    );
    const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
    const disk = new RamDisk({ sectorCount: 32 * 2048 });
    await formatFat(disk, { clock });
    const libos = createFileSystem();
    libos.mount('/', await mountFat(disk, { clock }));
    const libosOutcomes = await run(
      libos as unknown as Api,
      (path) => path,
      (s) => s,
    );
    for (let i = 0; i < steps.length; i++) {
      const [name] = steps[i] as Step;
      // FAT keeps no dates before 1980 and access times only to the day.
      if (name === 'utimes then stat') continue;
      expect(libosOutcomes[i]?.[1], name).toEqual(nodeOutcomes[i]?.[1]);
    }
  });

  it('errors are FsErrors with the errno Node reports', async () => {
    const libos = createFileSystem();
    libos.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
    const ours = await libos.stat('/missing').catch((e: unknown) => e);
    const theirs = await nodeFs.stat(join(dir, 'missing')).catch((e: unknown) => e);
    expect(ours).toBeInstanceOf(FsError);
    expect((ours as FsError).errno).toBe((theirs as { errno: number }).errno);
  });
});

describe('node:fs/promises parity, random call sequences (property)', () => {
  const names = ['/a', '/b', '/a/b', '/a/c', '/b/a', '/a/b/c', '/c/'];
  const name = fc.constantFrom(...names);
  const op = fc.oneof(
    fc.tuple(fc.constant('writeFile'), name, fc.integer({ min: 0, max: 5000 })),
    fc.tuple(fc.constant('appendFile'), name, fc.integer({ min: 0, max: 300 })),
    fc.tuple(fc.constant('mkdir'), name, fc.boolean()),
    fc.tuple(fc.constant('rmdir'), name),
    fc.tuple(fc.constant('unlink'), name),
    fc.tuple(fc.constant('rm'), name, fc.boolean()),
    fc.tuple(fc.constant('rename'), name, name),
    fc.tuple(fc.constant('truncate'), name, fc.integer({ min: 0, max: 6000 })),
    fc.tuple(fc.constant('readFile'), name),
    fc.tuple(fc.constant('readdir'), name),
    fc.tuple(fc.constant('stat'), name),
  );

  async function apply(
    fs: Api,
    p: (s: string) => string,
    o: (string | number | boolean)[],
  ): Promise<unknown> {
    const [kind, x, y] = o as [string, string, string | number | boolean];
    switch (kind) {
      case 'writeFile':
        return fs.writeFile(p(x), new Uint8Array(y as number).fill((y as number) & 0xff));
      case 'appendFile':
        return fs.appendFile(p(x), new Uint8Array(y as number).fill(7));
      case 'mkdir':
        return fs.mkdir(p(x), { recursive: y as boolean });
      case 'rmdir':
        return fs.rmdir(p(x));
      case 'unlink':
        return fs.unlink(p(x));
      case 'rm':
        return fs.rm(p(x), { recursive: y as boolean });
      case 'rename':
        return fs.rename(p(x), p(y as string));
      case 'truncate':
        return fs.truncate(p(x), y as number);
      case 'readFile': {
        const data = (await fs.readFile(p(x))) as Uint8Array;
        return { length: data.length, sum: data.reduce((s, b) => s + b, 0) };
      }
      case 'readdir':
        return fs.readdir(p(x), { recursive: true });
      default:
        return fs.stat(p(x));
    }
  }

  function outcome(r: PromiseSettledResult<unknown>, strip: (s: string) => string): unknown {
    if (r.status === 'rejected') {
      const e = r.reason as { code?: string; syscall?: string; path?: string; dest?: string };
      return {
        code: e.code,
        syscall: e.syscall,
        path: e.path && strip(e.path),
        dest: e.dest && strip(e.dest),
      };
    }
    return summarise(r.value, strip);
  }

  it('the same random calls give the same outcomes', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const host = join(dir, `prop-${run++}`);
        await nodeFs.mkdir(host);
        const strip = (s: string) => s.replaceAll(host, '').replace(/^$/, '/');
        const libos = createFileSystem();
        libos.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
        try {
          for (const o of ops) {
            const theirs = outcome(
              (
                await Promise.allSettled([apply(nodeFs as unknown as Api, (s) => `${host}${s}`, o)])
              )[0]!,
              strip,
            );
            const ours = outcome(
              (await Promise.allSettled([apply(libos as unknown as Api, (s) => s, o)]))[0]!,
              (s) => s,
            );
            // rm of a directory without recursive: Node's code is ERR_FS_EISDIR, ours EISDIR.
            if ((theirs as { code?: string } | undefined)?.code === 'ERR_FS_EISDIR') {
              expect(ours, JSON.stringify(o)).toMatchObject({ code: 'EISDIR', syscall: 'rm' });
              continue;
            }
            expect(ours, JSON.stringify(o)).toEqual(theirs);
          }
        } finally {
          await nodeFs.rm(host, { recursive: true, force: true });
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
