import { createHash } from 'node:crypto';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createFileSystem, ManualWallClock, MemoryVolume } from '@libos/fs';
import { copyFileSystemToHostDirectory, copyHostDirectoryToFileSystem } from '@libos/fs/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-copy-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every file under `root` as relative path → sha256, and every directory. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const stack = [root];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const dir = stack.pop() as string;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        out[`${relative(root, p)}/`] = 'dir';
        stack.push(p);
      } else if (e.isFile()) {
        out[relative(root, p)] = createHash('sha256')
          .update(await readFile(p))
          .digest('hex');
      }
    }
  }
  return out;
}

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'a/b/c'), { recursive: true });
  await mkdir(join(root, 'empty'));
  await writeFile(join(root, 'top.txt'), 'top level\n');
  await writeFile(join(root, 'a/zero.bin'), new Uint8Array(0));
  await writeFile(
    join(root, 'a/b/c/deep.bin'),
    Uint8Array.from({ length: 3_000_001 }, (_, i) => (i * 13) & 0xff),
  );
  await writeFile(join(root, 'a/b/name with spaces & ünïcode.txt'), 'x'.repeat(5000));
  await utimes(
    join(root, 'top.txt'),
    new Date('2021-03-04T05:06:08Z'),
    new Date('2021-03-04T05:06:08Z'),
  );
}

describe('copying trees between the host and a libos file system', () => {
  it('host → libos → host round-trips byte-exact, with times', async () => {
    const src = join(work, 'src');
    await makeTree(src);
    await symlink(join(src, 'top.txt'), join(src, 'link'));
    const fs = createFileSystem();
    fs.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
    const inResult = await copyHostDirectoryToFileSystem(src, fs, '/image/root');
    expect(inResult).toMatchObject({ files: 4, directories: 5, bytes: 10 + 3_000_001 + 5000 });
    expect(inResult.skipped).toEqual([join(src, 'link')]);
    expect(await fs.readFile('/image/root/top.txt', 'utf8')).toBe('top level\n');
    expect((await fs.stat('/image/root/top.txt')).mtime.toISOString()).toBe(
      '2021-03-04T05:06:08.000Z',
    );
    const out = join(work, 'out');
    const outResult = await copyFileSystemToHostDirectory(fs, '/image/root/', out);
    expect(outResult).toMatchObject({ files: 4, directories: 5, bytes: inResult.bytes });
    const expected = await snapshot(src);
    delete expected['link'];
    expect(await snapshot(out)).toEqual(expected);
    expect((await stat(join(out, 'top.txt'))).mtime.toISOString()).toBe('2021-03-04T05:06:08.000Z');
  });

  it('copies into the root of a file system and replaces existing files', async () => {
    const src = join(work, 'src2');
    await mkdir(src);
    await writeFile(join(src, 'f'), 'new');
    const fs = createFileSystem();
    fs.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
    await fs.writeFile('/f', 'old and longer');
    await copyHostDirectoryToFileSystem(src, fs, '/', { preserveTimes: false });
    expect(await fs.readFile('/f', 'utf8')).toBe('new');
    const out = join(work, 'out2');
    await mkdir(out);
    await writeFile(join(out, 'f'), 'previous contents, longer');
    await copyFileSystemToHostDirectory(fs, '/', out);
    expect(await readFile(join(out, 'f'), 'utf8')).toBe('new');
  });

  it('bounds the depth', async () => {
    const src = join(work, 'deep');
    await mkdir(join(src, '1/2/3/4'), { recursive: true });
    const fs = createFileSystem();
    fs.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
    await expect(copyHostDirectoryToFileSystem(src, fs, '/x', { maxDepth: 3 })).rejects.toThrow(
      RangeError,
    );
    await copyHostDirectoryToFileSystem(src, fs, '/y', { maxDepth: 4 });
    expect((await fs.stat('/y/1/2/3/4')).isDirectory()).toBe(true);
    await expect(
      copyFileSystemToHostDirectory(fs, '/y', join(work, 'deep-out'), { maxDepth: 2 }),
    ).rejects.toThrow(RangeError);
    await expect(copyHostDirectoryToFileSystem(src, fs, '/z', { maxDepth: -1 })).rejects.toThrow(
      RangeError,
    );
  });
});
