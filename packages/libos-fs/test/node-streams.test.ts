import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createFileSystem, ManualWallClock, MemoryVolume } from '@libos/fs';
import { createReadStream, createWriteStream, toNodeReadable } from '@libos/fs/node';
import { describe, expect, it } from 'vitest';

function setup() {
  const fs = createFileSystem();
  fs.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
  fs.mount(
    '/small',
    new MemoryVolume({ clock: new ManualWallClock(), capacityBytes: 16_384, blockSize: 512 }),
  );
  return fs;
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

async function collect(r: Readable): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c as Uint8Array);
  return new Uint8Array(Buffer.concat(parts));
}

describe('Node.js streams over libos files', () => {
  it('createReadStream reads the whole file and a range', async () => {
    const fs = setup();
    const data = pattern(300_000);
    await fs.writeFile('/f', data);
    const whole = await collect(createReadStream(fs, '/f', { highWaterMark: 10_000 }));
    // Buffer.compare: a deep toEqual of 300 KB is slow.
    expect(Buffer.compare(whole, data)).toBe(0);
    const range = await collect(toNodeReadable(fs, '/f', { start: 5, end: 99_999 }));
    expect(Buffer.compare(range, data.subarray(5, 100_000))).toBe(0);
  });

  it('createReadStream stops reading while the consumer is paused', async () => {
    const fs = setup();
    await fs.writeFile('/f', pattern(1 << 20));
    const r = createReadStream(fs, '/f', { highWaterMark: 4096 });
    r.pause();
    await new Promise((resolve) => r.once('readable', resolve));
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(r.readableLength).toBeLessThanOrEqual(2 * 4096);
    r.destroy();
    await new Promise((resolve) => r.once('close', resolve));
    await fs.unmount('/small');
    await fs.unmount('/'); // the stream closed its file
  });

  it('createReadStream emits the open error', async () => {
    const fs = setup();
    await expect(collect(createReadStream(fs, '/missing'))).rejects.toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      path: '/missing',
    });
  });

  it('createWriteStream writes in order, signals back-pressure, and closes on finish', async () => {
    const fs = setup();
    const w = createWriteStream(fs, '/out', { highWaterMark: 1000 });
    let sawFalse = false;
    for (let i = 0; i < 10; i++) {
      if (!w.write(new Uint8Array(500).fill(i))) sawFalse = true;
    }
    expect(sawFalse).toBe(true);
    await new Promise((resolve) => w.once('drain', resolve));
    await new Promise<void>((resolve, reject) =>
      w.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
    const back = await fs.readFile('/out');
    expect(back.length).toBe(5000);
    for (let i = 0; i < 10; i++) expect(back[i * 500 + 499]).toBe(i);
    await fs.unmount('/small');
    await fs.unmount('/');
  });

  it('pipeline from a host Readable, append mode and start position', async () => {
    const fs = setup();
    await pipeline(
      Readable.from([Buffer.from('hello '), Buffer.from('world')]),
      createWriteStream(fs, '/t'),
    );
    await pipeline(Readable.from([Buffer.from('!')]), createWriteStream(fs, '/t', { flags: 'a' }));
    await pipeline(
      Readable.from([Buffer.from('W')]),
      createWriteStream(fs, '/t', { flags: 'r+', start: 6 }),
    );
    expect(await fs.readFile('/t', 'utf8')).toBe('hello World!');
    let text = '';
    await pipeline(
      createReadStream(fs, '/t'),
      new Writable({
        write(chunk: Buffer, _e, cb) {
          text += chunk.toString();
          cb();
        },
      }),
    );
    expect(text).toBe('hello World!');
  });

  it('a failed write (ENOSPC) errors the stream', async () => {
    const fs = setup();
    await expect(
      pipeline(
        Readable.from([Buffer.alloc(8000), Buffer.alloc(8000), Buffer.alloc(8000)]),
        createWriteStream(fs, '/small/x'),
      ),
    ).rejects.toMatchObject({ code: 'ENOSPC', syscall: 'write' });
    // 31 free 512-byte blocks: the first 8000 bytes fit, the second chunk does not.
    expect((await fs.stat('/small/x')).size).toBe(8000);
    await fs.unmount('/small'); // the stream closed its file
  });
});
