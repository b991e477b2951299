/**
 * Property test: random operation sequences applied to a FatVolume and to a
 * case-insensitive MemoryVolume give the same outcomes (success or error code) and the
 * same final tree (names, types, contents; timestamps ignored), and after every
 * sequence the image passes `fsck.fat -n` and `checkFat`.
 */
import { join } from 'node:path';
import {
  checkFat,
  formatFat,
  ManualWallClock,
  MemoryVolume,
  mountFat,
  RamDisk,
  type Volume,
} from '@libos/fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fsck, pattern, peerToolsAvailable, saveImage, tempDir } from './fat-support.js';

const available = peerToolsAvailable();
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const NAMES = [
  'a',
  'A',
  'Long File Name.txt',
  'long file name.TXT',
  'dir',
  'x.y',
  'Ünï',
  'README.TXT',
  'readme.txt',
];
const name = fc.constantFrom(...NAMES);
const path = fc.array(name, { minLength: 1, maxLength: 2 });

type Op =
  | { op: 'mkdir'; path: string[] }
  | { op: 'rmdir'; path: string[] }
  | { op: 'unlink'; path: string[] }
  | { op: 'rename'; from: string[]; to: string[] }
  | { op: 'write'; path: string[]; offset: number; length: number; seed: number }
  | { op: 'append'; path: string[]; length: number; seed: number }
  | { op: 'truncate'; path: string[]; size: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mkdir' as const), path }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rmdir' as const), path }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unlink' as const), path }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rename' as const), from: path, to: path }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      path,
      offset: fc.integer({ min: 0, max: 5000 }),
      length: fc.integer({ min: 1, max: 6000 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      path,
      length: fc.integer({ min: 1, max: 3000 }),
      seed: fc.integer({ min: 1, max: 1000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('truncate' as const),
      path,
      size: fc.integer({ min: 0, max: 9000 }),
    }),
  },
);

async function apply(v: Volume, o: Op): Promise<string> {
  try {
    switch (o.op) {
      case 'mkdir':
        await v.mkdir(o.path);
        break;
      case 'rmdir':
        await v.rmdir(o.path);
        break;
      case 'unlink':
        await v.unlink(o.path);
        break;
      case 'rename':
        await v.rename(o.from, o.to);
        break;
      case 'write': {
        const f = await v.open(o.path, { write: true, create: true });
        try {
          await f.write(o.offset, pattern(o.length, o.seed));
        } finally {
          await f.close();
        }
        break;
      }
      case 'append': {
        const f = await v.open(o.path, { write: true, create: true });
        try {
          await f.write(f.size(), pattern(o.length, o.seed));
        } finally {
          await f.close();
        }
        break;
      }
      case 'truncate': {
        const f = await v.open(o.path, { write: true });
        try {
          await f.truncate(o.size);
        } finally {
          await f.close();
        }
        break;
      }
    }
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

async function snapshot(v: Volume, at: string[] = []): Promise<unknown[]> {
  const out: unknown[] = [];
  const entries = (await v.readdir(at)).sort((x, y) => (x.name < y.name ? -1 : 1));
  for (const e of entries) {
    const p = [...at, e.name];
    if (e.type === 'directory') out.push({ dir: p.join('/'), children: await snapshot(v, p) });
    else {
      const f = await v.open(p, {});
      const data = new Uint8Array(f.size());
      await f.read(0, data);
      await f.close();
      out.push({
        file: p.join('/'),
        size: data.length,
        hash:
          Buffer.from(data).toString('base64').slice(0, 40) +
          data.reduce((a, b) => (a * 31 + b) >>> 0, 7),
      });
    }
  }
  return out;
}

describe('FatVolume agrees with MemoryVolume on random operation sequences', () => {
  for (const type of [12, 16, 32] as const) {
    it(`FAT${type}`, async () => {
      let run = 0;
      const outcomes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 15, maxLength: 40 }), async (ops) => {
          const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
          const disk = new RamDisk({ sectorCount: type === 32 ? 81920 : 8192 });
          await formatFat(disk, type === 32 ? { type, clusterSize: 512, clock } : { type, clock });
          const fat = await mountFat(disk, { clock });
          const mem = new MemoryVolume({ clock, caseInsensitive: true, capacityBytes: 1 << 30 });
          for (const o of ops) {
            const a = await apply(fat, o);
            const b = await apply(mem, o);
            expect(a, JSON.stringify(o)).toBe(b);
            outcomes.set(`${o.op}:${a}`, (outcomes.get(`${o.op}:${a}`) ?? 0) + 1);
          }
          expect(await snapshot(fat)).toEqual(await snapshot(mem));
          await fat.unmount();
          const report = await checkFat(disk);
          expect(report.problems).toEqual([]);
          if (available) {
            const file = join(tmp.dir, `prop-${type}-${run++}.img`);
            saveImage(disk, file);
            const r = fsck(file);
            expect(r.status, r.output).toBe(0);
          }
        }),
        { numRuns: 10, seed: 20240517 + type },
      );
      // The sequences must do real work, not only fail lookups.
      for (const kind of ['mkdir', 'rmdir', 'unlink', 'rename', 'write', 'append', 'truncate']) {
        expect(outcomes.get(`${kind}:ok`) ?? 0, `${kind} never succeeded`).toBeGreaterThan(0);
      }
    }, 180_000);
  }
});
