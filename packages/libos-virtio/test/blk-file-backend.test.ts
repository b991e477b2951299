/**
 * FileBlockBackend (Node): the conformance suite through virtio-blk on a temp file,
 * bytes land at the right file offsets, flush reaches fdatasync / fsync.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlockDevice } from '@libos/fs/testing';
import { FileBlockBackend } from '@libos/virtio/node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { blkPair, pattern } from './blk-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'libos-blk-'));
let counter = 0;
const tempPath = (): string => join(dir, `disk-${counter++}.img`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function subject(bytes: number, readOnly: boolean, blockSize = 512) {
  const path = tempPath();
  writeFileSync(path, new Uint8Array(bytes));
  const backend = await FileBlockBackend.open(path, { readOnly });
  const { driver, model } = await blkPair(backend, { blockSize });
  return {
    device: driver,
    dispose: async () => {
      await driver.close();
      model.stop();
      await backend.close();
      rmSync(path, { force: true });
    },
  };
}

describeBlockDevice('virtio-blk (inline, file backend)', {
  create: () => subject(128 * 512, false),
  createReadOnly: () => subject(128 * 512, true),
});

describeBlockDevice('virtio-blk (inline, file backend, 4096-byte blocks)', {
  create: () => subject(80 * 4096, false, 4096),
  createReadOnly: () => subject(80 * 4096, true, 4096),
});

describe('FileBlockBackend', () => {
  it('puts bytes written through the driver at the right file offsets', async () => {
    const path = tempPath();
    const backend = await FileBlockBackend.open(path, { create: true, byteLength: 64 * 4096 });
    expect(readFileSync(path).length).toBe(64 * 4096);
    const { driver } = await blkPair(backend, { blockSize: 4096 });
    const a = pattern(1, 4096);
    const b = pattern(2, 3 * 4096);
    await Promise.all([driver.write(0, a), driver.write(10, b), driver.write(63, a)]);
    await driver.flush();
    const file = readFileSync(path);
    expect(new Uint8Array(file.subarray(0, 4096))).toEqual(a);
    expect(new Uint8Array(file.subarray(10 * 4096, 13 * 4096))).toEqual(b);
    expect(new Uint8Array(file.subarray(63 * 4096))).toEqual(a);
    expect(file.subarray(4096, 10 * 4096).every((x) => x === 0)).toBe(true);
    await driver.close();
    await backend.close();
  });

  it('reads what is in the file and respects a read-only open', async () => {
    const path = tempPath();
    const image = pattern(3, 32 * 512);
    writeFileSync(path, image);
    const backend = await FileBlockBackend.open(path, { readOnly: true });
    const { driver } = await blkPair(backend);
    expect(driver.readOnly).toBe(true);
    expect(driver.sectorCount).toBe(32);
    const back = new Uint8Array(4 * 512);
    await driver.read(7, back);
    expect(back).toEqual(image.subarray(7 * 512, 11 * 512));
    await expect(driver.write(0, back)).rejects.toMatchObject({ code: 'EROFS' });
    await expect(backend.write(0, back)).rejects.toThrow(/read-only/);
    expect(new Uint8Array(readFileSync(path))).toEqual(image);
    await driver.close();
    await backend.close();
  });

  it('flush calls fdatasync (default) or fsync', async () => {
    for (const syncMode of ['datasync', 'sync'] as const) {
      const path = tempPath();
      const backend = await FileBlockBackend.open(path, {
        create: true,
        byteLength: 8192,
        syncMode,
      });
      const { driver } = await blkPair(backend);
      await driver.write(1, pattern(4, 512));
      // Count calls on the FileHandle class the backend's handle belongs to (calls through).
      const proto = Object.getPrototypeOf(await closedHandle(path)) as FileHandle;
      const datasync = vi.spyOn(proto, 'datasync');
      const sync = vi.spyOn(proto, 'sync');
      try {
        await driver.flush();
        expect([datasync.mock.calls.length, sync.mock.calls.length]).toEqual(
          syncMode === 'datasync' ? [1, 0] : [0, 1],
        );
      } finally {
        datasync.mockRestore();
        sync.mockRestore();
      }
      await driver.close();
      await backend.close();
    }
  });

  it('discard zeroes the range in the file', async () => {
    const path = tempPath();
    writeFileSync(path, new Uint8Array(200 * 1024).fill(5));
    const backend = await FileBlockBackend.open(path);
    await backend.discard(1024, 150 * 1024);
    const file = readFileSync(path);
    expect(file[1023]).toBe(5);
    expect(file.subarray(1024, 1024 + 150 * 1024).every((x) => x === 0)).toBe(true);
    expect(file[1024 + 150 * 1024]).toBe(5);
    await backend.close();
  });

  it('refuses ranges outside the disk and use after close', async () => {
    const path = tempPath();
    const backend = await FileBlockBackend.open(path, { create: true, byteLength: 4096 });
    await expect(backend.read(4096, new Uint8Array(1))).rejects.toBeInstanceOf(RangeError);
    await expect(backend.write(-1, new Uint8Array(1))).rejects.toBeInstanceOf(RangeError);
    await backend.close();
    await expect(backend.read(0, new Uint8Array(1))).rejects.toThrow(/closed/);
    await expect(FileBlockBackend.open(join(dir, 'missing.img'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

/** A FileHandle of the same class as the backend's, to reach the shared prototype. */
async function closedHandle(path: string): Promise<FileHandle> {
  const h = await open(path, 'r');
  await h.close();
  return h;
}
