import {
  createFileSystem,
  FsCorruptionError,
  FsError,
  ManualWallClock,
  MemoryVolume,
  type Volume,
} from '@libos/fs';
import { describe, expect, it } from 'vitest';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof FsError ? `${e.code} ${e.syscall}` : `other: ${String(e)}`;
  }
}

function twoMounts() {
  const clock = new ManualWallClock(Date.UTC(2024, 0, 1));
  const root = new MemoryVolume({ clock });
  const data = new MemoryVolume({ clock, capacityBytes: 64 * 1024, blockSize: 1024 });
  const fs = createFileSystem();
  fs.mount('/', root);
  fs.mount('/mnt/data', data);
  return { fs, root, data, clock };
}

describe('FileSystem mount table', () => {
  it('routes paths to the longest matching mount point, by whole components', async () => {
    const { fs, root, data } = twoMounts();
    await fs.writeFile('/mnt/data/a.txt', 'on data');
    await fs.mkdir('/mnt'); // makes the implicit directory real on the root volume
    await fs.mkdir('/mnt/database');
    await fs.writeFile('/mnt/database/b.txt', 'on root');
    expect((await data.readdir([])).map((e) => e.name)).toEqual(['a.txt']);
    expect((await root.readdir(['mnt'])).map((e) => e.name)).toEqual(['database']);
    expect(await fs.readFile('/mnt/./x/../data//a.txt', 'utf8')).toBe('on data');
    expect(fs.mounts().map((m) => m.path)).toEqual(['/', '/mnt/data']);
    expect((await fs.readdir('/mnt')).sort()).toEqual(['data', 'database']);
  });

  it('directories above a mount point exist and list it', async () => {
    const { fs } = twoMounts();
    expect((await fs.stat('/mnt')).isDirectory()).toBe(true);
    expect(await fs.readdir('/mnt')).toEqual(['data']);
    expect(await fs.readdir('/')).toEqual(['mnt']);
    const entries = await fs.readdir('/mnt', { withFileTypes: true });
    expect(entries.map((e) => [e.name, e.isDirectory(), e.parentPath])).toEqual([
      ['data', true, '/mnt'],
    ]);
    expect(await fs.exists('/mnt/data')).toBe(true);
    expect(await fs.exists('/mnt/nothing')).toBe(false);
  });

  it('without a root volume, only mount points and their ancestors exist', async () => {
    const clock = new ManualWallClock();
    const fs = createFileSystem();
    fs.mount('/srv/www', new MemoryVolume({ clock }));
    await fs.writeFile('/srv/www/index.html', '<h1>hi</h1>');
    expect(await fs.readdir('/')).toEqual(['srv']);
    expect(await codeOf(fs.stat('/etc'))).toBe('ENOENT stat');
    expect(await codeOf(fs.writeFile('/srv/x', 'x'))).toBe('EROFS open');
    expect(await codeOf(fs.mkdir('/srv'))).toBe('EEXIST mkdir');
    expect(await codeOf(fs.mkdir('/etc'))).toBe('EROFS mkdir');
    expect(await codeOf(fs.mkdir('/etc/x'))).toBe('ENOENT mkdir');
    expect(await fs.mkdir('/srv/www/a/b', { recursive: true })).toBe('/srv/www/a');
  });

  it('rename across mounts is EXDEV; mount points are EBUSY', async () => {
    const { fs } = twoMounts();
    await fs.writeFile('/a', 'x');
    const e = await fs.rename('/a', '/mnt/data/a').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FsError);
    expect(e).toMatchObject({ code: 'EXDEV', syscall: 'rename', path: '/a', dest: '/mnt/data/a' });
    expect((e as Error).message).toBe(
      "EXDEV: cross-device link not permitted, rename '/a' -> '/mnt/data/a'",
    );
    expect(await codeOf(fs.rename('/mnt/data', '/elsewhere'))).toBe('EBUSY rename');
    expect(await codeOf(fs.rename('/mnt', '/elsewhere'))).toBe('EBUSY rename');
    expect(await codeOf(fs.rmdir('/mnt/data'))).toBe('EBUSY rmdir');
    expect(await codeOf(fs.rm('/mnt', { recursive: true }))).toBe('EBUSY rm');
    expect(await fs.readFile('/a', 'utf8')).toBe('x');
  });

  it('mount twice at one place is EBUSY; unmount is EBUSY with open files, EINVAL for a non-mount', async () => {
    const { fs, data } = twoMounts();
    expect(() =>
      fs.mount('/mnt/data/', new MemoryVolume({ clock: new ManualWallClock() })),
    ).toThrow(/EBUSY/);
    expect(await codeOf(fs.unmount('/mnt'))).toBe('EINVAL umount');
    expect(await codeOf(fs.unmount('/'))).toBe('EBUSY umount');
    const h = await fs.open('/mnt/data/f', 'w');
    expect(await codeOf(fs.unmount('/mnt/data'))).toBe('EBUSY umount');
    await h.close();
    await fs.unmount('/mnt/data');
    expect(fs.mounts().map((m) => m.path)).toEqual(['/']);
    expect(await codeOf(data.stat([]))).toBe('EIO stat');
    expect(await codeOf(fs.stat('/mnt/data/f'))).toBe('ENOENT stat');
  });

  it('relative paths are EINVAL', async () => {
    const { fs } = twoMounts();
    expect(await codeOf(fs.readFile('a.txt'))).toBe('EINVAL open');
    expect(await codeOf(fs.stat('./x'))).toBe('EINVAL stat');
    expect(await codeOf(fs.mkdir(''))).toBe('EINVAL mkdir');
  });

  it('stat reports per-mount dev, 512-byte blocks, mode and times', async () => {
    const { fs, clock } = twoMounts();
    clock.advance(5000);
    await fs.writeFile('/mnt/data/f', new Uint8Array(1500));
    await fs.writeFile('/g', new Uint8Array(10));
    const s = await fs.stat('/mnt/data/f');
    const g = await fs.lstat('/g');
    expect(s.dev).not.toBe(g.dev);
    expect(s.size).toBe(1500);
    expect(s.blksize).toBe(1024);
    expect(s.blocks).toBe(4); // two 1 KiB blocks
    expect(g.blocks).toBe(8); // one 4 KiB block
    expect(s.mode).toBe(0o100644);
    expect((await fs.stat('/mnt/data')).mode).toBe(0o40755);
    expect(s.mtimeMs).toBe(Date.UTC(2024, 0, 1) + 5000);
    expect(s.mtime.getTime()).toBe(s.mtimeMs);
    expect(s.birthtime.getTime()).toBe(s.birthtimeMs);
    expect(s.ctimeMs).toBe(s.mtimeMs);
    expect(s.isFile() && !s.isDirectory() && !s.isSymbolicLink()).toBe(true);
    await fs.utimes('/g', new Date(1000), 7);
    const t = await fs.stat('/g');
    expect([t.atimeMs, t.mtimeMs]).toEqual([1000, 7000]);
  });

  it('statfs goes down on write and back on unlink; ENOSPC keeps what was written', async () => {
    const { fs } = twoMounts();
    const before = await fs.statfs('/mnt/data');
    expect(before.bsize).toBe(1024);
    await fs.writeFile('/mnt/data/f', new Uint8Array(10_000).fill(1));
    expect((await fs.statfs('/mnt/data/f')).bfree).toBe(before.bfree - 10);
    const e = await fs.writeFile('/mnt/data/big', new Uint8Array(100_000)).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ENOSPC', syscall: 'write' });
    expect(await fs.readFile('/mnt/data/f')).toEqual(new Uint8Array(10_000).fill(1));
    await fs.rm('/mnt/data/big');
    await fs.unlink('/mnt/data/f');
    expect((await fs.statfs('/mnt/data')).bfree).toBe(before.bfree);
  });

  it('read-only volumes reject changes with EROFS and access(W_OK)', async () => {
    const clock = new ManualWallClock();
    const base = new MemoryVolume({ clock });
    const f = await base.open(['f'], { write: true, create: true });
    await f.write(0, new Uint8Array([1]));
    await f.close();
    const fs = createFileSystem();
    fs.mount('/ro', base.clone({ readOnly: true }));
    expect(await fs.readFile('/ro/f')).toEqual(new Uint8Array([1]));
    await fs.access('/ro/f');
    expect(await codeOf(fs.access('/ro/f', 2))).toBe('EROFS access');
    expect(await codeOf(fs.writeFile('/ro/f', 'x'))).toBe('EROFS open');
    expect(await codeOf(fs.mkdir('/ro/d'))).toBe('EROFS mkdir');
    expect(await codeOf(fs.unlink('/ro/f'))).toBe('EROFS unlink');
    expect((await fs.stat('/ro/f')).mode).toBe(0o100444);
  });

  it('rm without recursive on a directory is EISDIR (Node: ERR_FS_EISDIR)', async () => {
    const { fs } = twoMounts();
    await fs.mkdir('/d');
    const e = await fs.rm('/d').catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'EISDIR', syscall: 'rm', path: '/d' });
    await fs.rm('/d', { recursive: true });
    expect(await fs.exists('/d')).toBe(false);
  });

  it('rm recursive removes deep trees without deep recursion', async () => {
    const { fs } = twoMounts();
    let p = '';
    for (let i = 0; i < 300; i++) p += `/d${i}`;
    await fs.mkdir(p, { recursive: true });
    await fs.writeFile(`${p}/leaf`, 'x');
    await fs.writeFile('/d0/d1/side', 'y');
    await fs.rm('/d0', { recursive: true });
    expect(await fs.readdir('/')).toEqual(['mnt']);
  });

  it('volume errors are re-reported with the caller’s syscall and path; corruption stays typed', async () => {
    const { fs } = twoMounts();
    const broken: Volume = {
      readOnly: false,
      stat: async () => {
        throw new FsCorruptionError('cross-link', 'cluster 7', 'stat', '/x');
      },
      readdir: async () => [],
      mkdir: async () => undefined,
      rmdir: async () => undefined,
      unlink: async () => undefined,
      rename: async () => undefined,
      open: async () => {
        throw new FsError('EIO', 'whatever');
      },
      utimes: async () => undefined,
      statfs: async () => ({ blockSize: 512, totalBlocks: 1, freeBlocks: 0 }),
      sync: async () => undefined,
      unmount: async () => undefined,
    };
    fs.mount('/broken', broken);
    const e = await fs.stat('/broken/file').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FsCorruptionError);
    expect(e).toMatchObject({
      code: 'EIO',
      kind: 'cross-link',
      where: 'cluster 7',
      syscall: 'stat',
      path: '/broken/file',
    });
    expect(await fs.readFile('/broken/file').catch((x: unknown) => x)).toMatchObject({
      code: 'EIO',
      syscall: 'open',
      path: '/broken/file',
      message: "EIO: i/o error, open '/broken/file'",
    });
  });
});

describe('FileSystem.sync', () => {
  it('syncs every mounted volume and reports a failure with the mount point', async () => {
    const { fs, root, data } = twoMounts();
    const synced: string[] = [];
    root.sync = async () => {
      synced.push('root');
    };
    data.sync = async () => {
      synced.push('data');
      throw new FsError('EIO', 'flush');
    };
    const e = await fs.sync().catch((x: unknown) => x);
    expect(synced).toEqual(['root', 'data']);
    expect(e).toMatchObject({ code: 'EIO', syscall: 'sync', path: '/mnt/data' });
  });
});

describe('FileHandle', () => {
  it('allocates distinct fds and reuses closed ones', async () => {
    const { fs } = twoMounts();
    const a = await fs.open('/a', 'w');
    const b = await fs.open('/b', 'w');
    expect(a.fd).not.toBe(b.fd);
    const fd = a.fd;
    await a.close();
    const c = await fs.open('/c', 'w');
    expect(c.fd).toBe(fd);
    await b.close();
    await c.close();
  });

  it('rejects bad flags, offsets and positions with EINVAL', async () => {
    const { fs } = twoMounts();
    expect(await codeOf(fs.open('/a', 'q' as 'r'))).toBe('EINVAL open');
    const h = await fs.open('/a', 'w+');
    expect(await codeOf(h.read(new Uint8Array(4), 5, 1, 0))).toBe('EINVAL read');
    expect(await codeOf(h.write(new Uint8Array(4), 0, 5))).toBe('EINVAL write');
    expect(await codeOf(h.write(new Uint8Array(4), 0, 4, -1))).toBe('EINVAL write');
    await h.close();
  });

  it('read with options, defaults, and sync/datasync', async () => {
    const { fs } = twoMounts();
    await fs.writeFile('/a', 'abcdef');
    const h = await fs.open('/a', 'r+');
    const r = await h.read(new Uint8Array(8), { offset: 1, length: 3, position: 2 });
    expect(r.bytesRead).toBe(3);
    expect([...r.buffer]).toEqual([0, 99, 100, 101, 0, 0, 0, 0]);
    const d = await h.read();
    expect(d.bytesRead).toBe(6);
    expect(d.buffer.length).toBe(16384);
    await h.sync();
    await h.datasync();
    await h.appendFile('!');
    expect(await fs.readFile('/a', 'utf8')).toBe('abcdef!');
    await h.close();
    expect(await codeOf(h.sync())).toBe('EBADF fsync');
    expect(await codeOf(h.stat())).toBe('EBADF fstat');
  });
});

describe('Web Streams', () => {
  it('createReadStream reads a range in chunks', async () => {
    const { fs } = twoMounts();
    const data = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff);
    await fs.writeFile('/big', data);
    const stream = fs.createReadStream('/big', {
      start: 1000,
      end: 150_999,
      highWaterMark: 32_768,
    });
    const chunks: Uint8Array[] = [];
    const reader = stream.getReader();
    for (let i = 0; i < 100; i++) {
      const r = await reader.read();
      if (r.done) break;
      chunks.push(r.value);
    }
    expect(chunks.every((c) => c.length <= 32_768)).toBe(true);
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    expect(all.length).toBe(150_000);
    expect(Buffer.compare(all, data.subarray(1000, 151_000))).toBe(0);
  });

  it('createReadStream reads ahead at most one chunk (back-pressure) and closes the file on cancel', async () => {
    const { fs, root } = twoMounts();
    await fs.writeFile('/big', new Uint8Array(1 << 20));
    let reads = 0;
    const origOpen = root.open.bind(root);
    root.open = async (path, options) => {
      const f = await origOpen(path, options);
      const read = f.read.bind(f);
      f.read = (pos, buf) => {
        reads++;
        return read(pos, buf);
      };
      return f;
    };
    const stream = fs.createReadStream('/big', { highWaterMark: 4096 });
    const reader = stream.getReader();
    await reader.read();
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
    expect(reads).toBeLessThanOrEqual(2);
    await reader.cancel();
    await fs.unmount('/mnt/data');
    expect(await codeOf(fs.unmount('/'))).toBe('resolved'); // the stream's file was closed
  });

  it('createReadStream refuses a start after the end', () => {
    const { fs } = twoMounts();
    expect(() => fs.createReadStream('/x', { start: 10, end: 9 })).toThrow(RangeError);
    expect(() => fs.createReadStream('/x', { highWaterMark: 0 })).toThrow(RangeError);
  });

  it('createReadStream errors with the open error', async () => {
    const { fs } = twoMounts();
    const reader = fs.createReadStream('/missing').getReader();
    await expect(reader.read()).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      path: '/missing',
    });
  });

  it('createWriteStream writes in order, applies back-pressure, and closes the file', async () => {
    const { fs } = twoMounts();
    const stream = fs.createWriteStream('/out', { highWaterMark: 1000 });
    const writer = stream.getWriter();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) pending.push(writer.write(new Uint8Array(600).fill(i)));
    // 3000 bytes queued beyond a 1000-byte high-water mark: the writer asks to wait.
    expect(writer.desiredSize).toBeLessThanOrEqual(0);
    await Promise.all(pending);
    await writer.ready;
    await writer.close();
    const back = await fs.readFile('/out');
    expect(back.length).toBe(3000);
    for (let i = 0; i < 5; i++) expect(back[i * 600]).toBe(i);
    await fs.unmount('/mnt/data');
    await fs.unmount('/'); // no handle left open
  });

  it('createWriteStream with flags a appends; a failed write errors the stream', async () => {
    const { fs } = twoMounts();
    await fs.writeFile('/log', 'one\n');
    const w = fs.createWriteStream('/log', { flags: 'a' }).getWriter();
    await w.write(new TextEncoder().encode('two\n'));
    await w.close();
    expect(await fs.readFile('/log', 'utf8')).toBe('one\ntwo\n');
    const full = fs.createWriteStream('/mnt/data/full').getWriter();
    await expect(full.write(new Uint8Array(200_000))).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(full.closed).rejects.toMatchObject({ code: 'ENOSPC' });
    await fs.unmount('/mnt/data');
  });
});
