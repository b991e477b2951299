/**
 * Crash guarantees of FAT (README "Crash guarantees"), tested with the power-loss
 * device: a workload runs until the disk "dies" after its k-th write, for every k; the
 * writes not yet flushed then survive as a seeded random subset, reordered, the last one
 * torn. After each cut:
 * - the volume mounts, `checkFat` reports without throwing, and every file whose
 *   `sync()` (or a volume `sync()`) completed before the cut reads back intact;
 * - (every fourth cut) `fsck.fat -a` repairs the image, after which `fsck.fat -n` finds
 *   it clean and mtools reads the synced files byte-exact.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile as writeHostFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type BlockDevice,
  BlockDeviceError,
  checkFat,
  formatFat,
  mountFat,
  PowerLossBlockDevice,
  RamDisk,
  type Volume,
} from '@libos/fs';
import { afterAll, describe, expect, it } from 'vitest';
import { clock, pattern, peerToolsAvailable } from './fat-support.js';

const run = promisify(execFile);
const toolEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8', TZ: 'UTC' };

/** Runs a tool without blocking the test worker; resolves with its exit code and output. */
async function exec(cmd: string, args: string[]): Promise<{ code: number; out: Buffer }> {
  try {
    const { stdout } = await run(cmd, args, {
      env: toolEnv,
      encoding: 'buffer',
      maxBuffer: 1 << 28,
    });
    return { code: 0, out: stdout };
  } catch (e) {
    const failed = e as { code?: unknown; stdout?: Buffer; stderr?: Buffer };
    const code = typeof failed.code === 'number' ? failed.code : -1;
    return {
      code,
      out: Buffer.concat([failed.stdout ?? Buffer.alloc(0), failed.stderr ?? Buffer.alloc(0)]),
    };
  }
}

/** Passes requests through until a write past the first `limit` is attempted; then every request fails. */
class DyingDevice implements BlockDevice {
  writes = 0;
  constructor(
    readonly inner: BlockDevice,
    readonly limit: number,
  ) {}
  get sectorSize(): number {
    return this.inner.sectorSize;
  }
  get sectorCount(): number {
    return this.inner.sectorCount;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  /** Set by the first write attempted past the limit; from then on everything fails. */
  dead = false;
  #check(): void {
    if (this.dead) throw new BlockDeviceError('EIO', 'power lost');
  }
  async read(sector: number, buffer: Uint8Array): Promise<void> {
    this.#check();
    await this.inner.read(sector, buffer);
  }
  async write(sector: number, data: Uint8Array): Promise<void> {
    if (this.writes >= this.limit) this.dead = true;
    this.#check();
    await this.inner.write(sector, data);
    this.writes++;
  }
  async flush(): Promise<void> {
    this.#check();
    await this.inner.flush();
  }
}

async function writeFile(volume: Volume, path: string[], data: Uint8Array, sync: boolean) {
  const file = await volume.open(path, { write: true, create: true, truncate: true });
  // Several writes, so a file's clusters are allocated in steps.
  for (let at = 0; at < data.length; at += 3000) {
    await file.write(at, data.subarray(at, Math.min(data.length, at + 3000)));
  }
  if (sync) await file.sync();
  await file.close();
}

/**
 * The workload: files synced one by one, files left unsynced, directories, renames and
 * deletes of unsynced files, directory growth next to synced entries, a volume sync in
 * the middle. Returns (through `durable`) the files whose sync completed; a synced file
 * is never touched again.
 */
async function workload(volume: Volume, durable: Map<string, Uint8Array>): Promise<void> {
  const path = (p: string) => p.split('/').filter(Boolean);
  const put = async (p: string, data: Uint8Array, sync: boolean) => {
    await writeFile(volume, path(p), data, sync);
    if (sync) durable.set(p, data);
  };
  await volume.mkdir(['keep']);
  await put('/keep/first.bin', pattern(40_000, 1), true);
  await put('/loose.bin', pattern(25_000, 2), false);
  await put('/keep/A long name.txt', pattern(700, 3), true);
  await volume.mkdir(['new']);
  await volume.mkdir(['new', 'deep']);
  for (let i = 0; i < 24; i++) {
    // Grows /keep's directory past one cluster, next to the synced entries.
    await put(`/keep/small file ${i}.dat`, pattern(100 + i * 37, 10 + i), i % 6 === 5);
  }
  await volume.rename(['loose.bin'], ['new', 'deep', 'moved.bin']);
  await volume.sync();
  // Everything so far is durable now; from here on nothing is synced except one file.
  durable.set('/new/deep/moved.bin', pattern(25_000, 2));
  for (let i = 0; i < 24; i++) {
    if (i % 6 !== 5) durable.set(`/keep/small file ${i}.dat`, pattern(100 + i * 37, 10 + i));
  }
  await put('/new/after.bin', pattern(30_000, 40), false);
  await volume.unlink(['new', 'after.bin']);
  await put('/new/late.bin', pattern(12_000, 41), true);
  await put('/new/unsynced.bin', pattern(9_000, 42), false);
  await volume.mkdir(['new', 'deep', 'er']);
}

async function readWhole(volume: Volume, path: string[]): Promise<Uint8Array> {
  const file = await volume.open(path, {});
  const out = new Uint8Array(file.size());
  let done = 0;
  while (done < out.length) {
    const n = await file.read(done, out.subarray(done));
    if (n === 0) break;
    done += n;
  }
  await file.close();
  return out.subarray(0, done);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const dir = mkdtempSync(join(tmpdir(), 'libos-power-loss-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  { name: 'FAT12', sectors: 4 * 2048, type: 12 as const },
  { name: 'FAT16', sectors: 32 * 2048, type: 16 as const },
  { name: 'FAT32', sectors: 40 * 2048, type: 32 as const },
])('FAT after a power cut at every write ($name)', ({ name, sectors, type }) => {
  it('mounts, keeps every synced file intact, and fsck.fat can repair the rest', async () => {
    const peers = peerToolsAvailable();
    // How many writes the whole workload makes, to cut at each of them.
    const probe = new RamDisk({ sectorCount: sectors });
    await formatFat(probe, { clock, type });
    const counting = new DyingDevice(probe, Number.POSITIVE_INFINITY);
    await workload(await mountFat(counting, { clock }), new Map());
    const total = counting.writes;
    expect(total).toBeGreaterThan(20);

    const formatted = new RamDisk({ sectorCount: sectors });
    await formatFat(formatted, { clock, type });
    const step = Math.max(1, Math.floor(total / 24)); // about 24 cuts per type
    let checked = 0;
    for (let k = 0; k <= total; k += step) {
      const ram = new RamDisk({ contents: formatted.contents.slice() });
      const power = new PowerLossBlockDevice(ram);
      const dying = new DyingDevice(power, k);
      const durable = new Map<string, Uint8Array>();
      const settled = await workload(await mountFat(dying, { clock }), durable).then(
        () => 'finished',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      if (k < total) expect(settled, `cut ${k}`).not.toBe('finished');
      await power.powerCut({ survivors: 'subset', reorder: true, tear: true, seed: k });

      const report = await checkFat(ram);
      expect(report.type, `${name} cut ${k}`).toBe(type);
      const volume = await mountFat(ram, { clock, readOnly: true });
      for (const [p, data] of durable) {
        const got = await readWhole(volume, p.split('/').filter(Boolean));
        expect(equal(got, data), `${name} cut ${k}: ${p} intact`).toBe(true);
      }
      await volume.unmount();

      if (peers && k % (4 * step) === 0) {
        const file = join(dir, `${name}-${k}.img`);
        await writeHostFile(file, ram.contents);
        // Repair (exit 0: clean, 1: errors corrected), then it must be clean.
        const repair = await exec('fsck.fat', ['-a', file]);
        expect([0, 1], `${name} cut ${k}: fsck.fat -a ${repair.out}`).toContain(repair.code);
        const after = await exec('fsck.fat', ['-n', file]);
        expect(after.code, `${name} cut ${k}: ${after.out}`).toBe(0);
        for (const [p, data] of durable) {
          const read = await exec('mcopy', ['-n', '-i', file, `::${p}`, '-']);
          expect(read.code, `${name} cut ${k}: mcopy ${p}`).toBe(0);
          expect(equal(new Uint8Array(read.out), data), `${name} cut ${k}: mtools reads ${p}`).toBe(
            true,
          );
        }
        checked++;
      }
    }
    if (peers) expect(checked).toBeGreaterThanOrEqual(5);
  }, 240_000);
});
