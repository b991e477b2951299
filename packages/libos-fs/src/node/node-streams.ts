import { Readable, Writable } from 'node:stream';
import type { FileHandle } from '../api/file-handle.js';
import type { FileSystem } from '../api/file-system.js';
import type { ReadStreamOptions, WriteStreamOptions } from '../api/web-streams.js';

const DEFAULT_CHUNK = 65536;

function checkOption(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * A Node.js `Readable` of a libos file's bytes from `start` to `end` (inclusive), like
 * `node:fs.createReadStream`: the file opens on construction, each `_read` reads at most
 * `highWaterMark` bytes, so a paused consumer stops the reads; the file closes at the
 * end, on error and on `destroy()`. Errors (e.g. `ENOENT` from open) are emitted as
 * `'error'` with the `FsError`.
 *
 * @param fs The file system.
 * @param path Absolute path.
 * @param options `start`, `end`, `highWaterMark` (chunk size, default 64 KiB).
 * @throws RangeError for bad options.
 * @example
 * ```ts
 * import { createReadStream } from '@libos/fs/node';
 * import { pipeline } from 'node:stream/promises';
 * await pipeline(createReadStream(fs, '/data/a.bin'), process.stdout);
 * ```
 */
export function createReadStream(
  fs: FileSystem,
  path: string,
  options: ReadStreamOptions = {},
): Readable {
  checkOption(options.start, 'start', 0);
  checkOption(options.end, 'end', 0);
  checkOption(options.highWaterMark, 'highWaterMark', 1);
  if (options.end !== undefined && (options.start ?? 0) > options.end) {
    throw new RangeError(`start ${options.start} is after end ${options.end}`);
  }
  const chunk = options.highWaterMark ?? DEFAULT_CHUNK;
  const stop = options.end === undefined ? Number.POSITIVE_INFINITY : options.end + 1;
  let position = options.start ?? 0;
  let handle: FileHandle | undefined;
  return new Readable({
    highWaterMark: chunk,
    construct(callback) {
      fs.open(path, 'r').then(
        (h) => {
          handle = h;
          callback();
        },
        (e: Error) => callback(e),
      );
    },
    read() {
      const h = handle as FileHandle;
      const want = Math.min(chunk, stop - position);
      if (want <= 0) {
        this.push(null);
        return;
      }
      h.read(new Uint8Array(want), 0, want, position).then(
        ({ bytesRead, buffer }) => {
          if (bytesRead === 0) {
            this.push(null);
            return;
          }
          position += bytesRead;
          this.push(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
        },
        (e: Error) => this.destroy(e),
      );
    },
    destroy(error, callback) {
      const h = handle;
      handle = undefined;
      if (h === undefined) {
        callback(error);
        return;
      }
      h.close().then(
        () => callback(error),
        (e: Error) => callback(error ?? e),
      );
    },
  });
}

/**
 * Alias of {@link createReadStream}: a Node.js `Readable` over a libos file.
 *
 * @param fs The file system.
 * @param path Absolute path.
 * @param options `start`, `end`, `highWaterMark`.
 * @example
 * ```ts
 * import { toNodeReadable } from '@libos/fs/node';
 * for await (const chunk of toNodeReadable(fs, '/log.txt')) process.stdout.write(chunk);
 * ```
 */
export function toNodeReadable(
  fs: FileSystem,
  path: string,
  options: ReadStreamOptions = {},
): Readable {
  return createReadStream(fs, path, options);
}

/**
 * A Node.js `Writable` into a libos file, like `node:fs.createWriteStream`: the file
 * opens on construction (`flags`, default `'w'`), each chunk is written at the next
 * position (the end in append mode) before the stream takes the next, so `write()`
 * returns false and `'drain'` follows once `highWaterMark` bytes are pending; the file
 * closes on `end()` (after the last write, before `'finish'`), on error and on
 * `destroy()`. A failed write (e.g. `ENOSPC`) emits `'error'` with the `FsError`.
 *
 * @param fs The file system.
 * @param path Absolute path.
 * @param options `flags`, `start`, `highWaterMark` (bytes, default 64 KiB).
 * @throws RangeError for bad options.
 * @example
 * ```ts
 * import { createWriteStream } from '@libos/fs/node';
 * import { createReadStream as hostRead } from 'node:fs';
 * import { pipeline } from 'node:stream/promises';
 * await pipeline(hostRead('/etc/hosts'), createWriteStream(fs, '/hosts'));
 * ```
 */
export function createWriteStream(
  fs: FileSystem,
  path: string,
  options: WriteStreamOptions = {},
): Writable {
  checkOption(options.start, 'start', 0);
  checkOption(options.highWaterMark, 'highWaterMark', 1);
  let position = options.start ?? 0;
  let handle: FileHandle | undefined;
  const closeHandle = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new Writable({
    highWaterMark: options.highWaterMark ?? DEFAULT_CHUNK,
    decodeStrings: true,
    construct(callback) {
      fs.open(path, options.flags ?? 'w').then(
        (h) => {
          handle = h;
          callback();
        },
        (e: Error) => callback(e),
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      (handle as FileHandle).write(chunk, 0, chunk.length, position).then(
        () => {
          position += chunk.length;
          callback();
        },
        (e: Error) => callback(e),
      );
    },
    final(callback) {
      closeHandle().then(
        () => callback(),
        (e: Error) => callback(e),
      );
    },
    destroy(error, callback) {
      closeHandle().then(
        () => callback(error),
        (e: Error) => callback(error ?? e),
      );
    },
  });
}
