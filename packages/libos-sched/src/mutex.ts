/**
 * A FIFO mutual-exclusion lock for tasks.
 *
 * @module
 */

import { SchedError } from './errors.js';
import type { BlockOptions, Scheduler } from './scheduler.js';
import { type WaiterOwner, WaitQueue } from './waiter.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A mutex with FIFO hand-off: `unlock` passes ownership directly to the longest
 * waiter, so no task can barge ahead. Not re-entrant. Unlocking from a task other than
 * the owner throws `NOT_OWNER`.
 *
 * @example
 * ```ts
 * const m = new Mutex(sched, 'db');
 * await m.withLock(async () => {
 *   await write(); // exclusive
 * });
 * ```
 */
export class Mutex {
  /** Name used in deadlock reports. */
  readonly name: string;

  readonly #sched: Scheduler;
  #locked = false;
  #owner: WaiterOwner | null = null;
  readonly #waiters = new WaitQueue();

  /**
   * @param scheduler - the scheduler whose tasks use the mutex
   * @param name - name for deadlock reports
   */
  constructor(scheduler: Scheduler, name = 'mutex') {
    this.#sched = scheduler;
    this.name = name;
  }

  /** Whether the mutex is held. */
  get locked(): boolean {
    return this.#locked;
  }

  /** Acquires the mutex, waiting in FIFO order while another task holds it. */
  lock(options?: BlockOptions): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      this.#owner = this.#sched.currentTask;
      return RESOLVED;
    }
    return this.#sched.block<void>(
      `mutex.lock(${this.name})`,
      (w) => {
        this.#waiters.push(w);
        w.detach = () => this.#waiters.remove(w);
      },
      options,
    );
  }

  /** Acquires the mutex if it is free; returns whether it did. */
  tryLock(): boolean {
    if (this.#locked) return false;
    this.#locked = true;
    this.#owner = this.#sched.currentTask;
    return true;
  }

  /** Releases the mutex, handing it to the first waiter if any. */
  unlock(): void {
    if (!this.#locked) throw new SchedError('NOT_OWNER', `mutex ${this.name} is not locked`);
    const current = this.#sched.currentTask;
    if (this.#owner !== null && current !== null && current !== this.#owner) {
      throw new SchedError(
        'NOT_OWNER',
        `mutex ${this.name} is held by ${this.#owner.name}, not ${current.name}`,
      );
    }
    const next = this.#waiters.shift();
    if (next === null) {
      this.#locked = false;
      this.#owner = null;
      return;
    }
    this.#owner = next.task;
    this.#sched.wake(next, undefined);
  }

  /** Runs `fn` holding the mutex, releasing it afterwards even if `fn` throws. */
  async withLock<T>(fn: () => Promise<T> | T, options?: BlockOptions): Promise<T> {
    await this.lock(options);
    try {
      return await fn();
    } finally {
      this.unlock();
    }
  }
}
