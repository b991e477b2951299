/**
 * A manual-reset event for tasks.
 *
 * @module
 */

import type { BlockOptions, Scheduler } from './scheduler.js';
import { WaitQueue } from './waiter.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A manual-reset event: {@link Event.wait} blocks until the event is set; `set` wakes
 * every waiter and lets later waits pass until {@link Event.clear}.
 *
 * @example
 * ```ts
 * const ready = new Event(sched, 'link-up');
 * sched.spawn(async () => {
 *   await ready.wait();
 *   console.log('link is up');
 * });
 * ready.set();
 * ```
 */
export class Event {
  /** Name used in deadlock reports. */
  readonly name: string;

  readonly #sched: Scheduler;
  #set = false;
  readonly #waiters = new WaitQueue();

  /**
   * @param scheduler - the scheduler whose tasks wait on the event
   * @param name - name for deadlock reports
   */
  constructor(scheduler: Scheduler, name = 'event') {
    this.#sched = scheduler;
    this.name = name;
  }

  /** Whether the event is set. */
  get isSet(): boolean {
    return this.#set;
  }

  /** Sets the event and wakes every waiter (in the order they started waiting). */
  set(): void {
    this.#set = true;
    for (let w = this.#waiters.shift(); w !== null; w = this.#waiters.shift()) {
      this.#sched.wake(w, undefined);
    }
  }

  /** Resets the event so that later waits block. */
  clear(): void {
    this.#set = false;
  }

  /** Waits until the event is set (returns at once if it already is). */
  wait(options?: BlockOptions): Promise<void> {
    if (this.#set) return RESOLVED;
    return this.#sched.block<void>(
      `event.wait(${this.name})`,
      (w) => {
        this.#waiters.push(w);
        w.detach = () => this.#waiters.remove(w);
      },
      options,
    );
  }
}
