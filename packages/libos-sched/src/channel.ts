/**
 * A bounded multi-producer multi-consumer channel with backpressure.
 *
 * @module
 */

import { SchedError } from './errors.js';
import type { BlockOptions, Scheduler } from './scheduler.js';
import { WaitQueue } from './waiter.js';

/**
 * Options for {@link Channel}.
 *
 * @example
 * ```ts
 * const jobs = new Channel<number>(sched, { capacity: 16, name: 'jobs' });
 * ```
 */
export interface ChannelOptions {
  /** Buffered values before `send` blocks; 0 makes every send a rendezvous (default 1). */
  readonly capacity?: number;
  /** Name for deadlock reports. */
  readonly name?: string;
}

/**
 * A value taken by {@link Channel.tryRecv}.
 *
 * @example
 * ```ts
 * const r = ch.tryRecv();
 * if (r.ok) use(r.value);
 * ```
 */
export interface TryRecvValue<T> {
  /** Always `true`: a value was received. */
  readonly ok: true;
  /** The received value. */
  readonly value: T;
}

/**
 * {@link Channel.tryRecv} found no value.
 *
 * @example
 * ```ts
 * const r = ch.tryRecv();
 * if (!r.ok && r.closed) stop();
 * ```
 */
export interface TryRecvEmpty {
  /** Always `false`: nothing was received. */
  readonly ok: false;
  /** Whether the channel is closed (and drained), so no value will ever come. */
  readonly closed: boolean;
}

/**
 * The outcome of {@link Channel.tryRecv}: a value, or why there is none.
 *
 * @example
 * ```ts
 * const r: TryRecvResult<number> = ch.tryRecv();
 * ```
 */
export type TryRecvResult<T> = TryRecvValue<T> | TryRecvEmpty;

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A FIFO channel of capacity `capacity`. `send` blocks while the buffer is full
 * (backpressure), `recv` while it is empty; both hand values straight to a waiting peer.
 * After {@link Channel.close}, buffered values can still be received; then `recv`
 * rejects with `CHANNEL_CLOSED` and async iteration ends. Waiters are served FIFO.
 *
 * @example
 * ```ts
 * const ch = new Channel<string>(sched, { capacity: 2 });
 * sched.spawn(async () => {
 *   for (const m of ['a', 'b', 'c']) await ch.send(m); // third send waits for a receive
 *   ch.close();
 * });
 * for await (const m of ch) console.log(m);
 * ```
 */
export class Channel<T> implements AsyncIterable<T> {
  /** Maximum buffered values. */
  readonly capacity: number;
  /** Name used in deadlock reports. */
  readonly name: string;

  readonly #sched: Scheduler;
  readonly #buffer: (T | undefined)[];
  #head = 0;
  #count = 0;
  #closed = false;
  readonly #senders = new WaitQueue();
  readonly #receivers = new WaitQueue();

  /**
   * @param scheduler - the scheduler whose tasks use the channel
   * @param options - capacity and name
   */
  constructor(scheduler: Scheduler, options: ChannelOptions = {}) {
    const capacity = options.capacity ?? 1;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new SchedError(
        'INVALID_ARGUMENT',
        `channel capacity must be a non-negative integer, got ${capacity}`,
      );
    }
    this.#sched = scheduler;
    this.capacity = capacity;
    this.name = options.name ?? 'channel';
    this.#buffer = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Number of buffered values. */
  get length(): number {
    return this.#count;
  }

  /** Whether {@link Channel.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `value`, waiting while the buffer is full. Rejects with `CHANNEL_CLOSED` once closed. */
  send(value: T, options?: BlockOptions): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError('send on'));
    if (this.#deliver(value)) return RESOLVED;
    return this.#sched.block<void>(
      `channel.send(${this.name})`,
      (w) => {
        w.data = value;
        this.#senders.push(w);
        w.detach = () => this.#senders.remove(w);
      },
      options,
    );
  }

  /** Sends without waiting: `false` if the buffer is full. Throws `CHANNEL_CLOSED` once closed. */
  trySend(value: T): boolean {
    if (this.#closed) throw this.#closedError('send on');
    return this.#deliver(value);
  }

  /** Receives the next value, waiting while none is available. Rejects with `CHANNEL_CLOSED` when closed and drained. */
  recv(options?: BlockOptions): Promise<T> {
    const r = this.tryRecv();
    if (r.ok) return Promise.resolve(r.value);
    if (r.closed) return Promise.reject(this.#closedError('receive on'));
    return this.#sched.block<T>(
      `channel.recv(${this.name})`,
      (w) => {
        this.#receivers.push(w);
        w.detach = () => this.#receivers.remove(w);
      },
      options,
    );
  }

  /** Receives without waiting. */
  tryRecv(): TryRecvResult<T> {
    if (this.#count > 0) {
      const value = this.#buffer[this.#head] as T;
      this.#buffer[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#count--;
      // A blocked sender may now move its value into the freed slot.
      const s = this.#senders.shift();
      if (s !== null) {
        this.#push(s.data as T);
        this.#sched.wake(s, undefined);
      }
      return { ok: true, value };
    }
    const s = this.#senders.shift(); // capacity 0: rendezvous with a waiting sender
    if (s !== null) {
      this.#sched.wake(s, undefined);
      return { ok: true, value: s.data as T };
    }
    return { ok: false, closed: this.#closed };
  }

  /**
   * Closes the channel: blocked and future senders get `CHANNEL_CLOSED`; receivers drain
   * the buffer, then get `CHANNEL_CLOSED` (async iteration ends). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let w = this.#senders.shift(); w !== null; w = this.#senders.shift()) {
      this.#sched.wakeWithError(w, this.#closedError('send on'));
    }
    for (let w = this.#receivers.shift(); w !== null; w = this.#receivers.shift()) {
      this.#sched.wakeWithError(w, this.#closedError('receive on'));
    }
  }

  /** Iterates received values until the channel is closed and drained. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      let value: T;
      try {
        value = await this.recv();
      } catch (e) {
        if (e instanceof SchedError && e.code === 'CHANNEL_CLOSED') return;
        throw e;
      }
      yield value;
    }
  }

  #deliver(value: T): boolean {
    const r = this.#receivers.shift();
    if (r !== null) {
      this.#sched.wake(r, value);
      return true;
    }
    if (this.#count < this.capacity) {
      this.#push(value);
      return true;
    }
    return false;
  }

  #push(value: T): void {
    this.#buffer[(this.#head + this.#count) % this.capacity] = value;
    this.#count++;
  }

  #closedError(op: string): SchedError {
    return new SchedError('CHANNEL_CLOSED', `${op} closed channel ${this.name}`);
  }
}
