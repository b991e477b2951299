/**
 * Hostile images (RELIABILITY.md item 9): looping and cross-linked chains, pointers past
 * the end, bad `.`/`..`, sizes disagreeing with chains, lost clusters, a wrong FSInfo
 * count, a bad boot sector. libos must reject with a typed FsCorruptionError or mount
 * read-only — never hang — and `checkFat` must agree with `fsck.fat -n`.
 */
import { join } from 'node:path';
import {
  type BootSectorRepr,
  checkFat,
  type FatCheckProblemKind,
  FatTable,
  type FatType,
  FsCorruptionError,
  formatFat,
  mountFat,
  parseBootSector,
  RamDisk,
} from '@libos/fs';
import { afterAll, describe, expect, it } from 'vitest';
import { clock, fsck, pattern, peerToolsAvailable, saveImage, tempDir } from './fat-support.js';

const available = peerToolsAvailable();
const tmp = tempDir();
afterAll(() => tmp.cleanup());

interface Image {
  disk: RamDisk;
  geo: BootSectorRepr;
  cb: number;
  /** Byte offset in the image of the short entry named `name11` in `dirStart` region. */
  entry(name11: string, dirCluster?: number): number;
  /** Applies `fn` to every FAT copy. */
  fats(fn: (fat: FatTable) => void): void;
  fat(): FatTable;
}

async function baseImage(type: FatType): Promise<Image> {
  const disk = new RamDisk({ sectorCount: type === 32 ? 81920 : type === 16 ? 16384 : 4096 });
  await formatFat(disk, type === 32 ? { type, clusterSize: 512, clock } : { type, clock });
  const vol = await mountFat(disk, { clock });
  const put = async (path: string[], n: number, seed: number) => {
    const f = await vol.open(path, { write: true, create: true });
    await f.write(0, pattern(n, seed));
    await f.close();
  };
  const geo0 = vol.geometry;
  const cb = geo0.bytesPerSector * geo0.sectorsPerCluster;
  await put(['A.BIN'], cb * 3, 1);
  await put(['B.BIN'], cb * 2, 2);
  await vol.mkdir(['SUB']);
  await put(['SUB', 'C.BIN'], cb * 2 + 5, 3);
  await vol.unmount();
  const geo = parseBootSector(disk.contents.subarray(0, 512));
  if (typeof geo === 'string') throw new Error(geo);
  const bps = geo.bytesPerSector;
  const regionOf = (dirCluster?: number): [number, number] => {
    if (dirCluster === undefined && type !== 32)
      return [geo.rootDirSector * bps, geo.rootDirSectors * bps];
    const c = dirCluster ?? geo.rootCluster;
    return [(geo.firstDataSector + (c - 2) * geo.sectorsPerCluster) * bps, cb];
  };
  const fatAt = (copy: number) => {
    const start = (geo.reservedSectors + copy * geo.fatSectors) * bps;
    return new FatTable(
      geo.type,
      disk.contents.subarray(start, start + geo.fatSectors * bps),
      bps,
      geo.clusterCount,
    );
  };
  return {
    disk,
    geo,
    cb,
    entry(name11, dirCluster) {
      const [start, len] = regionOf(dirCluster);
      for (let o = start; o < start + len; o += 32) {
        if (String.fromCharCode(...disk.contents.subarray(o, o + 11)) === name11) return o;
      }
      throw new Error(`no entry ${name11}`);
    },
    fats(fn) {
      for (let i = 0; i < geo.numFats; i++) fn(fatAt(i));
    },
    fat: () => fatAt(0),
  };
}

const u16 = (img: Image, at: number) => img.disk.contents[at]! | (img.disk.contents[at + 1]! << 8);
const firstCluster = (img: Image, at: number) => (u16(img, at + 20) << 16) | u16(img, at + 26);
function setFirstCluster(img: Image, at: number, c: number) {
  const b = img.disk.contents;
  b[at + 26] = c & 0xff;
  b[at + 27] = (c >> 8) & 0xff;
  b[at + 20] = (c >> 16) & 0xff;
  b[at + 21] = (c >> 24) & 0xff;
}
function setSize(img: Image, at: number, size: number) {
  new DataView(img.disk.contents.buffer, img.disk.contents.byteOffset).setUint32(
    at + 28,
    size,
    true,
  );
}

interface Case {
  name: string;
  corrupt: (img: Image) => void;
  kinds: FatCheckProblemKind[];
  /** What using the damaged node does: the path opened/listed and the expected kind. */
  use?: { path: string[]; dir?: boolean; kind: FatCheckProblemKind };
}

const cases: Case[] = [
  {
    name: 'looping chain',
    corrupt: (img) => {
      const a = firstCluster(img, img.entry('A       BIN'));
      img.fats((f) => f.set(a + 2, a));
    },
    kinds: ['chain-loop'],
    use: { path: ['A.BIN'], kind: 'chain-loop' },
  },
  {
    name: 'cross-linked files',
    corrupt: (img) =>
      setFirstCluster(
        img,
        img.entry('B       BIN'),
        firstCluster(img, img.entry('A       BIN')) + 1,
      ),
    kinds: ['cross-link'],
    use: { path: ['B.BIN'], kind: 'cross-link' },
  },
  {
    name: 'chain pointing past the end',
    corrupt: (img) => {
      const a = firstCluster(img, img.entry('A       BIN'));
      img.fats((f) => f.set(a + 1, f.maxCluster + 5));
    },
    kinds: ['out-of-range'],
    use: { path: ['A.BIN'], kind: 'out-of-range' },
  },
  {
    name: 'first cluster past the end',
    corrupt: (img) => setFirstCluster(img, img.entry('B       BIN'), img.fat().maxCluster + 100),
    kinds: ['out-of-range'],
    use: { path: ['B.BIN'], kind: 'out-of-range' },
  },
  {
    name: 'broken chain (free cluster inside)',
    corrupt: (img) => {
      const a = firstCluster(img, img.entry('A       BIN'));
      img.fats((f) => f.set(a + 1, 0));
    },
    kinds: ['broken-chain'],
    use: { path: ['A.BIN'], kind: 'broken-chain' },
  },
  {
    name: 'size larger than the chain',
    corrupt: (img) => setSize(img, img.entry('B       BIN'), img.cb * 5),
    kinds: ['size-mismatch'],
    use: { path: ['B.BIN'], kind: 'size-mismatch' },
  },
  {
    name: 'size smaller than the chain',
    corrupt: (img) => setSize(img, img.entry('A       BIN'), 10),
    kinds: ['size-mismatch'],
    use: { path: ['A.BIN'], kind: 'size-mismatch' },
  },
  {
    name: 'bad .. entry',
    corrupt: (img) => {
      const sub = firstCluster(img, img.entry('SUB        '));
      setFirstCluster(img, img.entry('..         ', sub), sub);
    },
    kinds: ['bad-dot-entry'],
    use: { path: ['SUB'], dir: true, kind: 'bad-dot-entry' },
  },
  {
    name: 'bad . entry',
    corrupt: (img) => {
      const sub = firstCluster(img, img.entry('SUB        '));
      setFirstCluster(img, img.entry('.          ', sub), 3);
    },
    kinds: ['bad-dot-entry'],
    use: { path: ['SUB'], dir: true, kind: 'bad-dot-entry' },
  },
  {
    name: 'lost clusters',
    corrupt: (img) => {
      const m = img.fat().maxCluster;
      img.fats((f) => {
        f.set(m - 1, m);
        f.set(m, f.endOfChain);
      });
    },
    kinds: ['lost-clusters'],
  },
];

async function expectCorruptUse(img: Image, use: NonNullable<Case['use']>): Promise<void> {
  let vol: Awaited<ReturnType<typeof mountFat>>;
  try {
    vol = await mountFat(img.disk, { clock });
  } catch (e) {
    expect(e).toBeInstanceOf(FsCorruptionError);
    return;
  }
  if (vol.readOnly) {
    expect(vol.corruption).toBeInstanceOf(FsCorruptionError);
    await expect(vol.mkdir(['NEW'])).rejects.toMatchObject({ code: 'EROFS' });
    return;
  }
  const attempt = use.dir
    ? vol.readdir(use.path).then(() => vol.mkdir([...use.path, 'X']))
    : vol.open(use.path, {}).then((f) => f.read(0, new Uint8Array(img.cb * 8)));
  await expect(attempt).rejects.toBeInstanceOf(FsCorruptionError);
  await expect(attempt).rejects.toMatchObject({ kind: use.kind });
  expect(vol.readOnly).toBe(true);
  await expect(vol.mkdir(['NEW'])).rejects.toMatchObject({ code: 'EROFS' });
}

for (const type of [12, 16, 32] as const) {
  describe(`FAT${type} hostile images`, () => {
    it('a clean image checks clean (and fsck.fat agrees)', async () => {
      const img = await baseImage(type);
      const report = await checkFat(img.disk);
      expect(report.problems).toEqual([]);
      expect(report.files).toBe(3);
      expect(report.directories).toBe(1);
      if (available) {
        const file = join(tmp.dir, `clean${type}.img`);
        saveImage(img.disk, file);
        expect(fsck(file).status).toBe(0);
      }
    });
    for (const c of cases) {
      it(c.name, async () => {
        const img = await baseImage(type);
        c.corrupt(img);
        const report = await checkFat(img.disk);
        expect(report.clean).toBe(false);
        for (const k of c.kinds) expect(report.problems.map((p) => p.kind)).toContain(k);
        if (available) {
          const file = join(tmp.dir, `${c.name.replace(/\W/g, '_')}${type}.img`);
          saveImage(img.disk, file);
          const r = fsck(file);
          expect(r.status, r.output).toBe(1);
        }
        if (c.use) await expectCorruptUse(img, c.use);
        else {
          // Volume-level damage only: still usable, nothing reachable is wrong.
          const vol = await mountFat(img.disk, { clock });
          expect((await vol.readdir([])).length).toBe(3);
        }
      }, 30_000);
    }
  });
}

describe('volume-level findings', () => {
  it('a wrong FSInfo free count is reported like fsck.fat does', async () => {
    const img = await baseImage(32);
    const at = img.geo.fsInfoSector * img.geo.bytesPerSector + 488;
    new DataView(img.disk.contents.buffer).setUint32(at, 7, true);
    const report = await checkFat(img.disk);
    expect(report.problems.map((p) => p.kind)).toEqual(['free-count']);
    expect(report.fsInfoFreeCount).toBe(7);
    if (available) {
      const file = join(tmp.dir, 'freecount.img');
      saveImage(img.disk, file);
      const r = fsck(file);
      expect(r.output).toMatch(/free cluster summary/i);
    }
  });

  it('the dirty bit is reported (fsck.fat -n exits 1 on it)', async () => {
    const img = await baseImage(16);
    img.disk.contents[37] = 1; // BS_Reserved1 bit 0 (FAT12/16)
    const report = await checkFat(img.disk);
    expect(report.dirty).toBe(true);
    expect(report.problems.map((p) => p.kind)).toEqual(['dirty']);
    if (available) {
      const file = join(tmp.dir, 'dirty.img');
      saveImage(img.disk, file);
      expect(fsck(file).status).toBe(1);
    }
  });

  it('a looping FAT32 root directory fails the mount with chain-loop', async () => {
    const img = await baseImage(32);
    img.fats((f) => f.set(img.geo.rootCluster, img.geo.rootCluster));
    await expect(mountFat(img.disk, { clock })).rejects.toMatchObject({ kind: 'chain-loop' });
    expect((await checkFat(img.disk)).problems.map((p) => p.kind)).toContain('chain-loop');
  });

  it('FAT copies that differ are reported', async () => {
    const img = await baseImage(16);
    const start = (img.geo.reservedSectors + img.geo.fatSectors) * img.geo.bytesPerSector;
    const copy2 = new FatTable(
      16,
      img.disk.contents.subarray(start, start + img.geo.fatSectors * 512),
      512,
      img.geo.clusterCount,
    );
    copy2.set(100, 0xfff7);
    expect((await checkFat(img.disk)).problems.map((p) => p.kind)).toContain('fats-differ');
  });

  it('a bad boot sector is a typed bad-boot-sector error, for mount and check', async () => {
    const img = await baseImage(16);
    img.disk.contents[13] = 3; // sectors per cluster not a power of two
    await expect(mountFat(img.disk, { clock })).rejects.toMatchObject({
      kind: 'bad-boot-sector',
      code: 'EIO',
    });
    const report = await checkFat(img.disk);
    expect(report.problems.map((p) => p.kind)).toEqual(['bad-boot-sector']);
    await expect(mountFat(new RamDisk({ sectorCount: 64 }), { clock })).rejects.toBeInstanceOf(
      FsCorruptionError,
    );
  });

  it('a directory chain that loops ends in chain-loop, not a hang', async () => {
    const img = await baseImage(16);
    const sub = firstCluster(img, img.entry('SUB        '));
    img.fats((f) => f.set(sub, sub));
    const vol = await mountFat(img.disk, { clock });
    await expect(vol.readdir(['SUB'])).rejects.toMatchObject({ kind: 'chain-loop' });
    expect((await checkFat(img.disk)).problems.map((p) => p.kind)).toContain('chain-loop');
  });
});
