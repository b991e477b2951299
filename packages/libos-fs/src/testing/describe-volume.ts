import { describe, expect, it } from 'vitest';
import { FsError } from '../fs-error.js';
import type { Volume, VolumeFile } from '../volume.js';
import type { WallClock } from '../wall-clock.js';

/**
 * A {@link WallClock} the conformance suite can move forward (e.g. a `ManualWallClock`).
 *
 * @example
 * ```ts
 * import { ManualWallClock } from '@libos/fs';
 * import type { AdjustableWallClock } from '@libos/fs/testing';
 * const clock: AdjustableWallClock = new ManualWallClock();
 * ```
 */
export interface AdjustableWallClock extends WallClock {
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/**
 * A volume handed to {@link describeVolume}, with the clock it stamps files with.
 *
 * @example
 * ```ts
 * import { ManualWallClock, MemoryVolume } from '@libos/fs';
 * import type { VolumeUnderTest } from '@libos/fs/testing';
 * const clock = new ManualWallClock();
 * const subject: VolumeUnderTest = { volume: new MemoryVolume({ clock }), clock };
 * ```
 */
export interface VolumeUnderTest {
  /** The volume under test. */
  readonly volume: Volume;
  /** The clock the volume reads; the suite advances it. */
  readonly clock: AdjustableWallClock;
  /** Called after the test, e.g. to delete an image file. */
  readonly dispose?: () => Promise<void> | void;
}

/**
 * How {@link describeVolume} gets volumes to test, and what the implementation can do.
 *
 * @example
 * ```ts
 * import { ManualWallClock, MemoryVolume } from '@libos/fs';
 * import type { VolumeFactory } from '@libos/fs/testing';
 * const make = (capacityBytes: number) => {
 *   const clock = new ManualWallClock();
 *   return { volume: new MemoryVolume({ clock, capacityBytes }), clock };
 * };
 * const factory: VolumeFactory = {
 *   create: async () => make(64 << 20),
 *   createSmall: async () => make(1 << 20),
 * };
 * ```
 */
export interface VolumeFactory {
  /** A fresh, empty, writable volume with at least 16 MiB free. */
  create(): Promise<VolumeUnderTest>;
  /** A fresh, empty, writable volume with between 64 KiB and 4 MiB free (for `ENOSPC`). */
  createSmall(): Promise<VolumeUnderTest>;
  /**
   * A fresh read-only volume holding what `populate` wrote: e.g. create a writable
   * volume, run `populate` on it, then remount the same storage read-only. Omit when
   * the implementation has no read-only mode.
   */
  createReadOnly?(populate: (volume: Volume) => Promise<void>): Promise<VolumeUnderTest>;
  /** Names match regardless of ASCII case, and keep the case they were created with (FAT). */
  readonly caseInsensitive?: boolean;
  /** Longest name (in UTF-16 code units) a directory entry may have. Default 255. */
  readonly maxNameLength?: number;
  /** How coarsely creation and modification times are stored, in ms. Default 1. */
  readonly timeResolutionMs?: number;
  /** How coarsely access times are stored, in ms. Default `timeResolutionMs`. */
  readonly accessTimeResolutionMs?: number;
}

/** Deterministic bytes for a seed (xorshift32), so mismatches are reproducible. */
function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** The code a call rejects with, `'resolved'` when it does not. */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof FsError ? e.code : `other: ${String(e)}`;
  }
}

async function put(volume: Volume, path: readonly string[], data: Uint8Array): Promise<void> {
  const f = await volume.open(path, { write: true, create: true, truncate: true });
  try {
    if (data.length > 0) await f.write(0, data);
  } finally {
    await f.close();
  }
}

async function readAll(file: VolumeFile): Promise<Uint8Array> {
  const out = new Uint8Array(file.size());
  let done = 0;
  while (done < out.length) {
    const n = await file.read(done, out.subarray(done));
    if (n === 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

async function get(volume: Volume, path: readonly string[]): Promise<Uint8Array> {
  const f = await volume.open(path, {});
  try {
    return await readAll(f);
  } finally {
    await f.close();
  }
}

async function names(volume: Volume, path: readonly string[]): Promise<string[]> {
  return (await volume.readdir(path)).map((e) => e.name).sort();
}

/** Compares large byte arrays without printing megabytes on failure. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  expect(first, `${what}: first differing byte`).toBe(-1);
}

/**
 * The {@link Volume} conformance suite: registers vitest tests that check an
 * implementation against the contract the `FileSystem` layer relies on — every method's
 * success and error cases with exact Node codes, POSIX `rename` semantics, sparse writes
 * and truncation, handles sharing a file, directories after many creates and deletes,
 * multi-MiB files with unaligned transfers, `ENOSPC` that loses nothing, long names,
 * case-insensitive lookup (when declared), timestamps that follow the clock (within the
 * declared resolution), `statfs` accounting, read-only volumes and unmounting. What a
 * volume does when a file with open handles is unlinked or renamed is not specified.
 * Needs `vitest` (a peer dependency of this subpath).
 *
 * @param name Shown in the test report.
 * @param factory Creates the volumes to test and declares their capabilities.
 * @example
 * ```ts
 * // memory-volume.test.ts
 * import { ManualWallClock, MemoryVolume } from '@libos/fs';
 * import { describeVolume } from '@libos/fs/testing';
 * const make = (capacityBytes: number) => async () => {
 *   const clock = new ManualWallClock();
 *   return { volume: new MemoryVolume({ clock, capacityBytes }), clock };
 * };
 * describeVolume('MemoryVolume', { create: make(64 << 20), createSmall: make(1 << 20) });
 * ```
 */
export function describeVolume(name: string, factory: VolumeFactory): void {
  const maxName = factory.maxNameLength ?? 255;
  const timeRes = factory.timeResolutionMs ?? 1;
  const accessRes = factory.accessTimeResolutionMs ?? timeRes;

  async function withVolume(
    f: (v: Volume, clock: AdjustableWallClock) => Promise<void>,
    make: () => Promise<VolumeUnderTest> = () => factory.create(),
  ): Promise<void> {
    const subject = await make();
    try {
      await f(subject.volume, subject.clock);
    } finally {
      await subject.dispose?.();
    }
  }

  describe(`Volume conformance: ${name}`, () => {
    describe('open, read, write', () => {
      it('creates a file, writes it and reads it back', () =>
        withVolume(async (v) => {
          expect(v.readOnly).toBe(false);
          const data = pattern(1, 1000);
          await put(v, ['a.bin'], data);
          expect(await get(v, ['a.bin'])).toEqual(data);
          const s = await v.stat(['a.bin']);
          expect(s.type).toBe('file');
          expect(s.size).toBe(1000);
          expect(s.blockSize).toBeGreaterThan(0);
          expect(s.blocks * s.blockSize).toBeGreaterThanOrEqual(1000);
          expect(Number.isSafeInteger(s.ino)).toBe(true);
          expect((await v.stat([])).type).toBe('directory');
        }));

      it('reads short at the end and 0 past it; reads into views with an offset', () =>
        withVolume(async (v) => {
          const data = pattern(2, 100);
          await put(v, ['f'], data);
          const f = await v.open(['f'], {});
          const big = new Uint8Array(64).fill(0xaa);
          expect(await f.read(90, big.subarray(8, 40))).toBe(10);
          expect(big.subarray(8, 18)).toEqual(data.subarray(90));
          expect(big[7]).toBe(0xaa);
          expect(big[18]).toBe(0xaa);
          expect(await f.read(100, big)).toBe(0);
          expect(await f.read(5000, big)).toBe(0);
          expect(f.size()).toBe(100);
          expect((await f.stat()).size).toBe(100);
          await f.close();
        }));

      it('does not keep the caller buffer', () =>
        withVolume(async (v) => {
          const data = pattern(3, 300);
          const copy = data.slice();
          const f = await v.open(['f'], { write: true, create: true });
          await f.write(0, data);
          data.fill(0);
          expect(await readAll(f)).toEqual(copy);
          await f.close();
        }));

      it('open: ENOENT without create, EEXIST with exclusive, EISDIR on directories', () =>
        withVolume(async (v) => {
          expect(await codeOf(v.open(['missing'], {}))).toBe('ENOENT');
          expect(await codeOf(v.open(['missing'], { write: true }))).toBe('ENOENT');
          expect(await codeOf(v.open(['no-dir', 'f'], { write: true, create: true }))).toBe(
            'ENOENT',
          );
          await put(v, ['f'], pattern(4, 10));
          expect(await codeOf(v.open(['f'], { write: true, create: true, exclusive: true }))).toBe(
            'EEXIST',
          );
          expect(await get(v, ['f'])).toEqual(pattern(4, 10));
          await v.mkdir(['d']);
          expect(await codeOf(v.open(['d'], {}))).toBe('EISDIR');
          expect(await codeOf(v.open(['d'], { write: true }))).toBe('EISDIR');
          expect(await codeOf(v.open([], {}))).toBe('EISDIR');
          const g = await v.open(['d', 'g'], { write: true, create: true, exclusive: true });
          await g.close();
          expect(await names(v, ['d'])).toEqual(['g']);
        }));

      it('ENOTDIR when a path goes through a file', () =>
        withVolume(async (v) => {
          await put(v, ['f'], pattern(5, 1));
          expect(await codeOf(v.open(['f', 'x'], { write: true, create: true }))).toBe('ENOTDIR');
          expect(await codeOf(v.stat(['f', 'x']))).toBe('ENOTDIR');
          expect(await codeOf(v.mkdir(['f', 'x']))).toBe('ENOTDIR');
          expect(await codeOf(v.readdir(['f']))).toBe('ENOTDIR');
          expect(await codeOf(v.rmdir(['f']))).toBe('ENOTDIR');
          expect(await codeOf(v.unlink(['f', 'x']))).toBe('ENOTDIR');
        }));

      it('truncate on open cuts to zero; open without it keeps the contents', () =>
        withVolume(async (v) => {
          await put(v, ['f'], pattern(6, 5000));
          const keep = await v.open(['f'], { write: true });
          expect(keep.size()).toBe(5000);
          await keep.write(0, new Uint8Array([1, 2, 3]));
          await keep.close();
          const expected = pattern(6, 5000);
          expected.set([1, 2, 3]);
          expect(await get(v, ['f'])).toEqual(expected);
          const cut = await v.open(['f'], { write: true, truncate: true });
          expect(cut.size()).toBe(0);
          await cut.close();
          expect((await v.stat(['f'])).size).toBe(0);
        }));

      it('writes past the end leave a gap that reads as zeros', () =>
        withVolume(async (v) => {
          const f = await v.open(['sparse'], { write: true, create: true });
          await f.write(0, pattern(7, 10));
          await f.write(100_000, pattern(8, 10));
          expect(f.size()).toBe(100_010);
          const all = await readAll(f);
          expect(all.subarray(0, 10)).toEqual(pattern(7, 10));
          expect(all.subarray(10, 100_000).every((b) => b === 0)).toBe(true);
          expect(all.subarray(100_000)).toEqual(pattern(8, 10));
          await f.close();
        }));

      it('truncate shrinks and grows; grown bytes are zeros even where data was', () =>
        withVolume(async (v) => {
          const f = await v.open(['t'], { write: true, create: true });
          await f.write(0, pattern(9, 20_000));
          await f.truncate(10);
          expect(f.size()).toBe(10);
          expect(await readAll(f)).toEqual(pattern(9, 10));
          await f.truncate(20_000);
          expect(f.size()).toBe(20_000);
          const all = await readAll(f);
          expect(all.subarray(0, 10)).toEqual(pattern(9, 10));
          expect(all.subarray(10).every((b) => b === 0)).toBe(true);
          await f.truncate(0);
          expect((await f.stat()).size).toBe(0);
          await f.write(3, new Uint8Array([7]));
          expect(await readAll(f)).toEqual(new Uint8Array([0, 0, 0, 7]));
          await f.close();
        }));

      it('two handles on one file see each other’s writes and size changes', () =>
        withVolume(async (v) => {
          const a = await v.open(['shared'], { write: true, create: true });
          const b = await v.open(['shared'], { write: true });
          await a.write(0, pattern(10, 3000));
          expect(b.size()).toBe(3000);
          expect(await readAll(b)).toEqual(pattern(10, 3000));
          await b.write(1000, pattern(11, 5000));
          const expected = new Uint8Array(6000);
          expected.set(pattern(10, 3000));
          expected.set(pattern(11, 5000), 1000);
          expect(a.size()).toBe(6000);
          expect(await readAll(a)).toEqual(expected);
          await b.truncate(100);
          expect(a.size()).toBe(100);
          await a.close();
          expect(await readAll(b)).toEqual(expected.subarray(0, 100));
          await b.close();
        }));

      it('EBADF: writing or truncating through a read-only handle, any call after close', () =>
        withVolume(async (v) => {
          await put(v, ['f'], pattern(12, 50));
          const r = await v.open(['f'], {});
          expect(await codeOf(r.write(0, new Uint8Array([1])))).toBe('EBADF');
          expect(await codeOf(r.truncate(0))).toBe('EBADF');
          await r.close();
          const w = await v.open(['f'], { write: true });
          await w.close();
          for (const h of [r, w]) {
            expect(await codeOf(h.read(0, new Uint8Array(1)))).toBe('EBADF');
            expect(await codeOf(h.write(0, new Uint8Array([1])))).toBe('EBADF');
            expect(await codeOf(h.truncate(0))).toBe('EBADF');
            expect(await codeOf(h.stat())).toBe('EBADF');
            expect(await codeOf(h.sync())).toBe('EBADF');
            expect(await codeOf(h.close())).toBe('EBADF');
          }
          expect(await get(v, ['f'])).toEqual(pattern(12, 50));
        }));

      it('large files: several MiB written and read in unaligned pieces', () =>
        withVolume(async (v) => {
          const size = 3 * 1024 * 1024 + 12_345;
          const data = pattern(13, size);
          const f = await v.open(['big.bin'], { write: true, create: true });
          // Written out of order in odd-sized pieces.
          const piece = 100_003;
          const offsets: number[] = [];
          for (let at = 0; at < size; at += piece) offsets.push(at);
          for (const at of [
            ...offsets.filter((_, i) => i % 2 === 1),
            ...offsets.filter((_, i) => i % 2 === 0),
          ]) {
            await f.write(at, data.subarray(at, Math.min(size, at + piece)));
          }
          expect(f.size()).toBe(size);
          await f.sync();
          const back = new Uint8Array(size);
          const step = 77_777;
          for (let at = 0; at < size; at += step) {
            const n = await f.read(at, back.subarray(at, Math.min(size, at + step)));
            expect(n).toBe(Math.min(step, size - at));
          }
          expectSameBytes(back, data, 'first read');
          // Overwrite an unaligned range in the middle.
          const patch = pattern(14, 654_321);
          await f.write(1_000_001, patch);
          data.set(patch, 1_000_001);
          await f.close();
          expectSameBytes(await get(v, ['big.bin']), data, 'after patch');
          const s = await v.stat(['big.bin']);
          expect(s.size).toBe(size);
          expect(s.blocks * s.blockSize).toBeGreaterThanOrEqual(size);
        }));
    });

    describe('directories', () => {
      it('mkdir, readdir with types, rmdir', () =>
        withVolume(async (v) => {
          expect(await v.readdir([])).toEqual([]);
          await v.mkdir(['d']);
          await v.mkdir(['d', 'e']);
          await put(v, ['d', 'f.txt'], pattern(15, 3));
          const entries = [...(await v.readdir(['d']))].sort((x, y) => (x.name < y.name ? -1 : 1));
          expect(entries).toEqual([
            { name: 'e', type: 'directory' },
            { name: 'f.txt', type: 'file' },
          ]);
          expect((await v.stat(['d', 'e'])).type).toBe('directory');
          expect(await codeOf(v.rmdir(['d']))).toBe('ENOTEMPTY');
          await v.rmdir(['d', 'e']);
          expect(await codeOf(v.stat(['d', 'e']))).toBe('ENOENT');
          await v.unlink(['d', 'f.txt']);
          await v.rmdir(['d']);
          expect(await v.readdir([])).toEqual([]);
        }));

      it('mkdir: EEXIST over a file or directory, ENOENT without the parent', () =>
        withVolume(async (v) => {
          await v.mkdir(['d']);
          await put(v, ['f'], pattern(16, 1));
          expect(await codeOf(v.mkdir(['d']))).toBe('EEXIST');
          expect(await codeOf(v.mkdir(['f']))).toBe('EEXIST');
          expect(await codeOf(v.mkdir([]))).toBe('EEXIST');
          expect(await codeOf(v.mkdir(['x', 'y']))).toBe('ENOENT');
        }));

      it('rmdir and unlink errors: ENOENT, ENOTDIR, EISDIR', () =>
        withVolume(async (v) => {
          await v.mkdir(['d']);
          await put(v, ['f'], pattern(17, 1));
          expect(await codeOf(v.rmdir(['missing']))).toBe('ENOENT');
          expect(await codeOf(v.unlink(['missing']))).toBe('ENOENT');
          expect(await codeOf(v.unlink(['missing', 'x']))).toBe('ENOENT');
          expect(await codeOf(v.rmdir(['f']))).toBe('ENOTDIR');
          expect(await codeOf(v.unlink(['d']))).toBe('EISDIR');
          expect(await codeOf(v.readdir(['missing']))).toBe('ENOENT');
          expect(await codeOf(v.stat(['missing']))).toBe('ENOENT');
          expect(await codeOf(v.stat(['missing', 'x']))).toBe('ENOENT');
          expect(await codeOf(v.utimes(['missing'], 0, 0))).toBe('ENOENT');
        }));

      it('readdir stays right after many creates and deletes', () =>
        withVolume(async (v) => {
          await v.mkdir(['many']);
          const expected = new Set<string>();
          for (let i = 0; i < 200; i++) {
            const n = `entry-${String(i).padStart(3, '0')}.dat`;
            await put(v, ['many', n], pattern(1000 + i, i % 7));
            expected.add(n);
          }
          for (let i = 0; i < 200; i += 2) {
            const n = `entry-${String(i).padStart(3, '0')}.dat`;
            await v.unlink(['many', n]);
            expected.delete(n);
          }
          for (let i = 0; i < 60; i++) {
            const n = `later name ${i}`;
            if (i % 3 === 0) await v.mkdir(['many', n]);
            else await put(v, ['many', n], pattern(2000 + i, 100));
            expected.add(n);
          }
          expect(await names(v, ['many'])).toEqual([...expected].sort());
          for (let i = 1; i < 200; i += 2) {
            const n = `entry-${String(i).padStart(3, '0')}.dat`;
            expect(await get(v, ['many', n])).toEqual(pattern(1000 + i, i % 7));
          }
          expect(await get(v, ['many', 'later name 59'])).toEqual(pattern(2059, 100));
        }));

      it(`names up to ${maxName} characters; longer is ENAMETOOLONG`, () =>
        withVolume(async (v) => {
          const long = `${'n'.repeat(maxName - 4)}.txt`;
          await put(v, [long], pattern(18, 40));
          await v.mkdir([`${'d'.repeat(maxName)}`]);
          expect(await names(v, [])).toEqual([long, 'd'.repeat(maxName)].sort());
          expect(await get(v, [long])).toEqual(pattern(18, 40));
          expect(await codeOf(v.mkdir(['x'.repeat(maxName + 1)]))).toBe('ENAMETOOLONG');
          expect(
            await codeOf(v.open(['y'.repeat(maxName + 1)], { write: true, create: true })),
          ).toBe('ENAMETOOLONG');
        }));

      if (factory.caseInsensitive) {
        it('case-insensitive: names match in any case and keep the case they were made with', () =>
          withVolume(async (v) => {
            await put(v, ['Mixed Case.Txt'], pattern(19, 5));
            await v.mkdir(['SubDir']);
            expect((await v.stat(['mixed case.txt'])).size).toBe(5);
            expect(await get(v, ['MIXED CASE.TXT'])).toEqual(pattern(19, 5));
            expect(await names(v, [])).toEqual(['Mixed Case.Txt', 'SubDir']);
            expect(
              await codeOf(
                v.open(['MIXED CASE.TXT'], { write: true, create: true, exclusive: true }),
              ),
            ).toBe('EEXIST');
            expect(await codeOf(v.mkdir(['subdir']))).toBe('EEXIST');
            const again = await v.open(['mixed CASE.txt'], { write: true, create: true });
            await again.close();
            expect(await names(v, [])).toEqual(['Mixed Case.Txt', 'SubDir']);
            await put(v, ['subdir', 'Inner'], pattern(20, 2));
            expect(await names(v, ['SUBDIR'])).toEqual(['Inner']);
            // Renaming to another case of the same name changes the stored case.
            await v.rename(['mixed case.txt'], ['MIXED case.TXT']);
            expect(await names(v, [])).toEqual(['MIXED case.TXT', 'SubDir']);
            expect(await get(v, ['Mixed Case.Txt'])).toEqual(pattern(19, 5));
            await v.unlink(['MIXED CASE.TXT']);
            await v.unlink(['SUBDIR', 'inner']);
            await v.rmdir(['subDIR']);
            expect(await v.readdir([])).toEqual([]);
          }));
      } else {
        it('case-sensitive: names differing in case are different files', () =>
          withVolume(async (v) => {
            await put(v, ['name'], pattern(21, 1));
            await put(v, ['NAME'], pattern(22, 2));
            expect(await names(v, [])).toEqual(['NAME', 'name']);
            expect(await get(v, ['name'])).toEqual(pattern(21, 1));
            expect(await get(v, ['NAME'])).toEqual(pattern(22, 2));
            expect(await codeOf(v.stat(['Name']))).toBe('ENOENT');
          }));
      }
    });

    describe('rename (POSIX rename(2))', () => {
      it('moves a file within and across directories', () =>
        withVolume(async (v) => {
          await v.mkdir(['a']);
          await v.mkdir(['b']);
          await put(v, ['a', 'x'], pattern(23, 700));
          await v.rename(['a', 'x'], ['a', 'y']);
          expect(await names(v, ['a'])).toEqual(['y']);
          await v.rename(['a', 'y'], ['b', 'z']);
          expect(await names(v, ['a'])).toEqual([]);
          expect(await names(v, ['b'])).toEqual(['z']);
          expect(await get(v, ['b', 'z'])).toEqual(pattern(23, 700));
          expect(await codeOf(v.stat(['a', 'y']))).toBe('ENOENT');
        }));

      it('moves a directory with its contents', () =>
        withVolume(async (v) => {
          await v.mkdir(['a']);
          await v.mkdir(['a', 'inner']);
          await put(v, ['a', 'inner', 'f'], pattern(24, 9));
          await v.mkdir(['b']);
          await v.rename(['a', 'inner'], ['b', 'moved']);
          expect(await get(v, ['b', 'moved', 'f'])).toEqual(pattern(24, 9));
          await put(v, ['b', 'moved', 'g'], pattern(25, 4));
          expect(await names(v, ['b', 'moved'])).toEqual(['f', 'g']);
          await v.rename(['b'], ['c']);
          expect(await names(v, [])).toEqual(['a', 'c']);
          expect(await get(v, ['c', 'moved', 'g'])).toEqual(pattern(25, 4));
        }));

      it('replaces an existing file atomically and frees its space', () =>
        withVolume(async (v) => {
          await put(v, ['old'], pattern(26, 200_000));
          await put(v, ['new'], pattern(27, 10));
          await v.rename(['new'], ['old']);
          expect(await names(v, [])).toEqual(['old']);
          expect(await get(v, ['old'])).toEqual(pattern(27, 10));
          await put(v, ['new'], pattern(27, 10));
          // The replaced file's space was returned.
          await put(v, ['old'], pattern(26, 200_000));
          const before = await v.statfs();
          await v.rename(['new'], ['old']);
          const after = await v.statfs();
          expect(after.freeBlocks - before.freeBlocks).toBeGreaterThanOrEqual(
            Math.ceil(200_000 / before.blockSize),
          );
        }));

      it('a directory replaces an empty directory; ENOTEMPTY over a non-empty one', () =>
        withVolume(async (v) => {
          await v.mkdir(['src']);
          await put(v, ['src', 'f'], pattern(29, 3));
          await v.mkdir(['empty']);
          await v.rename(['src'], ['empty']);
          expect(await names(v, [])).toEqual(['empty']);
          expect(await get(v, ['empty', 'f'])).toEqual(pattern(29, 3));
          await v.mkdir(['other']);
          await v.mkdir(['other', 'x']);
          expect(await codeOf(v.rename(['other'], ['empty']))).toBe('ENOTEMPTY');
          expect(await names(v, ['other'])).toEqual(['x']);
          expect(await names(v, ['empty'])).toEqual(['f']);
        }));

      it('EISDIR file over directory, ENOTDIR directory over file, EINVAL into own subtree', () =>
        withVolume(async (v) => {
          await v.mkdir(['d']);
          await v.mkdir(['d', 'sub']);
          await put(v, ['f'], pattern(30, 1));
          expect(await codeOf(v.rename(['f'], ['d']))).toBe('EISDIR');
          expect(await codeOf(v.rename(['d'], ['f']))).toBe('ENOTDIR');
          expect(await codeOf(v.rename(['d'], ['d', 'sub', 'deeper']))).toBe('EINVAL');
          expect(await codeOf(v.rename(['d'], ['d', 'inside']))).toBe('EINVAL');
          expect(await names(v, [])).toEqual(['d', 'f']);
          expect(await names(v, ['d'])).toEqual(['sub']);
        }));

      it('ENOENT for a missing source or target parent; same path is a no-op', () =>
        withVolume(async (v) => {
          await put(v, ['f'], pattern(31, 11));
          await v.mkdir(['d']);
          expect(await codeOf(v.rename(['missing'], ['x']))).toBe('ENOENT');
          expect(await codeOf(v.rename(['f'], ['nowhere', 'x']))).toBe('ENOENT');
          expect(await codeOf(v.rename(['f'], ['f', 'x']))).toBe('ENOTDIR');
          await v.rename(['f'], ['f']);
          await v.rename(['d'], ['d']);
          expect(await names(v, [])).toEqual(['d', 'f']);
          expect(await get(v, ['f'])).toEqual(pattern(31, 11));
        }));
    });

    describe('space', () => {
      it('statfs: free space goes down on write and back on unlink', () =>
        withVolume(async (v) => {
          await put(v, ['f'], new Uint8Array(0));
          const before = await v.statfs();
          expect(before.blockSize).toBeGreaterThan(0);
          expect(before.freeBlocks).toBeLessThanOrEqual(before.totalBlocks);
          const size = 300_000;
          await put(v, ['f'], pattern(32, size));
          const during = await v.statfs();
          expect(before.freeBlocks - during.freeBlocks).toBeGreaterThanOrEqual(
            Math.ceil(size / before.blockSize),
          );
          await v.unlink(['f']);
          expect((await v.statfs()).freeBlocks).toBe(before.freeBlocks);
        }));

      it('ENOSPC leaves what was written intact and the volume usable', () =>
        withVolume(
          async (v) => {
            const space = await v.statfs();
            const free = space.freeBlocks * space.blockSize;
            expect(free).toBeGreaterThanOrEqual(64 * 1024);
            expect(free).toBeLessThanOrEqual(4 * 1024 * 1024);
            await put(v, ['keep'], pattern(33, 10_000));
            const fill = await v.open(['fill'], { write: true, create: true });
            const chunk = 50_000;
            let written = 0;
            let code = 'resolved';
            // Bounded: the volume has at most 4 MiB free.
            for (let i = 0; i < 200 && code === 'resolved'; i++) {
              code = await codeOf(fill.write(written, pattern(34 + i, chunk)));
              if (code === 'resolved') written += chunk;
            }
            expect(code).toBe('ENOSPC');
            // The failed write wrote nothing.
            expect(fill.size()).toBe(written);
            // Nor does a failing write that overlaps the end: the last bytes stay as they were.
            expect(await codeOf(fill.write(written - 10, new Uint8Array(chunk).fill(0xee)))).toBe(
              'ENOSPC',
            );
            expect(fill.size()).toBe(written);
            for (let i = 0; i * chunk < written; i++) {
              const back = new Uint8Array(chunk);
              expect(await fill.read(i * chunk, back)).toBe(chunk);
              expectSameBytes(back, pattern(34 + i, chunk), `chunk ${i}`);
            }
            expect(await get(v, ['keep'])).toEqual(pattern(33, 10_000));
            // After freeing space, growing the file shows zeros where the failed writes aimed.
            await v.unlink(['keep']);
            await fill.truncate(written + 1000);
            const tail = new Uint8Array(1000);
            expect(await fill.read(written, tail)).toBe(1000);
            expect(tail.every((b) => b === 0)).toBe(true);
            await fill.close();
            await put(v, ['keep'], pattern(33, 10_000));
            await v.unlink(['fill']);
            await put(v, ['after'], pattern(35, 20_000));
            expect(await get(v, ['after'])).toEqual(pattern(35, 20_000));
            expect(await get(v, ['keep'])).toEqual(pattern(33, 10_000));
          },
          () => factory.createSmall(),
        ));
    });

    describe('timestamps', () => {
      const near = (actual: number, expected: number, res: number, what: string) => {
        expect(
          Math.abs(actual - expected),
          `${what}: ${actual} vs ${expected}`,
        ).toBeLessThanOrEqual(res);
      };

      it('birth and modification times follow the clock', () =>
        withVolume(async (v, clock) => {
          clock.advance(60_000);
          const created = clock.now();
          await put(v, ['f'], pattern(36, 10));
          const s1 = await v.stat(['f']);
          near(s1.birthtimeMs, created, timeRes, 'birthtime');
          near(s1.mtimeMs, created, timeRes, 'mtime at creation');
          clock.advance(3_600_000 + 7_000);
          const modified = clock.now();
          const f = await v.open(['f'], { write: true });
          await f.write(5, pattern(37, 10));
          await f.close();
          const s2 = await v.stat(['f']);
          near(s2.mtimeMs, modified, timeRes, 'mtime after write');
          near(s2.birthtimeMs, created, timeRes, 'birthtime after write');
          expect(s2.mtimeMs).toBeGreaterThan(s1.mtimeMs);
          clock.advance(60_000);
          const cut = clock.now();
          const g = await v.open(['f'], { write: true });
          await g.truncate(1);
          await g.close();
          near((await v.stat(['f'])).mtimeMs, cut, timeRes, 'mtime after truncate');
          clock.advance(60_000);
          const reopened = clock.now();
          await (await v.open(['f'], { write: true, truncate: true })).close();
          near((await v.stat(['f'])).mtimeMs, reopened, timeRes, 'mtime after open with truncate');
          clock.advance(10_000);
          await v.mkdir(['d']);
          near((await v.stat(['d'])).birthtimeMs, clock.now(), timeRes, 'directory birthtime');
        }));

      it('utimes sets access and modification times', () =>
        withVolume(async (v, clock) => {
          await put(v, ['f'], pattern(38, 1));
          await v.mkdir(['d']);
          const day = 86_400_000;
          const atime = clock.now() + 3 * day;
          const mtime = clock.now() + 5 * day + 4_000;
          await v.utimes(['f'], atime, mtime);
          await v.utimes(['d'], atime, mtime);
          for (const p of [['f'], ['d']]) {
            const s = await v.stat(p);
            near(s.atimeMs, atime, accessRes, `atime of ${p[0]}`);
            near(s.mtimeMs, mtime, timeRes, `mtime of ${p[0]}`);
          }
        }));
    });

    describe('lifecycle', () => {
      it('sync resolves; unmount is EBUSY with open files, then later calls are EIO', () =>
        withVolume(async (v) => {
          await put(v, ['f'], pattern(39, 100));
          await v.sync();
          const h = await v.open(['f'], {});
          expect(await codeOf(v.unmount())).toBe('EBUSY');
          expect(await get(v, ['f'])).toEqual(pattern(39, 100));
          await h.close();
          await v.unmount();
          expect(await codeOf(v.stat(['f']))).toBe('EIO');
          expect(await codeOf(v.readdir([]))).toBe('EIO');
          expect(await codeOf(v.open(['f'], {}))).toBe('EIO');
          expect(await codeOf(v.mkdir(['d']))).toBe('EIO');
        }));
    });

    const makeReadOnly = factory.createReadOnly;
    if (makeReadOnly) {
      it('read-only: reads work, every change is EROFS', () =>
        withVolume(
          async (v) => {
            expect(v.readOnly).toBe(true);
            expect(await names(v, [])).toEqual(['d', 'e', 'f']);
            expect(await get(v, ['f'])).toEqual(pattern(40, 1234));
            expect(await names(v, ['d'])).toEqual(['g']);
            expect(await codeOf(v.mkdir(['new']))).toBe('EROFS');
            expect(await codeOf(v.rmdir(['e']))).toBe('EROFS');
            expect(await codeOf(v.unlink(['f']))).toBe('EROFS');
            expect(await codeOf(v.rename(['f'], ['h']))).toBe('EROFS');
            expect(await codeOf(v.utimes(['f'], 0, 0))).toBe('EROFS');
            expect(await codeOf(v.open(['f'], { write: true }))).toBe('EROFS');
            expect(await codeOf(v.open(['new'], { write: true, create: true }))).toBe('EROFS');
            const h = await v.open(['d', 'g'], {});
            expect(await codeOf(h.write(0, new Uint8Array([1])))).toBe('EBADF');
            await h.close();
            expect(await get(v, ['f'])).toEqual(pattern(40, 1234));
          },
          () =>
            makeReadOnly.call(factory, async (w) => {
              await put(w, ['f'], pattern(40, 1234));
              await w.mkdir(['d']);
              await w.mkdir(['e']);
              await put(w, ['d', 'g'], pattern(41, 5));
            }),
        ));
    }
  });
}
