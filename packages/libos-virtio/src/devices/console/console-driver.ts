import { BufferPool, type DmaAllocator, type GuestMemory, type PoolBuffer } from '@libos/mem';
import { DriverCore } from '../../core/driver-core.js';
import { DeviceType } from '../../device-type.js';
import { featureMask } from '../../feature-bits.js';
import type { TransportLink } from '../../transport/transport-link.js';
import {
  ConsoleConfigOffset,
  ConsoleFeature,
  ConsoleQueue,
  type ConsoleSize,
} from './console-constants.js';
import { ConsoleError } from './console-error.js';

/**
 * Where the console device is, how many buffers to use and where input goes; see
 * {@link ConsoleDriver.open}.
 *
 * @example
 * ```ts
 * import type { ConsoleDriverOptions } from '@libos/virtio';
 * const options: ConsoleDriverOptions = { memory, dma, base: 0x2000, link, onData: (b) => log(b.slice()) };
 * ```
 */
export interface ConsoleDriverOptions {
  /** Guest memory shared with the device. */
  readonly memory: GuestMemory;
  /** Where the rings and buffer pools are allocated. */
  readonly dma: DmaAllocator;
  /** Guest address of the device's register block. */
  readonly base: number;
  /** Doorbells between the two sides. */
  readonly link: TransportLink;
  /** Receive buffers kept posted (default 8; at most the device's QueueNumMax, 256 for libos devices). */
  readonly receiveBuffers?: number;
  /** Bytes per receive buffer (default 256). */
  readonly receiveBufferSize?: number;
  /** Transmit buffers (default 8; at most the device's QueueNumMax): how much output can be in flight. */
  readonly transmitBuffers?: number;
  /** Bytes per transmit buffer (default 4096): writes are split into chunks of this size. */
  readonly transmitBufferSize?: number;
  /**
   * Receives input as it arrives, as a view lent for the duration of the call (copy to
   * keep). With it, {@link ConsoleDriver.read} is unavailable; without it, input waits
   * in the posted buffers until read (back-pressure: the device holds the rest).
   */
  readonly onData?: (bytes: Uint8Array) => void;
  /** Called with the new size when the device changes it (VIRTIO_CONSOLE_F_SIZE). */
  readonly onResize?: (size: ConsoleSize) => void;
  /** Called once when the device fails (needs reset, or broke the protocol). */
  readonly onFailure?: (error: Error) => void;
  /** Milliseconds to wait for the device to acknowledge a register write (default 1000). */
  readonly timeoutMs?: number;
}

interface PendingWrite {
  outstanding: number;
  posted: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface Received {
  readonly buffer: PoolBuffer;
  readonly len: number;
}

/**
 * The driver (guest) side of a single-port virtio console (virtio 1.2 §5.3), without
 * MULTIPORT: receiveq 0, transmitq 1.
 *
 * - {@link ConsoleDriver.write} splits bytes into transmit buffers (device-readable, one
 *   descriptor each) and resolves once the device has used all of them; concurrent
 *   writes are output in call order, never interleaved.
 * - Input: receive buffers from a `BufferPool` (@libos/mem) are kept posted (§5.3.6). Received
 *   bytes go to `onData` (lent view) and the buffer is re-posted at once; without
 *   `onData`, {@link ConsoleDriver.read} / `for await` hand out copies in order and a
 *   buffer is re-posted when it was read.
 * - {@link ConsoleDriver.size} reads `cols`/`rows` when VIRTIO_CONSOLE_F_SIZE was
 *   negotiated; `onResize` follows configuration changes.
 * - After a device failure every pending and later call rejects with
 *   {@link ConsoleError} `DEVICE_FAILED`; after `close`, with `CLOSED` (an async
 *   iteration simply ends).
 *
 * @example
 * ```ts
 * import { ConsoleDriver } from '@libos/virtio';
 * const tty = await ConsoleDriver.open({ memory, dma, base: 0x2000, link });
 * await tty.write(new TextEncoder().encode('hello\n'));
 * for await (const chunk of tty) handle(chunk);
 * ```
 */
export class ConsoleDriver implements AsyncIterable<Uint8Array> {
  readonly #core: DriverCore;
  readonly #dma: DmaAllocator;
  readonly #rx: BufferPool;
  readonly #tx: BufferPool;
  readonly #onData: ((bytes: Uint8Array) => void) | undefined;
  readonly #onResize: ((size: ConsoleSize) => void) | undefined;
  /** Per transmit buffer index: the write it belongs to. */
  readonly #txOwner: (PendingWrite | null)[];
  readonly #txWaiters: (() => void)[] = [];
  readonly #received: Received[] = [];
  readonly #readers: { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }[] = [];
  #writeTail: Promise<void> = Promise.resolve();
  #pendingWrites = new Set<PendingWrite>();
  #error: ConsoleError | null = null;
  #closed = false;
  #draining = false;
  #again = false;

  private constructor(
    core: DriverCore,
    dma: DmaAllocator,
    rx: BufferPool,
    tx: BufferPool,
    options: ConsoleDriverOptions,
  ) {
    this.#core = core;
    this.#dma = dma;
    this.#rx = rx;
    this.#tx = tx;
    this.#onData = options.onData;
    this.#onResize = options.onResize;
    this.#txOwner = new Array<PendingWrite | null>(tx.count).fill(null);
  }

  /**
   * Opens the device (§3.1.1), negotiating VIRTIO_CONSOLE_F_SIZE and
   * VIRTIO_CONSOLE_F_EMERG_WRITE when offered, and posts the receive buffers.
   *
   * @param options - placement, buffer geometry and callbacks
   * @returns the driver; input already queued by an inline device has been delivered
   * @throws {@link ConsoleError} `BAD_ARGUMENT` for bad geometry or no DMA memory; the
   *   transport's `TransportError` when the device is absent or not a console
   * @example
   * ```ts
   * const tty = await ConsoleDriver.open({ memory, dma, base: 0x2000, link, onData: print });
   * ```
   */
  static async open(options: ConsoleDriverOptions): Promise<ConsoleDriver> {
    const rxCount = options.receiveBuffers ?? 8;
    const rxSize = options.receiveBufferSize ?? 256;
    const txCount = options.transmitBuffers ?? 8;
    const txSize = options.transmitBufferSize ?? 4096;
    const pools: BufferPool[] = [];
    const release = (): void => {
      for (const p of pools) options.dma.free(p.addr);
    };
    try {
      for (const [count, size] of [
        [rxCount, rxSize],
        [txCount, txSize],
      ] as const) {
        if (!(Number.isSafeInteger(count) && count > 0 && count <= 32768)) {
          throw new ConsoleError('BAD_ARGUMENT', `buffer count ${count} is not in 1..32768`);
        }
        pools.push(BufferPool.fromDma(options.dma, count, size, 16));
      }
    } catch (e) {
      release();
      if (e instanceof ConsoleError) throw e;
      throw new ConsoleError('BAD_ARGUMENT', `cannot allocate console buffers: ${String(e)}`);
    }
    let driver: ConsoleDriver | null = null;
    let core: DriverCore;
    try {
      core = await DriverCore.open({
        memory: options.memory,
        dma: options.dma,
        base: options.base,
        link: options.link,
        deviceId: DeviceType.CONSOLE, // virtio 1.2 §5.3.1
        // §5.3.3: single port, so no MULTIPORT.
        features: featureMask(ConsoleFeature.SIZE) | featureMask(ConsoleFeature.EMERG_WRITE),
        queueSizes: [queueSizeFor(rxCount), queueSizeFor(txCount)], // §5.3.2
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        onUsedBuffers: () => {
          if (driver !== null) driver.#drain();
        },
        onConfigChange: () => {
          if (driver !== null) driver.#configChanged();
        },
        onFailure: (error) => {
          if (driver !== null)
            driver.#fail(
              new ConsoleError('DEVICE_FAILED', `console device failed: ${error.message}`),
            );
          options.onFailure?.(error);
        },
      });
    } catch (e) {
      release();
      throw e;
    }
    driver = new ConsoleDriver(core, options.dma, pools[0]!, pools[1]!, options);
    driver.#postReceiveBuffers();
    driver.#drain();
    return driver;
  }

  /** The failure that stopped the driver, or `null` while healthy. */
  get failure(): ConsoleError | null {
    return this.#error;
  }

  /** Whether VIRTIO_CONSOLE_F_SIZE was negotiated. */
  get hasSize(): boolean {
    return this.#core.has(ConsoleFeature.SIZE);
  }

  /** Whether VIRTIO_CONSOLE_F_EMERG_WRITE was negotiated. */
  get hasEmergencyWrite(): boolean {
    return this.#core.has(ConsoleFeature.EMERG_WRITE);
  }

  /**
   * The console size from configuration space (§5.3.4).
   *
   * @returns `{ cols, rows }`, or `null` when VIRTIO_CONSOLE_F_SIZE was not negotiated
   * @throws the transport's `TransportError` when the device needs a reset
   * @example
   * ```ts
   * const size = tty.size();
   * if (size) layout(size.cols, size.rows);
   * ```
   */
  size(): ConsoleSize | null {
    if (!this.hasSize) return null;
    const bytes = this.#core.transport.readConfig(ConsoleConfigOffset.COLS, 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { cols: view.getUint16(0, true), rows: view.getUint16(2, true) };
  }

  /**
   * Writes `bytes` to the console: copies them into transmit buffers (waiting for free
   * ones as needed) and resolves when the device has used every one of them.
   *
   * @param bytes - output (copied at once; may be reused after the call)
   * @throws {@link ConsoleError} (as a rejection) `DEVICE_FAILED`, `CLOSED`
   * @example
   * ```ts
   * await tty.write(new TextEncoder().encode('$ '));
   * ```
   */
  write(bytes: Uint8Array): Promise<void> {
    const data = bytes.slice();
    const job = this.#writeTail.then(() => this.#send(data));
    this.#writeTail = job.catch(() => undefined);
    return job;
  }

  /**
   * The next chunk of input, in order (a copy).
   *
   * @returns the bytes of one filled receive buffer
   * @throws {@link ConsoleError} (as a rejection) `BAD_ARGUMENT` when `onData` was given,
   *   `DEVICE_FAILED`, `CLOSED`
   * @example
   * ```ts
   * const line = await tty.read();
   * ```
   */
  read(): Promise<Uint8Array> {
    if (this.#onData !== undefined) {
      return Promise.reject(
        new ConsoleError('BAD_ARGUMENT', 'input goes to onData; read() is unavailable'),
      );
    }
    const failure = this.#stopped();
    if (failure !== null) return Promise.reject(failure);
    const chunk = new Promise<Uint8Array>((resolve, reject) => {
      this.#readers.push({ resolve, reject });
    });
    this.#drain();
    this.#serveReaders();
    return chunk;
  }

  /**
   * Iterates over input chunks until the driver is closed.
   *
   * @returns an async iterator of input chunks
   * @example
   * ```ts
   * for await (const chunk of tty) process(chunk);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      let chunk: Uint8Array;
      try {
        chunk = await this.read();
      } catch (e) {
        if (e instanceof ConsoleError && e.code === 'CLOSED') return;
        throw e;
      }
      yield chunk;
    }
  }

  /**
   * Emergency write (VIRTIO_CONSOLE_F_EMERG_WRITE, §5.3.4): outputs one character by
   * writing it to `emerg_wr`, without going through the queues.
   *
   * @param char - the byte to output (0..255)
   * @throws {@link ConsoleError} `NOT_NEGOTIATED` (as a rejection) when the feature was
   *   not negotiated, `BAD_ARGUMENT` for a value that is not a byte
   * @example
   * ```ts
   * if (tty.hasEmergencyWrite) await tty.emergencyWrite(0x21); // "!"
   * ```
   */
  async emergencyWrite(char: number): Promise<void> {
    if (!(Number.isInteger(char) && char >= 0 && char <= 0xff)) {
      throw new ConsoleError('BAD_ARGUMENT', `${char} is not a byte`);
    }
    if (!this.hasEmergencyWrite) {
      throw new ConsoleError('NOT_NEGOTIATED', 'VIRTIO_CONSOLE_F_EMERG_WRITE was not negotiated');
    }
    await this.#core.transport.writeConfig(ConsoleConfigOffset.EMERG_WR, 4, char);
  }

  /**
   * Resets the device and frees the rings and buffer pools. Pending writes and reads
   * reject with `CLOSED`.
   *
   * @example
   * ```ts
   * await tty.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rejectAll(new ConsoleError('CLOSED', 'the console driver was closed'));
    try {
      await this.#core.close();
    } finally {
      this.#dma.free(this.#rx.addr);
      this.#dma.free(this.#tx.addr);
    }
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #stopped(): ConsoleError | null {
    if (this.#closed) return new ConsoleError('CLOSED', 'the console driver was closed');
    if (this.#error === null && this.#core.failure !== null) {
      this.#fail(
        new ConsoleError('DEVICE_FAILED', `console device failed: ${this.#core.failure.message}`),
      );
    }
    return this.#error;
  }

  async #send(data: Uint8Array): Promise<void> {
    const failure = this.#stopped();
    if (failure !== null) throw failure;
    if (data.length === 0) return;
    const queue = this.#core.queue(ConsoleQueue.TRANSMIT);
    const size = this.#tx.bufferSize;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined); // rejected by a failure while we still post: the caller sees it below
    const pending: PendingWrite = { outstanding: 0, posted: false, resolve, reject };
    this.#pendingWrites.add(pending);
    let offset = 0;
    while (offset < data.length) {
      const stop = this.#stopped();
      if (stop !== null) {
        this.#pendingWrites.delete(pending);
        throw stop;
      }
      const buffer = this.#tx.alloc();
      if (buffer === null) {
        this.#core.kick(ConsoleQueue.TRANSMIT);
        this.#drain();
        if (this.#tx.available === 0) await new Promise<void>((r) => this.#txWaiters.push(r));
        continue;
      }
      const n = Math.min(size, data.length - offset);
      buffer.bytes.set(data.subarray(offset, offset + n));
      // §5.3.6.1: transmit buffers are device-readable only.
      if (!queue.addBuffer(buffer.addr, n, false, buffer.index)) {
        this.#tx.free(buffer);
        await new Promise<void>((r) => this.#txWaiters.push(r));
        continue;
      }
      this.#txOwner[buffer.index] = pending;
      pending.outstanding++;
      offset += n;
    }
    pending.posted = true;
    this.#core.kick(ConsoleQueue.TRANSMIT);
    this.#drain();
    this.#settle(pending);
    return done;
  }

  #settle(pending: PendingWrite): void {
    if (pending.posted && pending.outstanding === 0 && this.#pendingWrites.delete(pending)) {
      pending.resolve();
    }
  }

  #postReceiveBuffers(): void {
    if (this.#closed || this.#error !== null) return;
    const queue = this.#core.queue(ConsoleQueue.RECEIVE);
    let posted = 0;
    for (let b = this.#rx.alloc(); b !== null; b = this.#rx.alloc()) {
      // §5.3.6: receive buffers are device-writable only.
      if (!queue.addBuffer(b.addr, this.#rx.bufferSize, true, b.index)) {
        this.#rx.free(b);
        break;
      }
      posted++;
    }
    if (posted > 0) this.#core.kick(ConsoleQueue.RECEIVE);
  }

  #drain(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    if (this.#closed) return;
    this.#draining = true;
    let delivered = false;
    try {
      do {
        this.#again = false;
        this.#core.queue(ConsoleQueue.TRANSMIT).pollUsed((index) => this.#transmitted(index));
        this.#core.queue(ConsoleQueue.RECEIVE).pollUsed((index, len) => {
          this.#receivedChunk(index, len);
          delivered = true;
        });
        if (delivered && this.#onData !== undefined) this.#postReceiveBuffers();
        delivered = false;
      } while (this.#again && this.#error === null);
    } finally {
      this.#draining = false;
    }
    this.#stopped();
    this.#serveReaders();
  }

  #transmitted(index: number): void {
    const buffer = this.#tx.buffers[index];
    if (buffer === undefined) return;
    this.#tx.free(buffer);
    const owner = this.#txOwner[index] ?? null;
    this.#txOwner[index] = null;
    if (owner !== null) {
      owner.outstanding--;
      this.#settle(owner);
    }
    const waiters = this.#txWaiters.splice(0);
    for (const w of waiters) w();
  }

  #receivedChunk(index: number, len: number): void {
    const buffer = this.#rx.buffers[index];
    if (buffer === undefined) return;
    if (this.#onData === undefined) {
      this.#received.push({ buffer, len });
      return;
    }
    try {
      if (len > 0) this.#onData(buffer.bytes.subarray(0, len));
    } catch (error) {
      // A throwing callback must not break the interrupt path; surface it asynchronously.
      void Promise.resolve().then(() => {
        throw error;
      });
    } finally {
      this.#rx.free(buffer);
    }
  }

  #consume(received: Received): Uint8Array {
    const out = received.buffer.bytes.slice(0, received.len);
    this.#rx.free(received.buffer);
    this.#postReceiveBuffers();
    return out;
  }

  #serveReaders(): void {
    while (this.#readers.length > 0) {
      // Skip empty chunks: nothing to hand out, just re-post the buffer.
      const next = this.#received.shift();
      if (next === undefined) return;
      if (next.len === 0) {
        this.#rx.free(next.buffer);
        this.#postReceiveBuffers();
        continue;
      }
      this.#readers.shift()!.resolve(this.#consume(next));
    }
  }

  #configChanged(): void {
    if (this.#onResize === undefined || !this.hasSize || this.#error !== null) return;
    const size = this.size();
    if (size !== null) this.#onResize(size);
  }

  #fail(error: ConsoleError): void {
    if (this.#error !== null) return;
    this.#error = error;
    this.#rejectAll(error);
  }

  #rejectAll(error: ConsoleError): void {
    for (const w of [...this.#pendingWrites]) w.reject(error);
    this.#pendingWrites.clear();
    for (const r of this.#readers.splice(0)) r.reject(error);
    for (const w of this.#txWaiters.splice(0)) w();
  }
}

/** Smallest power of two ≥ `count` (at least 1). */
function queueSizeFor(count: number): number {
  let size = 1;
  while (size < count) size *= 2;
  return size;
}
