/**
 * FS-API-SMALL: writeFile + readFile of 4 KiB files through the libos FileSystem over a
 * MemoryVolume, against node:fs/promises on a host tmp directory (page cache, real
 * syscalls). Measures the API layer's per-call cost: path normalisation, mount lookup,
 * handle bookkeeping and the volume calls.
 *
 * FS-API-STREAM: an 8 MiB file read through the Web ReadableStream of each API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileSystem, ManualWallClock, MemoryVolume } from '@libos/fs';
import type { Comparison } from '../../../bench/harness.js';

const FILE_BYTES = 4096;
const FILES = 64;
const ROUNDS = 4;

const data = Uint8Array.from({ length: FILE_BYTES }, (_, i) => i & 0xff);
let sink = 0;

const fs = createFileSystem();
fs.mount('/', new MemoryVolume({ clock: new ManualWallClock() }));
await fs.mkdir('/bench');

const hostDir = mkdtempSync(join(tmpdir(), 'libos-bench-files-'));
process.on('exit', () => rmSync(hostDir, { recursive: true, force: true }));

const STREAM_MIB = 8;
const streamData = Uint8Array.from({ length: STREAM_MIB << 20 }, (_, i) => (i * 131) & 0xff);
await fs.writeFile('/bench/stream.bin', streamData);
await nodeFs.writeFile(join(hostDir, 'stream.bin'), streamData);

export const comparisons: Comparison[] = [
  {
    id: 'FS-API-SMALL',
    title:
      'writeFile + readFile of 4 KiB files: libos FileSystem over MemoryVolume vs node:fs/promises',
    conditions: `${FILES} files of ${FILE_BYTES} B rewritten and read back ${ROUNDS}× per sample; baseline on a host tmpdir (page cache)`,
    subject: {
      name: 'libos fs.writeFile+readFile',
      ops: FILES * ROUNDS,
      run: async () => {
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < FILES; i++) {
            const p = `/bench/f${i}`;
            await fs.writeFile(p, data);
            sink += (await fs.readFile(p)).length;
          }
        }
      },
    },
    baseline: {
      name: 'node:fs/promises writeFile+readFile',
      ops: FILES * ROUNDS,
      run: async () => {
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < FILES; i++) {
            const p = join(hostDir, `f${i}`);
            await nodeFs.writeFile(p, data);
            sink += (await nodeFs.readFile(p)).length;
          }
        }
      },
    },
    goal: 5,
    floor: 2,
  },
  {
    id: 'FS-API-STREAM',
    title:
      'sequential read of an 8 MiB file through a Web ReadableStream: libos vs node:fs/promises',
    conditions: `8 MiB file, 64 KiB chunks; libos FileSystem over MemoryVolume vs FileHandle.readableWebStream() on a host tmpdir (page cache); ops = MiB`,
    subject: {
      name: 'libos fs.createReadStream',
      ops: STREAM_MIB,
      run: async () => {
        const reader = fs.createReadStream('/bench/stream.bin').getReader();
        for (let i = 0; i < 1024; i++) {
          const r = await reader.read();
          if (r.done) break;
          sink += r.value.length;
        }
      },
    },
    baseline: {
      name: 'node FileHandle.readableWebStream',
      ops: STREAM_MIB,
      run: async () => {
        const h = await nodeFs.open(join(hostDir, 'stream.bin'));
        try {
          const reader = h.readableWebStream().getReader();
          for (let i = 0; i < 1024; i++) {
            const r = await reader.read();
            if (r.done) break;
            sink += (r.value as ArrayBuffer).byteLength;
          }
        } finally {
          await h.close();
        }
      },
    },
    goal: 1,
    floor: 0.5,
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
