/**
 * WHATWG Streams over {@link FileHandle}s, for browsers and any host with
 * `ReadableStream`/`WritableStream` globals. This layer compiles without DOM types, so
 * the stream classes are looked up on `globalThis` and typed by the small structural
 * interfaces below, which the real classes satisfy.
 */
import type { FileHandle } from './file-handle.js';

/**
 * The part of a `ReadableStreamDefaultReader` these streams expose.
 *
 * @example
 * ```ts
 * import type { FileStreamReader } from '@libos/fs';
 * async function first(reader: FileStreamReader) { return (await reader.read()).value; }
 * ```
 */
export interface FileStreamReader {
  /** The next chunk, or `{ done: true }` at the end. */
  read(): Promise<
    | {
        /** More may follow. */
        done: false;
        /** The chunk read. */
        value: Uint8Array;
      }
    | {
        /** The stream has ended. */
        done: true;
        /** Nothing. */
        value?: undefined;
      }
  >;
  /** Cancels the stream. */
  cancel(reason?: unknown): Promise<void>;
  /** Releases the lock on the stream. */
  releaseLock(): void;
  /** Settles when the stream closes or errors. */
  readonly closed: Promise<void>;
}

/**
 * The part of a `WritableStreamDefaultWriter` these streams expose.
 *
 * @example
 * ```ts
 * import type { FileStreamWriter } from '@libos/fs';
 * async function put(w: FileStreamWriter) { await w.write(new Uint8Array([1])); await w.close(); }
 * ```
 */
export interface FileStreamWriter {
  /** Queues a chunk; resolves when the file has taken it. */
  write(chunk: Uint8Array): Promise<void>;
  /** Closes the stream (and the file) after the queued chunks. */
  close(): Promise<void>;
  /** Aborts the stream, dropping queued chunks, and closes the file. */
  abort(reason?: unknown): Promise<void>;
  /** Releases the lock on the stream. */
  releaseLock(): void;
  /** Bytes of room left in the queue (high-water mark minus queued bytes); null when errored. */
  readonly desiredSize: number | null;
  /** Resolves when `desiredSize` becomes positive (back-pressure). */
  readonly ready: Promise<void>;
  /** Settles when the stream closes or errors. */
  readonly closed: Promise<void>;
}

/**
 * The part of a WHATWG `WritableStream` exposed here; the object is the host's real
 * `WritableStream` — in a DOM or Node.js program cast it
 * (`w as unknown as WritableStream<Uint8Array>`) to use the full API.
 *
 * @example
 * ```ts
 * import type { FileWritableStream } from '@libos/fs';
 * const busy = (w: FileWritableStream) => w.locked;
 * ```
 */
export interface FileWritableStream {
  /** Whether a writer holds the lock. */
  readonly locked: boolean;
  /** A writer that holds the lock. */
  getWriter(): FileStreamWriter;
  /** Aborts the stream. */
  abort(reason?: unknown): Promise<void>;
  /** Closes the stream. */
  close(): Promise<void>;
}

/**
 * The part of a WHATWG `ReadableStream` exposed here; the object is the host's real
 * `ReadableStream` — in a DOM or Node.js program cast it
 * (`r as unknown as ReadableStream<Uint8Array>`) to use the full API (async iteration,
 * `pipeThrough`...).
 *
 * @example
 * ```ts
 * import type { FileReadableStream } from '@libos/fs';
 * const busy = (r: FileReadableStream) => r.locked;
 * ```
 */
export interface FileReadableStream {
  /** Whether a reader holds the lock. */
  readonly locked: boolean;
  /** A reader that holds the lock. */
  getReader(): FileStreamReader;
  /** Cancels the stream (and closes the file). */
  cancel(reason?: unknown): Promise<void>;
  /** Pipes every chunk into `destination`, then closes it. */
  pipeTo(destination: FileWritableStream): Promise<void>;
}

/**
 * Options of {@link FileSystem.createReadStream}, as in Node's `fs.createReadStream`.
 *
 * @example
 * ```ts
 * import type { ReadStreamOptions } from '@libos/fs';
 * const firstKiB: ReadStreamOptions = { start: 0, end: 1023 };
 * ```
 */
export interface ReadStreamOptions {
  /** First byte to read. Default 0. */
  readonly start?: number;
  /** Last byte to read, inclusive. Default: the end of the file. */
  readonly end?: number;
  /** Largest chunk, in bytes. Default 65536. */
  readonly highWaterMark?: number;
}

/**
 * Options of {@link FileSystem.createWriteStream}, as in Node's `fs.createWriteStream`.
 *
 * @example
 * ```ts
 * import type { WriteStreamOptions } from '@libos/fs';
 * const append: WriteStreamOptions = { flags: 'a' };
 * ```
 */
export interface WriteStreamOptions {
  /** How to open the file. Default `'w'`. */
  readonly flags?: 'w' | 'wx' | 'a' | 'ax' | 'r+';
  /** Byte position of the first write. Default 0 (ignored in append mode). */
  readonly start?: number;
  /** Bytes queued before `writer.ready` waits. Default 65536. */
  readonly highWaterMark?: number;
}

interface PullController {
  enqueue(chunk: Uint8Array): void;
  close(): void;
}
interface HostStreams {
  ReadableStream?: new (
    source: {
      start(): Promise<void>;
      pull(controller: PullController): Promise<void>;
      cancel(reason: unknown): Promise<void>;
    },
    strategy: { highWaterMark: number },
  ) => FileReadableStream;
  WritableStream?: new (
    sink: {
      start(): Promise<void>;
      write(chunk: Uint8Array): Promise<void>;
      close(): Promise<void>;
      abort(reason: unknown): Promise<void>;
    },
    strategy: { highWaterMark: number; size(chunk: Uint8Array): number },
  ) => FileWritableStream;
}

const DEFAULT_CHUNK = 65536;

function hostStreams(): Required<HostStreams> {
  const host = globalThis as unknown as HostStreams;
  if (host.ReadableStream === undefined || host.WritableStream === undefined) {
    throw new TypeError('this host has no ReadableStream/WritableStream');
  }
  return host as Required<HostStreams>;
}

function checkOption(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min)) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  }
}

/**
 * A `ReadableStream` of a file's bytes from `start` to `end` (inclusive), read one chunk
 * per pull: a consumer that stops reading stops the reads. The file is opened when the
 * stream starts and closed at the end, on error and on cancel.
 *
 * @param open Opens the file for reading.
 * @param options Range and chunk size.
 * @throws TypeError when the host has no Web Streams; RangeError for bad options.
 * @example
 * ```ts
 * // Used by FileSystem.createReadStream:
 * const stream = fileReadableStream(() => fs.open('/a.bin', 'r'), { start: 10 });
 * ```
 */
export function fileReadableStream(
  open: () => Promise<FileHandle>,
  options: ReadStreamOptions = {},
): FileReadableStream {
  const { ReadableStream } = hostStreams();
  checkOption(options.start, 'start', 0);
  checkOption(options.end, 'end', 0);
  checkOption(options.highWaterMark, 'highWaterMark', 1);
  if (options.end !== undefined && (options.start ?? 0) > options.end) {
    throw new RangeError(`start ${options.start} is after end ${options.end}`);
  }
  const chunk = options.highWaterMark ?? DEFAULT_CHUNK;
  let position = options.start ?? 0;
  const stop = options.end === undefined ? Number.POSITIVE_INFINITY : options.end + 1;
  let handle: FileHandle | undefined;
  const finish = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream(
    {
      async start() {
        handle = await open();
      },
      async pull(controller) {
        const h = handle;
        const want = Math.min(chunk, stop - position);
        if (h === undefined || want <= 0) {
          await finish();
          controller.close();
          return;
        }
        try {
          const { bytesRead, buffer } = await h.read(new Uint8Array(want), 0, want, position);
          if (bytesRead === 0) {
            await finish();
            controller.close();
            return;
          }
          position += bytesRead;
          controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
        } catch (e) {
          await finish().catch(() => undefined);
          throw e;
        }
      },
      cancel: finish,
    },
    // One chunk of read-ahead at most.
    { highWaterMark: 1 },
  );
}

/**
 * A `WritableStream` into a file: each chunk is written at the next position (the end in
 * append mode) and the write's promise resolves when the volume took it, so
 * `writer.ready` carries back-pressure. The file is opened when the stream starts and
 * closed on close and abort; a failed write errors the stream and closes the file.
 *
 * @param open Opens the file for writing.
 * @param options Start position and queue size.
 * @throws TypeError when the host has no Web Streams; RangeError for bad options.
 * @example
 * ```ts
 * // Used by FileSystem.createWriteStream:
 * const stream = fileWritableStream(() => fs.open('/out.bin', 'w'));
 * ```
 */
export function fileWritableStream(
  open: () => Promise<FileHandle>,
  options: Pick<WriteStreamOptions, 'start' | 'highWaterMark'> = {},
): FileWritableStream {
  const { WritableStream } = hostStreams();
  checkOption(options.start, 'start', 0);
  checkOption(options.highWaterMark, 'highWaterMark', 1);
  let position = options.start ?? 0;
  let handle: FileHandle | undefined;
  const finish = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new WritableStream(
    {
      async start() {
        handle = await open();
      },
      async write(data) {
        const h = handle;
        if (h === undefined) throw new TypeError('file stream already closed');
        try {
          await h.write(data, 0, data.length, position);
        } catch (e) {
          await finish().catch(() => undefined);
          throw e;
        }
        position += data.length;
      },
      close: finish,
      abort: finish,
    },
    { highWaterMark: options.highWaterMark ?? DEFAULT_CHUNK, size: (c) => c.byteLength },
  );
}
