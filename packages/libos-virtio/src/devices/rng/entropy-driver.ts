import { ByteRing, type DmaAllocator, type DmaRegion, type GuestMemory } from '@libos/mem';
import type { EntropySource } from '@libos/sched';
import { DriverCore } from '../../core/driver-core.js';
import { DeviceType } from '../../device-type.js';
import type { TransportLink } from '../../transport/transport-link.js';
import { ENTROPY_REQUEST_QUEUE } from './entropy-constants.js';
import { EntropyError } from './entropy-error.js';

/**
 * Where the entropy device is and how the driver's pool is sized; see
 * {@link EntropyDriver.open}.
 *
 * @example
 * ```ts
 * import type { EntropyDriverOptions } from '@libos/virtio';
 * const options: EntropyDriverOptions = { memory, dma, base: 0x1000, link, poolSize: 8192 };
 * ```
 */
export interface EntropyDriverOptions {
  /** Guest memory shared with the device. */
  readonly memory: GuestMemory;
  /** Where the rings and the request buffers are allocated. */
  readonly dma: DmaAllocator;
  /** Guest address of the device's register block. */
  readonly base: number;
  /** Doorbells between the two sides. */
  readonly link: TransportLink;
  /** Bytes of prefetched entropy the driver keeps (default 4096). */
  readonly poolSize?: number;
  /**
   * Size of each DMA request buffer (default 512, at most `poolSize`). The pool is
   * refilled by `min(floor(poolSize / requestSize), 64)` such buffers.
   */
  readonly requestSize?: number;
  /** Called once when the device fails (needs reset, or broke the protocol). */
  readonly onFailure?: (error: Error) => void;
  /** Milliseconds to wait for the device to acknowledge a register write (default 1000). */
  readonly timeoutMs?: number;
}

/**
 * Counters of an {@link EntropyDriver} since it opened.
 *
 * @example
 * ```ts
 * const { bytesReceived, bytesDelivered } = rng.stats();
 * ```
 */
export interface EntropyDriverStats {
  /** Requests the device completed. */
  readonly requests: number;
  /** Entropy bytes the device delivered into the pool. */
  readonly bytesReceived: number;
  /** Entropy bytes handed to callers (`fill` and `read`). */
  readonly bytesDelivered: number;
  /** `fill` calls refused with `EAGAIN`. */
  readonly wouldBlock: number;
}

interface Waiter {
  readonly need: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The driver (guest) side of a virtio entropy device (virtio 1.2 §5.4), usable as an
 * `EntropySource` (@libos/sched).
 *
 * **Contract.** `EntropySource.fill` is synchronous, virtio is not. The driver keeps a
 * **prefetched pool** (a byte ring of `poolSize` bytes) that it refills by posting
 * device-writable DMA buffers of `requestSize` bytes (§5.4.6) whenever the pool has
 * room for them; with an inline device the refill completes during the doorbell.
 * - {@link EntropyDriver.fill} serves from the pool, all or nothing. If the pool holds
 *   fewer bytes than asked, it first posts a top-up request (an inline device answers
 *   during the doorbell, so the call then succeeds); if still short, it consumes
 *   nothing and throws {@link EntropyError} `EAGAIN` while the refill is under way.
 *   Asking for more than `poolSize` bytes throws `TOO_LARGE`. It never returns bytes
 *   that are not fresh device entropy.
 * - {@link EntropyDriver.read} and {@link EntropyDriver.ready} are the asynchronous
 *   forms: they wait for the device, for any amount.
 * - Every byte the device delivers is handed out **at most once**: consumed bytes leave
 *   the pool and request buffers are wiped after being copied into it. Only the length
 *   the device reported (§5.4.6.1) is taken, and a zero length is a device protocol
 *   violation (§5.4.6.2: one or more bytes).
 * - After a device failure (DEVICE_NEEDS_RESET, a hostile used ring) or `close`, every
 *   call throws (or rejects with) `DEVICE_FAILED` / `CLOSED`, even while the pool still
 *   holds bytes — a device that misbehaved is not trusted for entropy.
 *
 * ```text
 *   device ──used(len)──► DMA request buffer ──copy len──► pool (ByteRing) ──► fill / read
 *            ▲                                 wipe                │
 *            └──── re-post while pool.readable + bytes in flight + requestSize ≤ poolSize
 *                  (a smaller top-up request when a caller waits for more than that)
 * ```
 *
 * @example
 * ```ts
 * import { EntropyDriver } from '@libos/virtio';
 * const rng = await EntropyDriver.open({ memory, dma, base: 0x1000, link });
 * await rng.ready(32);
 * const key = new Uint8Array(32);
 * rng.fill(key);                       // synchronous, from the pool
 * const big = await rng.read(1 << 20); // waits for the device as needed
 * ```
 */
export class EntropyDriver implements EntropySource {
  /** Bytes of prefetched entropy the pool can hold. */
  readonly poolSize: number;
  /** Size of each request buffer posted to the device. */
  readonly requestSize: number;

  readonly #core: DriverCore;
  readonly #dma: DmaAllocator;
  readonly #pool: ByteRing;
  readonly #buffers: DmaRegion[];
  /** Indices of request buffers not posted to the device. */
  readonly #idle: number[];
  /** Per request buffer: the length posted to the device. */
  readonly #postedLength: Float64Array;
  readonly #waiters: Waiter[] = [];
  /** Bytes the device may still deliver: the pool reserves room for them. */
  #inFlightBytes = 0;
  #closed = false;
  #error: EntropyError | null = null;
  #draining = false;
  #again = false;
  #requests = 0;
  #bytesReceived = 0;
  #bytesDelivered = 0;
  #wouldBlock = 0;

  private constructor(
    core: DriverCore,
    dma: DmaAllocator,
    pool: ByteRing,
    buffers: DmaRegion[],
    requestSize: number,
  ) {
    this.#core = core;
    this.#dma = dma;
    this.#pool = pool;
    this.#buffers = buffers;
    this.#idle = buffers.map((_, i) => i);
    this.#postedLength = new Float64Array(buffers.length);
    this.poolSize = pool.capacity;
    this.requestSize = requestSize;
  }

  /**
   * Opens the device (§3.1.1), allocates the request buffers and starts filling the
   * pool.
   *
   * @param options - placement and pool geometry
   * @returns the driver; with an inline device the pool is already full
   * @throws {@link EntropyError} `BAD_ARGUMENT` for bad sizes or no DMA memory; the
   *   transport's `TransportError` when the device is absent or not an entropy device
   * @example
   * ```ts
   * const rng = await EntropyDriver.open({ memory, dma, base: 0x1000, link, poolSize: 8192 });
   * ```
   */
  static async open(options: EntropyDriverOptions): Promise<EntropyDriver> {
    const poolSize = options.poolSize ?? 4096;
    const requestSize = Math.min(options.requestSize ?? 512, poolSize);
    if (
      !(
        Number.isSafeInteger(poolSize) &&
        poolSize > 0 &&
        Number.isSafeInteger(requestSize) &&
        requestSize > 0
      )
    ) {
      throw new EntropyError('BAD_ARGUMENT', `bad pool geometry ${poolSize} / ${requestSize}`);
    }
    // Buffers only bound the bytes in flight (they return to idle as the pool fills), so
    // a few are enough; the cap keeps the queue within any device's QueueNumMax ≥ 64.
    const count = Math.min(Math.floor(poolSize / requestSize), MAX_REQUEST_BUFFERS);
    const buffers: DmaRegion[] = [];
    const release = (): void => {
      for (const b of buffers) options.dma.free(b);
    };
    for (let i = 0; i < count; i++) {
      const region = options.dma.alloc(requestSize, 16);
      if (region === null) {
        release();
        throw new EntropyError('BAD_ARGUMENT', `no DMA memory for ${count} × ${requestSize} bytes`);
      }
      buffers.push(region);
    }
    let driver: EntropyDriver | null = null;
    let core: DriverCore;
    try {
      core = await DriverCore.open({
        memory: options.memory,
        dma: options.dma,
        base: options.base,
        link: options.link,
        deviceId: DeviceType.ENTROPY, // virtio 1.2 §5.4.1
        features: 0n, // §5.4.3
        queueSizes: [queueSizeFor(count)], // §5.4.2: requestq
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        onUsedBuffers: () => {
          if (driver !== null) driver.#drain();
        },
        onFailure: (error) => {
          const failed = new EntropyError(
            'DEVICE_FAILED',
            `entropy device failed: ${error.message}`,
          );
          if (driver !== null) driver.#fail(failed);
          options.onFailure?.(error);
        },
      });
    } catch (e) {
      release();
      throw e;
    }
    driver = new EntropyDriver(
      core,
      options.dma,
      new ByteRing(new Uint8Array(poolSize)),
      buffers,
      requestSize,
    );
    driver.#refill();
    return driver;
  }

  /** Prefetched entropy bytes ready for {@link EntropyDriver.fill}. */
  get available(): number {
    return this.#pool.readable;
  }

  /** The failure that stopped the driver, or `null` while healthy and open. */
  get failure(): EntropyError | null {
    return this.#error;
  }

  /**
   * Fills `bytes` with device entropy from the pool — synchronously, all or nothing.
   *
   * @param bytes - destination
   * @throws {@link EntropyError} `EAGAIN` when the pool holds fewer than `bytes.length`
   *   bytes even after a top-up request (nothing consumed; the refill is under way —
   *   await {@link EntropyDriver.ready});
   *   `TOO_LARGE` when `bytes.length > poolSize`; `DEVICE_FAILED`; `CLOSED`
   * @example
   * ```ts
   * const nonce = new Uint8Array(12);
   * rng.fill(nonce);
   * ```
   */
  fill(bytes: Uint8Array): void {
    this.#check();
    const n = bytes.length;
    if (n > this.poolSize) {
      throw new EntropyError(
        'TOO_LARGE',
        `${n} bytes exceed the pool of ${this.poolSize}; use read()`,
      );
    }
    if (this.#pool.readable < n) {
      // Top the pool up to n (an inline device answers during the doorbell).
      this.#drain();
      this.#refill(n);
      this.#check();
    }
    if (this.#pool.readable < n) {
      this.#wouldBlock++;
      throw new EntropyError(
        'EAGAIN',
        `${n} bytes asked, ${this.#pool.readable} prefetched; await ready(${n})`,
      );
    }
    this.#take(bytes);
    this.#refill();
  }

  /**
   * Reads `n` bytes of device entropy, waiting for the device as long as needed.
   *
   * @param n - number of bytes (any size)
   * @returns fresh bytes
   * @throws {@link EntropyError} (as a rejection) `BAD_ARGUMENT`, `DEVICE_FAILED`, `CLOSED`
   * @example
   * ```ts
   * const seed = await rng.read(64);
   * ```
   */
  async read(n: number): Promise<Uint8Array> {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      throw new EntropyError('BAD_ARGUMENT', `read length ${n} is not a non-negative integer`);
    }
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      this.#check();
      this.#drain();
      this.#check();
      const chunk = Math.min(n - done, this.#pool.readable);
      if (chunk > 0) {
        this.#take(out.subarray(done, done + chunk));
        done += chunk;
        this.#refill();
      } else {
        await this.#waitFor(1);
      }
    }
    return out;
  }

  /**
   * Waits until the pool holds at least `n` bytes, so that `fill` of `n` bytes succeeds
   * (if nobody else consumes them first).
   *
   * @param n - bytes wanted, 1..poolSize (default 1)
   * @throws {@link EntropyError} (as a rejection) `TOO_LARGE`, `BAD_ARGUMENT`,
   *   `DEVICE_FAILED`, `CLOSED`
   * @example
   * ```ts
   * await rng.ready(32);
   * rng.fill(key);
   * ```
   */
  async ready(n = 1): Promise<void> {
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      throw new EntropyError('BAD_ARGUMENT', `ready length ${n} is not a non-negative integer`);
    }
    if (n > this.poolSize) {
      throw new EntropyError('TOO_LARGE', `${n} bytes exceed the pool of ${this.poolSize}`);
    }
    this.#check();
    this.#drain();
    this.#refill(n);
    this.#check();
    if (this.#pool.readable >= n) return;
    await this.#waitFor(n);
  }

  /**
   * Counters since the driver opened.
   *
   * @returns a fresh snapshot
   * @example
   * ```ts
   * console.log(rng.stats().bytesDelivered);
   * ```
   */
  stats(): EntropyDriverStats {
    return {
      requests: this.#requests,
      bytesReceived: this.#bytesReceived,
      bytesDelivered: this.#bytesDelivered,
      wouldBlock: this.#wouldBlock,
    };
  }

  /**
   * Resets the device, frees the request buffers and wipes the pool. Pending `read` /
   * `ready` calls reject with `CLOSED`.
   *
   * @example
   * ```ts
   * await rng.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rejectAll(new EntropyError('CLOSED', 'the entropy driver was closed'));
    try {
      await this.#core.close();
    } finally {
      this.#pool.storage.fill(0);
      this.#pool.discard(this.#pool.readable);
      for (const b of this.#buffers) {
        b.bytes.fill(0);
        this.#dma.free(b);
      }
      this.#buffers.length = 0;
    }
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #check(): void {
    if (this.#closed) throw new EntropyError('CLOSED', 'the entropy driver was closed');
    if (this.#error !== null) throw this.#error;
    const failure = this.#core.failure;
    if (failure !== null) {
      this.#fail(new EntropyError('DEVICE_FAILED', `entropy device failed: ${failure.message}`));
      throw this.#error ?? failure;
    }
  }

  #take(dst: Uint8Array): void {
    // ByteRing.read advances past the bytes: they can never be handed out again.
    const got = this.#pool.read(dst);
    this.#bytesDelivered += got;
  }

  /**
   * Posts idle request buffers while the pool has room for everything in flight:
   * full-size requests, plus one smaller top-up when `target` (or a waiter) needs more
   * bytes than the pool and the requests in flight will hold — otherwise a pool resting
   * less than one request below full could never reach a large `ready(n)`.
   */
  #refill(target = 0): void {
    if (this.#closed || this.#error !== null || this.#core.failure !== null) return;
    let want = target;
    for (const w of this.#waiters) want = Math.max(want, w.need);
    const queue = this.#core.queue(ENTROPY_REQUEST_QUEUE);
    let posted = 0;
    while (this.#idle.length > 0) {
      const promised = this.#pool.readable + this.#inFlightBytes;
      const room = this.poolSize - promised;
      let len: number;
      if (room >= this.requestSize) len = this.requestSize;
      else if (room > 0 && promised < want) len = room;
      else break;
      const index = this.#idle[this.#idle.length - 1]!;
      const region = this.#buffers[index]!;
      // §5.4.6: one device-writable buffer per request; §5.4.6.1: never a readable one.
      if (!queue.addBuffer(region.addr, len, true, index)) break;
      this.#idle.pop();
      this.#postedLength[index] = len;
      this.#inFlightBytes += len;
      posted++;
    }
    if (posted === 0) return;
    this.#core.kick(ENTROPY_REQUEST_QUEUE);
    // Inline devices complete during the kick; collect what they returned.
    this.#drain();
  }

  /**
   * Reclaims used request buffers into the pool, wakes waiters, and re-posts the
   * buffers for those still waiting.
   */
  #drain(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    if (this.#closed || this.#error !== null) return;
    this.#draining = true;
    const queue = this.#core.queue(ENTROPY_REQUEST_QUEUE);
    let completed = 0;
    try {
      do {
        this.#again = false;
        completed += queue.pollUsed((index, len) => this.#complete(index, len));
      } while (this.#again && this.#error === null);
    } finally {
      this.#draining = false;
    }
    if (this.#error === null && this.#core.failure !== null) {
      this.#fail(
        new EntropyError('DEVICE_FAILED', `entropy device failed: ${this.#core.failure.message}`),
      );
    }
    this.#wake();
    // Each round needs a completion and a post, and the pool bounds both: this ends.
    if (completed > 0 && this.#waiters.length > 0) this.#refill();
  }

  #complete(index: number, len: number): void {
    const region = this.#buffers[index];
    this.#inFlightBytes -= this.#postedLength[index] ?? 0;
    this.#idle.push(index);
    if (region === undefined) return;
    if (len === 0) {
      // virtio 1.2 §5.4.6.2: the device MUST place one or more random bytes.
      this.#core.fail(
        new EntropyError(
          'DEVICE_FAILED',
          'the device returned an entropy request with 0 bytes (§5.4.6.2)',
        ),
      );
      return;
    }
    // len ≤ requestSize is checked by SplitQueueDriver; the pool has room by construction.
    const bytes = region.bytes.subarray(0, len);
    const stored = this.#pool.write(bytes);
    bytes.fill(0); // wipe: these bytes now live only in the pool
    this.#requests++;
    this.#bytesReceived += stored;
  }

  #waitFor(need: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ need, resolve, reject });
      this.#refill();
      this.#wake();
    });
  }

  #wake(): void {
    if (this.#waiters.length === 0) return;
    if (this.#error !== null) {
      this.#rejectAll(this.#error);
      return;
    }
    const ready = this.#waiters.filter((w) => this.#pool.readable >= w.need);
    if (ready.length === 0) return;
    for (const w of ready) this.#waiters.splice(this.#waiters.indexOf(w), 1);
    for (const w of ready) w.resolve();
  }

  #fail(error: EntropyError): void {
    if (this.#error !== null) return;
    this.#error = error;
    // Entropy from a misbehaving device is not handed out.
    this.#pool.storage.fill(0);
    this.#pool.discard(this.#pool.readable);
    this.#rejectAll(error);
  }

  #rejectAll(error: Error): void {
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w.reject(error);
  }
}

/** Most request buffers (and so queue entries) a driver uses. */
const MAX_REQUEST_BUFFERS = 64;

/** Smallest power of two ≥ `count` (at least 1): one descriptor per request buffer. */
function queueSizeFor(count: number): number {
  let size = 1;
  while (size < count) size *= 2;
  return size;
}
