import { Duplex } from 'node:stream';
import type { TcpStream } from '../tcp/tcp-stream.js';
import { formatIpv4Address } from '../wire/ipv4-address.js';

/**
 * Options of {@link toDuplex}.
 *
 * @example
 * ```ts
 * import type { TcpDuplexOptions } from '@libos/net/node';
 * const options: TcpDuplexOptions = { allowHalfOpen: true, readChunkBytes: 16384 };
 * ```
 */
export interface TcpDuplexOptions {
  /**
   * Keep the writable side open after the peer's FIN, as `net.Socket`'s option of the
   * same name. Default false: the socket ends its side when the readable side ends.
   */
  readonly allowHalfOpen?: boolean;
  /** Largest chunk one `read` of the TCP stream asks for. Default 65536. */
  readonly readChunkBytes?: number;
  /** Readable and writable high-water marks in bytes. Default Node's (16 KiB). */
  readonly highWaterMark?: number;
}

/**
 * The address triple `net.Socket.address()` returns.
 *
 * @example
 * ```ts
 * import type { TcpSocketAddress } from '@libos/net/node';
 * const a: TcpSocketAddress = { address: '10.0.0.2', family: 'IPv4', port: 80 };
 * ```
 */
export interface TcpSocketAddress {
  /** Dotted-quad IPv4 address. */
  readonly address: string;
  /** Always `'IPv4'`. */
  readonly family: 'IPv4';
  /** Port number. */
  readonly port: number;
}

const DEFAULT_READ_CHUNK = 65536;
/** RFC 1122 §4.2.3.6: the keep-alive idle interval defaults to no less than two hours. */
const DEFAULT_KEEPALIVE_MS = 7_200_000;

/**
 * A `node:stream` Duplex over a libos {@link TcpStream} that behaves like `net.Socket`
 * where `node:http` and most socket users look: address getters, `address()`,
 * `setNoDelay`/`setKeepAlive`/`setTimeout` with the `'timeout'` event, `bytesRead`/
 * `bytesWritten`, `end()` as a half-close (FIN), `destroy(err)` as an abort (RST),
 * `allowHalfOpen` false by default, and `'close'` with a `hadError` flag once both
 * sides are done. Back-pressure works both ways: the read loop stops when `push()`
 * returns false, and a write completes only once the TCP send buffer took it.
 *
 * `destroy()` without an error mimics closing a kernel socket: data already handed to
 * TCP (including a write still waiting for buffer space) is sent, followed by FIN; if
 * the peer then sends more data, the connection is reset. Data still queued in the
 * Duplex's own writable buffer is discarded, as by any `destroy()`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { TcpDuplex } from '@libos/net/node';
 * const server = createServer((req, res) => res.end('hello'));
 * server.emit('connection', new TcpDuplex(conn)); // conn: a TcpStream
 * ```
 */
export class TcpDuplex extends Duplex {
  /** The wrapped connection. */
  readonly stream: TcpStream;
  /** Always false: the connection is established before it is wrapped (`net.Socket` compatibility). */
  readonly connecting = false;
  /** Always false (`net.Socket` compatibility). */
  readonly pending = false;
  readonly #readChunk: number;
  #bytesRead = 0;
  #bytesWritten = 0;
  #reading = false;
  #readableEnded = false;
  #inflight: Promise<void> | undefined;
  #timeoutMs = 0;
  #timer: NodeJS.Timeout | undefined;

  /**
   * Wraps an established connection. {@link toDuplex} does the same.
   *
   * @param stream - the connection
   * @param options - half-open behaviour, read chunk size, high-water mark
   */
  constructor(stream: TcpStream, options: TcpDuplexOptions = {}) {
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      emitClose: false,
      ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }),
    });
    this.stream = stream;
    this.#readChunk = options.readChunkBytes ?? DEFAULT_READ_CHUNK;
    this.once('end', () => {
      this.#readableEnded = true;
    });
  }

  /** The peer's address as a dotted quad. */
  get remoteAddress(): string {
    return formatIpv4Address(this.stream.remoteAddress);
  }

  /** The peer's port. */
  get remotePort(): number {
    return this.stream.remotePort;
  }

  /** Always `'IPv4'`. */
  get remoteFamily(): 'IPv4' {
    return 'IPv4';
  }

  /** Our address as a dotted quad. */
  get localAddress(): string {
    return formatIpv4Address(this.stream.localAddress);
  }

  /** Our port. */
  get localPort(): number {
    return this.stream.localPort;
  }

  /** Always `'IPv4'`. */
  get localFamily(): 'IPv4' {
    return 'IPv4';
  }

  /** Bytes received from the peer and pushed to the readable side. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes the TCP send buffer has accepted. */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /** The idle timeout set by {@link TcpDuplex.setTimeout} in ms; undefined when off. */
  get timeout(): number | undefined {
    return this.#timeoutMs === 0 ? undefined : this.#timeoutMs;
  }

  /** `net.Socket.readyState`: `'open'`, `'readOnly'`, `'writeOnly'` or `'closed'`. */
  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Our end's address, like `net.Socket.address()`. */
  address(): TcpSocketAddress {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }

  /**
   * Disables (true, the default) or enables Nagle's algorithm.
   *
   * @param noDelay - true to send small segments at once
   */
  setNoDelay(noDelay = true): this {
    this.stream.setNoDelay(noDelay);
    return this;
  }

  /**
   * Enables or disables keep-alive probes.
   *
   * @param enable - whether to probe an idle connection
   * @param initialDelayMs - idle time before the first probe; 0 keeps the default (2 h)
   */
  setKeepAlive(enable = false, initialDelayMs = 0): this {
    const ms = initialDelayMs > 0 ? initialDelayMs : DEFAULT_KEEPALIVE_MS;
    this.stream.setKeepAlive(enable ? ms * 1000 : 0);
    return this;
  }

  /**
   * Emits `'timeout'` after `ms` without reads or writes (the socket stays open, as with
   * `net.Socket`); 0 disables.
   *
   * @param ms - idle time in milliseconds
   * @param callback - added as a one-time `'timeout'` listener (removed when `ms` is 0)
   */
  setTimeout(ms: number, callback?: () => void): this {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timeout must be ≥ 0, got ${ms}`);
    this.#timeoutMs = ms;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (ms === 0) {
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    if (callback !== undefined) this.once('timeout', callback);
    if (!this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), ms);
      this.#timer.unref();
    }
    return this;
  }

  /** Ends the writable side, and destroys once it finished (`net.Socket.destroySoon`). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Node compatibility no-op: the connection keeps no event loop alive by itself. */
  ref(): this {
    return this;
  }

  /** Node compatibility no-op: the connection keeps no event loop alive by itself. */
  unref(): this {
    return this;
  }

  #activity(): void {
    this.#timer?.refresh();
  }

  /** `node:stream` hook: reads the next chunk from the connection (back-pressure aware). */
  override _read(): void {
    if (this.#reading) return;
    this.#reading = true;
    void this.#readLoop();
  }

  /** Reads until `push` asks us to stop, FIN, or an error. */
  async #readLoop(): Promise<void> {
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await this.stream.read(this.#readChunk);
      } catch (e) {
        this.#reading = false;
        if (!this.destroyed) this.destroy(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (this.destroyed) {
        this.#reading = false;
        // Data for a socket the application closed: reset it, as a kernel does.
        if (chunk !== null) this.stream.abort();
        return;
      }
      if (chunk === null) {
        this.#reading = false;
        this.push(null);
        return;
      }
      this.#bytesRead += chunk.length;
      this.#activity();
      const more = this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      if (!more) {
        this.#reading = false;
        return;
      }
    }
  }

  /** `node:stream` hook: hands a chunk to the connection, calling back once it is buffered. */
  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const write = this.stream.write(chunk);
    this.#inflight = write;
    write.then(
      () => {
        this.#inflight = undefined;
        this.#bytesWritten += chunk.length;
        this.#activity();
        callback();
      },
      (e: unknown) => {
        this.#inflight = undefined;
        callback(e instanceof Error ? e : new Error(String(e)));
      },
    );
  }

  /** `node:stream` hook: the writable side ended, so FIN is sent (half-close). */
  override _final(callback: (error?: Error | null) => void): void {
    this.stream.end().then(
      () => callback(),
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** `node:stream` hook: on error the connection is aborted (RST), else closed. */
  override _destroy(
    error: Error | null | undefined,
    callback: (error?: Error | null) => void,
  ): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const state = this.stream.state;
    const done = state === 'closed' || state === 'time-wait';
    // Node passes undefined (not null) for a destroy() without an error.
    const failed = error !== null && error !== undefined;
    if (failed) {
      if (!done) this.stream.abort();
    } else if (!done) {
      // A write already handed to TCP goes out first, then FIN (like close(2)).
      const stream = this.stream;
      (this.#inflight ?? Promise.resolve()).then(() => stream.end()).catch(() => {});
      // Lingering: a FIN from the peer ends it cleanly, data resets it (see #readLoop).
      if (!this.#readableEnded && !this.#reading) {
        this.#reading = true;
        void this.#readLoop();
      }
    }
    callback(error);
    process.nextTick(() => this.emit('close', failed));
  }
}

/**
 * Wraps a libos {@link TcpStream} as a `node:stream` Duplex that `node:http` accepts as
 * a socket ({@link TcpDuplex}).
 *
 * @param stream - an established connection
 * @param options - half-open behaviour, read chunk size, high-water mark
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toDuplex } from '@libos/net/node';
 * const server = createServer((req, res) => res.end('hello'));
 * for await (const conn of listener) server.emit('connection', toDuplex(conn));
 * ```
 */
export function toDuplex(stream: TcpStream, options?: TcpDuplexOptions): TcpDuplex {
  return new TcpDuplex(stream, options);
}
