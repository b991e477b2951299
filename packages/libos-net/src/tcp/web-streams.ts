/**
 * WHATWG Streams over a {@link TcpStream}, for browsers and any host with
 * `ReadableStream`/`WritableStream` globals. This layer is compiled without DOM types,
 * so the stream classes are looked up on `globalThis` and typed by the small
 * structural interfaces below, which the real classes satisfy.
 */
import type { TcpStream } from './tcp-stream.js';

/**
 * The part of a `ReadableStreamDefaultReader` these adapters expose.
 *
 * @example
 * ```ts
 * import type { WebStreamReader } from '@libos/net';
 * async function first(reader: WebStreamReader<Uint8Array>) { return (await reader.read()).value; }
 * ```
 */
export interface WebStreamReader<T> {
  /** The next chunk, or `{ done: true }` at the end. */
  read(): Promise<
    | {
        /** More may follow. */
        done: false;
        /** The chunk read. */
        value: T;
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
 * The part of a `WritableStreamDefaultWriter` these adapters expose.
 *
 * @example
 * ```ts
 * import type { WebStreamWriter } from '@libos/net';
 * async function send(writer: WebStreamWriter<Uint8Array>) { await writer.write(new Uint8Array([1])); }
 * ```
 */
export interface WebStreamWriter<T> {
  /** Queues a chunk; resolves when the sink has taken it. */
  write(chunk: T): Promise<void>;
  /** Closes the stream after the queued chunks. */
  close(): Promise<void>;
  /** Aborts the stream, dropping queued chunks. */
  abort(reason?: unknown): Promise<void>;
  /** Releases the lock on the stream. */
  releaseLock(): void;
  /** Space left in the queue (high-water mark minus queued size); null when errored. */
  readonly desiredSize: number | null;
  /** Resolves when `desiredSize` becomes positive. */
  readonly ready: Promise<void>;
  /** Settles when the stream closes or errors. */
  readonly closed: Promise<void>;
}

/**
 * The part of a WHATWG `WritableStream` these adapters expose; a real `WritableStream`
 * is assignable to it.
 *
 * @example
 * ```ts
 * import type { WebWritableStream } from '@libos/net';
 * function isBusy(w: WebWritableStream<Uint8Array>): boolean { return w.locked; }
 * ```
 */
export interface WebWritableStream<T> {
  /** Whether a writer holds the lock. */
  readonly locked: boolean;
  /** A writer that holds the lock. */
  getWriter(): WebStreamWriter<T>;
  /** Aborts the stream. */
  abort(reason?: unknown): Promise<void>;
  /** Closes the stream. */
  close(): Promise<void>;
}

/**
 * Options of `pipeTo`.
 *
 * @example
 * ```ts
 * import type { WebPipeOptions } from '@libos/net';
 * const options: WebPipeOptions = { preventClose: true };
 * ```
 */
export interface WebPipeOptions {
  /** Do not close the destination when the source ends. */
  readonly preventClose?: boolean;
  /** Do not abort the destination when the source errors. */
  readonly preventAbort?: boolean;
  /** Do not cancel the source when the destination errors. */
  readonly preventCancel?: boolean;
}

/**
 * The part of a WHATWG `ReadableStream` these adapters expose. The object is a real
 * `ReadableStream` of the host; in a DOM or Node.js program cast it
 * (`readable as unknown as ReadableStream<Uint8Array>`) to use the full API.
 *
 * @example
 * ```ts
 * import type { WebReadableStream } from '@libos/net';
 * function isBusy(r: WebReadableStream<Uint8Array>): boolean { return r.locked; }
 * ```
 */
export interface WebReadableStream<T> {
  /** Whether a reader holds the lock. */
  readonly locked: boolean;
  /** A reader that holds the lock. */
  getReader(): WebStreamReader<T>;
  /** Cancels the stream. */
  cancel(reason?: unknown): Promise<void>;
  /** Pipes every chunk into `destination`, then closes it (unless told otherwise). */
  pipeTo(destination: WebWritableStream<T>, options?: WebPipeOptions): Promise<void>;
}

/**
 * The two Web Streams of a connection, made by {@link toWebStreams}.
 *
 * @example
 * ```ts
 * import { toWebStreams, type TcpWebStreams } from '@libos/net';
 * const { readable, writable }: TcpWebStreams = toWebStreams(conn);
 * ```
 */
export interface TcpWebStreams {
  /** What the peer sends; ends at its FIN; cancelling it aborts the connection. */
  readonly readable: WebReadableStream<Uint8Array>;
  /** What we send; closing it half-closes (FIN); aborting it aborts the connection. */
  readonly writable: WebWritableStream<Uint8Array>;
}

/**
 * Options of {@link toWebStreams}.
 *
 * @example
 * ```ts
 * import type { TcpWebStreamsOptions } from '@libos/net';
 * const options: TcpWebStreamsOptions = { readChunkBytes: 16384 };
 * ```
 */
export interface TcpWebStreamsOptions {
  /** Largest chunk one pull reads. Default 65536. */
  readonly readChunkBytes?: number;
}

interface PullController {
  enqueue(chunk: Uint8Array): void;
  close(): void;
}
interface HostStreams {
  ReadableStream?: new (
    source: {
      pull(controller: PullController): Promise<void>;
      cancel(reason: unknown): void;
    },
    strategy: { highWaterMark: number },
  ) => WebReadableStream<Uint8Array>;
  WritableStream?: new (
    sink: {
      write(chunk: Uint8Array): Promise<void>;
      close(): Promise<void>;
      abort(reason: unknown): void;
    },
    strategy: { highWaterMark: number },
  ) => WebWritableStream<Uint8Array>;
}

const DEFAULT_READ_CHUNK = 65536;

/**
 * Wraps a connection as a WHATWG `ReadableStream` and `WritableStream` (the host's own
 * classes). Reading is pull-based: each pull performs one `read` of the connection, so
 * a slow consumer stops reading and TCP's window closes. A write resolves when the
 * connection's send buffer took the chunk (`stream.write`), so `writer.ready` carries
 * TCP's back-pressure. Closing the writable side sends FIN; cancelling the readable or
 * aborting the writable aborts the connection (RST). Connection errors error the
 * streams with the {@link TcpError}.
 *
 * @param stream - an established connection
 * @param options - read chunk size
 * @throws TypeError when the host has no `ReadableStream`/`WritableStream`.
 * @example
 * ```ts
 * import { toWebStreams } from '@libos/net';
 * const { readable, writable } = toWebStreams(conn);
 * await readable.pipeTo(writable); // echo server
 * ```
 */
export function toWebStreams(stream: TcpStream, options: TcpWebStreamsOptions = {}): TcpWebStreams {
  const host = globalThis as unknown as HostStreams;
  const Readable = host.ReadableStream;
  const Writable = host.WritableStream;
  if (Readable === undefined || Writable === undefined) {
    throw new TypeError('this host has no ReadableStream/WritableStream');
  }
  const chunk = options.readChunkBytes ?? DEFAULT_READ_CHUNK;
  const readable = new Readable(
    {
      async pull(controller) {
        const data = await stream.read(chunk);
        if (data === null) controller.close();
        else controller.enqueue(data);
      },
      cancel() {
        stream.abort();
      },
    },
    // No read-ahead beyond the pull in progress: unread data stays in TCP's window.
    { highWaterMark: 0 },
  );
  const writable = new Writable(
    {
      write: (data) => stream.write(data),
      close: () => stream.end(),
      abort() {
        stream.abort();
      },
    },
    { highWaterMark: 1 },
  );
  return { readable, writable };
}
