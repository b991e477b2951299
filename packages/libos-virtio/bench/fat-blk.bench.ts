/**
 * P7 (PERFORMANCE.md): sequential write and read of one large file on FAT32 over
 * virtio-blk, the disk a file on the host (FileBlockBackend), against `node:fs` writing
 * and reading the same amount in a file on the same host disk, in the same run.
 *
 * libos path: FatVolume → VirtioBlockDriver → virtqueue → BlockDeviceModel (inline) →
 * FileBlockBackend (positional reads/writes on a host FileHandle). Both sides write in
 * 1 MiB calls and end the write with a sync (fsync / virtio-blk FLUSH).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FatVolume, formatFat, mountFat } from '@libos/fs';
import { createMachine } from '@libos/virtio';
import { FileBlockBackend } from '@libos/virtio/node';
import type { Comparison } from '../../../bench/harness.js';

const quick = process.env['LIBOS_BENCH_QUICK'] === '1';
const FILE_BYTES = (quick ? 16 : 64) << 20;
const CHUNK = 1 << 20;
const DISK_BYTES = FILE_BYTES + (32 << 20);
const clock = { now: () => Date.now() };

const dir = mkdtempSync(join(tmpdir(), 'libos-p7-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

const data = new Uint8Array(CHUNK);
for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;

let volume: Promise<FatVolume> | undefined;
/** The FAT32 volume on a virtio-blk disk backed by a host file, made once. */
function fat(): Promise<FatVolume> {
  volume ??= (async () => {
    const backend = await FileBlockBackend.open(join(dir, 'disk.img'), {
      create: true,
      byteLength: DISK_BYTES,
    });
    const machine = await createMachine({
      memoryBytes: 16 << 20,
      devices: [{ kind: 'blk', backend, blockSize: 512, driver: { maxTransferBytes: 1 << 20 } }],
    });
    const disk = machine.devices[0].driver;
    await formatFat(disk, { clock, type: 32 });
    return mountFat(disk, { clock });
  })();
  return volume;
}

async function libosWrite(): Promise<void> {
  const v = await fat();
  const file = await v.open(['big.bin'], { write: true, create: true, truncate: true });
  for (let at = 0; at < FILE_BYTES; at += CHUNK) await file.write(at, data);
  await file.sync();
  await file.close();
}

async function libosRead(): Promise<void> {
  const v = await fat();
  const file = await v.open(['big.bin'], {});
  const buffer = new Uint8Array(CHUNK);
  let total = 0;
  for (let at = 0; at < FILE_BYTES; at += CHUNK) total += await file.read(at, buffer);
  await file.close();
  if (total !== FILE_BYTES) throw new Error(`read ${total} of ${FILE_BYTES} bytes`);
}

async function nodeWrite(): Promise<void> {
  const handle = await open(join(dir, 'node-big.bin'), 'w');
  for (let at = 0; at < FILE_BYTES; at += CHUNK) await handle.write(data, 0, CHUNK, at);
  await handle.sync();
  await handle.close();
}

async function nodeRead(): Promise<void> {
  const handle = await open(join(dir, 'node-big.bin'), 'r');
  const buffer = new Uint8Array(CHUNK);
  let total = 0;
  for (let at = 0; at < FILE_BYTES; at += CHUNK) {
    total += (await handle.read(buffer, 0, CHUNK, at)).bytesRead;
  }
  await handle.close();
  if (total !== FILE_BYTES) throw new Error(`read ${total} of ${FILE_BYTES} bytes`);
}

const conditions = (op: string) =>
  `${FILE_BYTES >> 20} MiB file ${op} in 1 MiB calls${op === 'written' ? ', then sync' : ''}; ` +
  'libos: FAT32 (512-byte sectors) over virtio-blk (inline device model, 1 MiB max transfer) on a ' +
  'FileBlockBackend image in the OS temp dir; node:fs: a FileHandle on a file in the same dir';

export const comparisons: Comparison[] = [
  {
    id: 'P7-write',
    title: 'FAT over virtio-blk sequential write vs node:fs on the same disk',
    conditions: conditions('written'),
    subject: { name: 'libos FAT write', ops: FILE_BYTES, run: libosWrite },
    baseline: { name: 'node:fs write', ops: FILE_BYTES, run: nodeWrite },
    goal: 0.5,
    floor: 0.25,
  },
  {
    id: 'P7-read',
    title: 'FAT over virtio-blk sequential read vs node:fs on the same disk',
    conditions: conditions('read'),
    subject: {
      name: 'libos FAT read',
      ops: FILE_BYTES,
      setup: async () => {
        const v = await fat();
        await v.stat(['big.bin']).catch(() => libosWrite());
      },
      run: libosRead,
    },
    baseline: {
      name: 'node:fs read',
      ops: FILE_BYTES,
      setup: async () => {
        await open(join(dir, 'node-big.bin'), 'r').then(
          (h) => h.close(),
          () => nodeWrite(),
        );
      },
      run: nodeRead,
    },
    goal: 0.5,
    floor: 0.25,
  },
];
