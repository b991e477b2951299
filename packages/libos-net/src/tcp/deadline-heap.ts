/**
 * A binary min-heap of (deadline, item) pairs: how the TCP layer finds the connections
 * whose timers are due without scanning all of them. Entries are never removed from
 * the middle; the owner discards stale ones when they surface (lazy deletion).
 */
import type { Micros } from '@libos/sched';

/** @internal */
export class DeadlineHeap<T> {
  readonly #at: Micros[] = [];
  readonly #items: T[] = [];

  /** Entries held, stale ones included. */
  get size(): number {
    return this.#at.length;
  }

  /** The earliest deadline, or undefined when empty. */
  peekAt(): Micros | undefined {
    return this.#at[0];
  }

  /** The item with the earliest deadline, or undefined when empty. */
  peekItem(): T | undefined {
    return this.#items[0];
  }

  /** Adds `item` due at `at`. O(log n). */
  push(at: Micros, item: T): void {
    const ats = this.#at;
    const items = this.#items;
    let i = ats.length;
    ats.push(at);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentAt = ats[parent]!;
      if (parentAt <= at) break;
      ats[i] = parentAt;
      items[i] = items[parent]!;
      i = parent;
    }
    ats[i] = at;
    items[i] = item;
  }

  /** Removes the earliest entry. O(log n). */
  pop(): void {
    const ats = this.#at;
    const items = this.#items;
    const lastAt = ats.pop();
    const lastItem = items.pop();
    const n = ats.length;
    if (n === 0 || lastAt === undefined || lastItem === undefined) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && ats[right]! < ats[left]! ? right : left;
      if (ats[child]! >= lastAt) break;
      ats[i] = ats[child]!;
      items[i] = items[child]!;
      i = child;
    }
    ats[i] = lastAt;
    items[i] = lastItem;
  }

  /** Drops every entry. */
  clear(): void {
    this.#at.length = 0;
    this.#items.length = 0;
  }
}
