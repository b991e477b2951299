/**
 * The record of one blocking operation, and the intrusive FIFO that primitives keep
 * them in.
 *
 * @module
 */

import type { AbortSignalLike } from './host-globals.js';

/**
 * The internal view of a task that a {@link Waiter} points back to. Opaque to users.
 *
 * @example
 * ```ts
 * const owner: WaiterOwner | null = waiter.task;
 * ```
 */
export interface WaiterOwner {
  /** The task's name, for diagnostics. */
  readonly name: string;
}

/**
 * One pending blocking operation: a task (or external caller) waiting on a primitive.
 * Created by {@link Scheduler.block}; completed by {@link Scheduler.wake} or
 * {@link Scheduler.wakeWithError}. Primitives keep waiters in a {@link WaitQueue} and
 * may attach the operation's data (the value to send, the permits wanted) in
 * {@link Waiter.data}.
 *
 * @example
 * ```ts
 * // inside a primitive:
 * return sched.block<void>('event.wait(ready)', (w) => {
 *   queue.push(w);
 *   w.detach = () => queue.remove(w);
 * });
 * ```
 */
export class Waiter {
  /** The blocked task, or `null` for a caller outside any task. */
  readonly task: WaiterOwner | null;
  /** What is waited on, e.g. `channel.recv(rx)`; shown in deadlock reports. */
  readonly what: string;
  /** Operation data for the primitive (e.g. the value a sender waits to deliver). */
  data: unknown = undefined;
  /** Undoes the registration with the primitive; called when the wait is cancelled. */
  detach: (() => void) | null = null;
  /** True once woken or failed. */
  settled = false;
  /** Whether the wait completed successfully (valid once settled). */
  ok = true;
  /** The value or error the wait completes with (valid once settled). */
  outcome: unknown = undefined;
  /** Whether cancellation of the task interrupts this wait. */
  cancellable = true;
  /** Per-operation abort signal and its listener, removed when the wait settles. */
  signal: AbortSignalLike | null = null;
  /** The abort listener registered on {@link Waiter.signal}. */
  onAbort: (() => void) | null = null;
  /** Resolves the promise returned by `block`. */
  resolve: (value: unknown) => void = noop;
  /** Rejects the promise returned by `block`. */
  reject: (error: unknown) => void = noop;
  /** Previous waiter in the {@link WaitQueue} holding this one. */
  prev: Waiter | null = null;
  /** Next waiter in the {@link WaitQueue} holding this one. */
  next: Waiter | null = null;
  /** The queue holding this waiter, if any. */
  queue: WaitQueue | null = null;

  /**
   * @param task - the waiting task, or `null`
   * @param what - description for diagnostics
   */
  constructor(task: WaiterOwner | null, what: string) {
    this.task = task;
    this.what = what;
  }
}

function noop(): void {}

/**
 * An intrusive doubly-linked FIFO of {@link Waiter}s: O(1) push, shift and remove, so a
 * cancelled waiter leaves its queue in constant time.
 *
 * @example
 * ```ts
 * const q = new WaitQueue();
 * q.push(w1);
 * q.push(w2);
 * q.remove(w1);
 * q.shift(); // w2
 * ```
 */
export class WaitQueue {
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #length = 0;

  /** Number of queued waiters. */
  get length(): number {
    return this.#length;
  }

  /** The first waiter, without removing it. */
  peek(): Waiter | null {
    return this.#head;
  }

  /** Appends `w` (which must not be in any queue). */
  push(w: Waiter): void {
    w.queue = this;
    w.next = null;
    w.prev = this.#tail;
    if (this.#tail === null) this.#head = w;
    else this.#tail.next = w;
    this.#tail = w;
    this.#length++;
  }

  /** Removes and returns the first waiter, or `null`. */
  shift(): Waiter | null {
    const w = this.#head;
    if (w !== null) this.remove(w);
    return w;
  }

  /** Removes `w` if it is in this queue; returns whether it was. */
  remove(w: Waiter): boolean {
    if (w.queue !== this) return false;
    if (w.prev === null) this.#head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.#tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = null;
    w.next = null;
    w.queue = null;
    this.#length--;
    return true;
  }
}
