/**
 * Real peers: images libos writes pass `fsck.fat -n` and mtools reads every file back
 * byte-exact; images made by `mkfs.fat` + `mcopy` and by `mformat` are read exactly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FatVolume, formatFat, mountFat, planFatGeometry, RamDisk } from '@libos/fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clock,
  fsck,
  loadImage,
  mexport,
  mlist,
  mread,
  pattern,
  peerToolsAvailable,
  saveImage,
  tempDir,
  tool,
} from './fat-support.js';

const available = peerToolsAvailable();
const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function writeFile(vol: FatVolume, path: string[], data: Uint8Array): Promise<void> {
  const f = await vol.open(path, { write: true, create: true, truncate: true });
  await f.write(0, data);
  await f.close();
}

async function readFile(vol: FatVolume, path: string[]): Promise<Uint8Array> {
  const f = await vol.open(path, {});
  const out = new Uint8Array(f.size());
  let done = 0;
  while (done < out.length) {
    const n = await f.read(done, out.subarray(done));
    if (n === 0) break;
    done += n;
  }
  await f.close();
  return out;
}

/** Builds a tree exercising long names, tails, deep dirs, growth; returns path → bytes. */
async function buildTree(vol: FatVolume, clusterBytes: number): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const put = async (path: string[], data: Uint8Array) => {
    await writeFile(vol, path, data);
    files.set(`/${path.join('/')}`, data);
  };
  await put(['UPPER.TXT'], pattern(100, 1));
  await put(['Plain Text Notes.txt'], new TextEncoder().encode('hello from libos\nsecond line\n'));
  await put(['readme.txt'], pattern(5, 2));
  await put(['MixedCase.Md'], pattern(0, 3));
  await put(['Ünïcödé файл.txt'], pattern(777, 4));
  await put(['日本語のファイル名.bin'], pattern(3000, 5));
  await put(['a name with spaces and dots.tar.gz'], pattern(clusterBytes * 7 + 13, 6));
  for (let i = 1; i <= 12; i++)
    await put([`Long File Name number ${i}.text`], pattern(i * 50, 100 + i));
  const deep: string[] = [];
  for (let d = 0; d < 10; d++) {
    deep.push(d % 2 ? `level ${d} directory` : `LVL${d}`);
    await vol.mkdir(deep);
  }
  await put([...deep, 'deep file with a long name.dat'], pattern(clusterBytes * 3, 7));
  await vol.mkdir(['many']);
  for (let i = 0; i < 150; i++)
    await put(['many', `entry-${i}-with-a-longer-name.txt`], pattern(i, 1000 + i));
  // Rename across directories, replace, unlink.
  await put(['moveme.txt'], pattern(1234, 8));
  await vol.rename(['moveme.txt'], [...deep.slice(0, 3), 'Moved Here.txt']);
  files.set(`/${[...deep.slice(0, 3), 'Moved Here.txt'].join('/')}`, files.get('/moveme.txt')!);
  files.delete('/moveme.txt');
  await put(['victim.txt'], pattern(10, 9));
  await vol.rename(['readme.txt'], ['victim.txt']);
  files.set('/victim.txt', files.get('/readme.txt')!);
  files.delete('/readme.txt');
  await vol.unlink(['Long File Name number 3.text']);
  files.delete('/Long File Name number 3.text');
  await vol.rename([deep[0]!, deep[1]!, deep[2]!, deep[3]!], ['moved subtree']);
  for (const [k, v] of [...files]) {
    const prefix = `/${deep.slice(0, 4).join('/')}`;
    if (k.startsWith(`${prefix}/`)) {
      files.delete(k);
      files.set(`/moved subtree${k.slice(prefix.length)}`, v);
    }
  }
  return files;
}

async function fillDisk(vol: FatVolume, files: Map<string, Uint8Array>): Promise<void> {
  const f = await vol.open(['filler.bin'], { write: true, create: true });
  const chunk = pattern(64 * 1024 + 3, 11);
  const pieces: Uint8Array[] = [];
  let size = 0;
  let err: unknown;
  for (let i = 0; i < 100000; i++) {
    try {
      await f.write(size, chunk);
      size += chunk.length;
      pieces.push(chunk);
    } catch (e) {
      err = e;
      break;
    }
  }
  expect((err as { code?: string }).code).toBe('ENOSPC');
  // Top up the last clusters byte-exactly with smaller writes.
  for (let piece = 32768; piece >= 512; piece /= 2) {
    for (;;) {
      try {
        await f.write(size, chunk.subarray(0, piece));
        size += piece;
        pieces.push(chunk.subarray(0, piece));
      } catch {
        break;
      }
    }
  }
  await f.close();
  const space = await vol.statfs();
  expect(space.freeBlocks).toBe(0);
  const data = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    data.set(p, at);
    at += p.length;
  }
  files.set('/filler.bin', data);
}

const layouts = [
  { type: 12 as const, sectors: 8192, clusterSize: undefined },
  { type: 16 as const, sectors: 65536, clusterSize: undefined },
  { type: 32 as const, sectors: 81920, clusterSize: 512 },
];

describe.skipIf(!available)('libos-written images pass fsck.fat and read back with mtools', () => {
  for (const l of layouts) {
    it(`FAT${l.type}: long names, deep dirs, many clusters, full disk`, async () => {
      const disk = new RamDisk({ sectorCount: l.sectors });
      const opts = l.clusterSize ? { type: l.type, clusterSize: l.clusterSize } : { type: l.type };
      await formatFat(disk, { ...opts, label: 'LIBOS TEST', clock });
      const vol = await mountFat(disk, { clock });
      expect(vol.type).toBe(l.type);
      const cb = vol.geometry.bytesPerSector * vol.geometry.sectorsPerCluster;
      const files = await buildTree(vol, cb);
      await fillDisk(vol, files);
      await vol.unmount();
      const img = join(tmp.dir, `libos-fat${l.type}.img`);
      saveImage(disk, img);
      const check = fsck(img);
      expect(check.output).not.toMatch(
        /Free cluster summary wrong|Checking dir|will be|Orphan|Lost|Dirty|Cross-linked/i,
      );
      expect(check.status, check.output).toBe(0);
      const out = join(tmp.dir, `export-fat${l.type}`);
      mexport(img, out);
      for (const [path, data] of files) {
        const back = readFileSync(join(out, path));
        expect(back.length, path).toBe(data.length);
        expect(Buffer.compare(back, Buffer.from(data)), path).toBe(0);
      }
      // Spot checks through mtype/mcopy of single files too.
      expect(mread(img, '/UPPER.TXT')).toEqual(files.get('/UPPER.TXT'));
      expect(tool('mtype', ['-i', img, '::/Plain Text Notes.txt'])).toBe(
        'hello from libos\nsecond line\n',
      );
      const rootNames = mlist(img, '/').map((p) => p.replace(/^::\//, '').replace(/\/$/, ''));
      for (const path of files.keys()) {
        const top = path.split('/')[1]!;
        expect(rootNames).toContain(top);
      }
      // And libos reads its own image back after a remount.
      const again = await mountFat(loadImage(img), { clock, readOnly: true });
      for (const [path, data] of files) {
        const back = await readFile(again, path.split('/').slice(1));
        expect(Buffer.compare(Buffer.from(back), Buffer.from(data)), path).toBe(0);
      }
    }, 120_000);
  }
});

describe.skipIf(!available)(
  'images made by mkfs.fat + mcopy and by mformat are read exactly',
  () => {
    const cases = [
      { name: 'mkfs.fat FAT12', make: (img: string) => tool('mkfs.fat', ['-C', img, '2048']) },
      { name: 'mkfs.fat FAT16', make: (img: string) => tool('mkfs.fat', ['-C', img, '32768']) },
      {
        name: 'mkfs.fat FAT32',
        make: (img: string) =>
          tool('mkfs.fat', ['-F', '32', '-S', '512', '-s', '1', '-C', img, '40960']),
      },
      {
        name: 'mformat FAT12',
        make: (img: string) => tool('mformat', ['-C', '-f', '1440', '-i', img, '::']),
      },
      {
        name: 'mformat FAT16',
        make: (img: string) =>
          tool('mformat', ['-C', '-T', '65536', '-h', '4', '-s', '32', '-i', img, '::']),
      },
      {
        name: 'mformat FAT32',
        make: (img: string) =>
          tool('mformat', [
            '-C',
            '-F',
            '-T',
            '131072',
            '-h',
            '4',
            '-s',
            '32',
            '-c',
            '1',
            '-i',
            img,
            '::',
          ]),
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const img = join(tmp.dir, `${c.name.replace(/\W/g, '_')}.img`);
        c.make(img);
        const expected = new Map<string, Uint8Array>();
        const srcDir = tempDir();
        try {
          const put = (path: string, data: Uint8Array) => {
            const host = join(srcDir.dir, `f${expected.size}`);
            writeFileSync(host, data);
            const parts = path.split('/').slice(1);
            for (let i = 1; i < parts.length; i++) {
              try {
                tool('mmd', ['-i', img, `::/${parts.slice(0, i).join('/')}`]);
              } catch {
                // already there
              }
            }
            tool('mcopy', ['-i', img, host, `::${path}`]);
            expected.set(path, data);
          };
          put('/SHORT.TXT', pattern(10, 1));
          put('/lower.txt', pattern(600, 2));
          put('/A Long Name With Spaces.data', pattern(5000, 3));
          put('/Ünïcödé.txt', pattern(70, 4));
          put('/dir one/sub dir/nested file.bin', pattern(20000, 5));
          for (let i = 0; i < 8; i++) put(`/many/file number ${i}.txt`, pattern(i * 13, 10 + i));
        } finally {
          srcDir.cleanup();
        }
        expect(fsck(img).status).toBe(0);
        const vol = await mountFat(loadImage(img), { clock });
        for (const [path, data] of expected) {
          const parts = path.split('/').slice(1);
          const names = (await vol.readdir(parts.slice(0, -1))).map((e) => e.name);
          expect(names, path).toContain(parts[parts.length - 1]);
          expect((await vol.stat(parts)).size).toBe(data.length);
          expect(
            Buffer.compare(Buffer.from(await readFile(vol, parts)), Buffer.from(data)),
            path,
          ).toBe(0);
        }
      }, 60_000);
    }
  },
);

describe.skipIf(!available)('geometry matches mkfs.fat', () => {
  for (const kib of [360, 1440, 2880, 4096, 8192, 16384, 65536, 262144, 524288]) {
    it(`${kib} KiB`, () => {
      const img = join(tmp.dir, `geo-${kib}.img`);
      tool('sh', [
        '-c',
        `rm -f '${img}' && truncate -s ${kib}K '${img}' && mkfs.fat '${img}' >/dev/null`,
      ]);
      const boot = new Uint8Array(readFileSync(img).subarray(0, 512));
      const mine = planFatGeometry((kib * 1024) / 512, 512, {});
      const fsType = String.fromCharCode(
        ...(boot[22] === 0 && boot[23] === 0 ? boot.subarray(82, 87) : boot.subarray(54, 59)),
      );
      expect(`FAT${mine.type}`).toBe(fsType.trim());
      expect(mine.sectorsPerCluster).toBe(boot[13]);
    }, 30_000);
  }
});
