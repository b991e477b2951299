/**
 * A counting semaphore for tasks.
 *
 * @module
 */

import { SchedError } from './errors.js';
import type { BlockOptions, Scheduler } from './scheduler.js';
import { type Waiter, WaitQueue } from './waiter.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A counting semaphore (Dijkstra's P/V) with strict FIFO service: a request for more
 * permits than are available waits, and later requests queue behind it, so large
 * requests are not starved.
 *
 * @example
 * ```ts
 * const slots = new Semaphore(sched, 4, 'tx-slots');
 * await slots.acquire();
 * try {
 *   await transmit();
 * } finally {
 *   slots.release();
 * }
 * ```
 */
export class Semaphore {
  /** Name used in deadlock reports. */
  readonly name: string;

  readonly #sched: Scheduler;
  #permits: number;
  readonly #waiters = new WaitQueue();

  /**
   * @param scheduler - the scheduler whose tasks use the semaphore
   * @param permits - initial permits (a non-negative integer)
   * @param name - name for deadlock reports
   */
  constructor(scheduler: Scheduler, permits: number, name = 'semaphore') {
    checkCount(permits, 'permits', 0);
    this.#sched = scheduler;
    this.#permits = permits;
    this.name = name;
  }

  /** Permits currently available. */
  get available(): number {
    return this.#permits;
  }

  /** Number of waiting acquirers. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Takes `n` permits (default 1), waiting in FIFO order until they are available. */
  acquire(n = 1, options?: BlockOptions): Promise<void> {
    checkCount(n, 'n', 1);
    if (this.#waiters.length === 0 && this.#permits >= n) {
      this.#permits -= n;
      return RESOLVED;
    }
    return this.#sched.block<void>(
      `semaphore.acquire(${this.name}, ${n})`,
      (w) => {
        w.data = n;
        this.#waiters.push(w);
        w.detach = () => {
          this.#waiters.remove(w);
          this.#grant(); // the waiters behind a cancelled one may now fit
        };
      },
      options,
    );
  }

  /** Takes `n` permits if available now and nobody is waiting; returns whether it did. */
  tryAcquire(n = 1): boolean {
    checkCount(n, 'n', 1);
    if (this.#waiters.length > 0 || this.#permits < n) return false;
    this.#permits -= n;
    return true;
  }

  /** Returns `n` permits (default 1) and wakes the waiters that now fit, in order. */
  release(n = 1): void {
    checkCount(n, 'n', 1);
    this.#permits += n;
    this.#grant();
  }

  #grant(): void {
    for (let w: Waiter | null = this.#waiters.peek(); w !== null; w = this.#waiters.peek()) {
      const want = w.data as number;
      if (want > this.#permits) return;
      this.#permits -= want;
      this.#waiters.shift();
      this.#sched.wake(w, undefined);
    }
  }
}

function checkCount(n: number, what: string, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new SchedError('INVALID_ARGUMENT', `${what} must be an integer ≥ ${min}, got ${n}`);
  }
}
