/**
 * FAT-CREATE: create (open with create, write 100 bytes, close) + stat of 10,000 small
 * files in one directory of a FatVolume on a RamDisk-backed FAT32, against the same
 * calls through node:fs/promises in a host tmpdir (real syscalls, page cache).
 *
 * FAT-LOOKUP-N: stat of existing names in a directory of N entries (N = 10, 100, 1000,
 * 10000) on FatVolume, against MemoryVolume (an in-memory map) with the same names. The
 * four ratios together are the lookup-time-vs-directory-size curve: FatVolume keeps each
 * loaded directory as a hash map, so the curve should stay flat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type FatVolume,
  formatFat,
  ManualWallClock,
  MemoryVolume,
  mountFat,
  RamDisk,
  type Volume,
} from '@libos/fs';
import type { Comparison } from '../../../bench/harness.js';

const FILES = 10_000;
const DATA = new Uint8Array(100).fill(0x61);
const LOOKUPS = 2000;
let sink = 0;

const hostRoot = mkdtempSync(join(tmpdir(), 'libos-bench-fat-'));
process.on('exit', () => rmSync(hostRoot, { recursive: true, force: true }));

/** One disk per use, reformatted for each sample (so samples do not churn 96 MiB buffers). */
const disks = new Map<string, RamDisk>();

async function freshFat(use = 'create'): Promise<FatVolume> {
  const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
  let disk = disks.get(use);
  if (!disk) {
    disk = new RamDisk({ sectorCount: (96 * 1024 * 1024) / 512 });
    disks.set(use, disk);
  }
  await formatFat(disk, { type: 32, clusterSize: 512, clock });
  return mountFat(disk, { clock });
}

let fatForCreate: FatVolume | undefined;
let hostDir = '';
let hostRound = 0;

async function createAndStat(v: Volume, dir: string): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    const f = await v.open([dir, `file-${i}.txt`], { write: true, create: true, exclusive: true });
    await f.write(0, DATA);
    await f.close();
    sink += (await v.stat([dir, `file-${i}.txt`])).size;
  }
}

const directorySizes = [10, 100, 1000, 10_000];
let lookupVolumes: Promise<{ fat: FatVolume; mem: MemoryVolume }> | undefined;

function buildLookupVolumes(): Promise<{ fat: FatVolume; mem: MemoryVolume }> {
  lookupVolumes ??= (async () => {
    const fat = await freshFat('lookup');
    const mem = new MemoryVolume({ clock: new ManualWallClock(), caseInsensitive: true });
    for (const v of [fat, mem] as Volume[]) {
      for (const n of directorySizes) {
        await v.mkdir([`d${n}`]);
        for (let i = 0; i < n; i++) {
          const f = await v.open([`d${n}`, `entry number ${i}.dat`], { write: true, create: true });
          await f.close();
        }
      }
    }
    return { fat, mem };
  })();
  return lookupVolumes;
}

async function lookups(v: Volume, n: number): Promise<void> {
  let x = 12345;
  for (let i = 0; i < LOOKUPS; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    sink += (await v.stat([`d${n}`, `entry number ${x % n}.dat`])).size;
  }
}

let volumes: { fat: FatVolume; mem: MemoryVolume } | undefined;

export const comparisons: Comparison[] = [
  {
    id: 'FAT-CREATE',
    title: 'create + stat of 10,000 small files: FatVolume (FAT32 on RamDisk) vs node:fs tmpdir',
    conditions: `${FILES} files of 100 B in one directory; open(create, exclusive) + write + close + stat each; FAT32, 512 B clusters, 96 MiB RamDisk, every close syncs; baseline node:fs/promises open/write/close/stat`,
    subject: {
      name: 'FatVolume create+stat',
      ops: FILES,
      setup: async () => {
        fatForCreate = await freshFat();
        await fatForCreate.mkdir(['bench']);
      },
      run: () => createAndStat(fatForCreate!, 'bench'),
    },
    baseline: {
      name: 'node:fs create+stat',
      ops: FILES,
      setup: async () => {
        hostDir = join(hostRoot, `r${hostRound++}`);
        await nodeFs.mkdir(hostDir);
      },
      run: async () => {
        for (let i = 0; i < FILES; i++) {
          const p = join(hostDir, `file-${i}.txt`);
          const h = await nodeFs.open(p, 'wx');
          await h.write(DATA, 0, DATA.length, 0);
          await h.close();
          sink += (await nodeFs.stat(p)).size;
        }
      },
    },
  },
  ...directorySizes.map(
    (n): Comparison => ({
      id: `FAT-LOOKUP-${n}`,
      title: `stat in a directory of ${n} entries: FatVolume vs MemoryVolume`,
      conditions: `${LOOKUPS} stats of pseudo-random existing long names ("entry number K.dat") in a directory of ${n} entries; FAT32 on RamDisk, directory already loaded; baseline case-insensitive MemoryVolume`,
      subject: {
        name: `FatVolume stat (${n} entries)`,
        ops: LOOKUPS,
        setup: async () => {
          volumes = await buildLookupVolumes();
        },
        run: () => lookups(volumes!.fat, n),
      },
      baseline: {
        name: `MemoryVolume stat (${n} entries)`,
        ops: LOOKUPS,
        setup: async () => {
          volumes = await buildLookupVolumes();
        },
        run: () => lookups(volumes!.mem, n),
      },
    }),
  ),
];

process.on('exit', () => {
  if (sink === -1) console.log(sink);
});
