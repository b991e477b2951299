/**
 * The run queue: ready tasks bucketed by priority, FIFO or seeded-random within a bucket.
 *
 * @module
 */

/** An item with a priority (higher runs first). */
export interface Prioritised {
  /** Higher values run first. */
  readonly priority: number;
}

/** One priority's ready items: a growable power-of-two ring buffer. */
interface Bucket<T> {
  readonly priority: number;
  items: (T | undefined)[];
  mask: number;
  head: number;
  count: number;
}

/**
 * Ready items grouped by priority. `pop(pick)` takes from the highest non-empty priority;
 * `pick(n)` chooses among its `n` items (0 = oldest, i.e. FIFO). O(1) push and pop for a
 * fixed set of priorities.
 *
 * @example
 * ```ts
 * const q = new ReadyQueue<{ priority: number }>();
 * q.push({ priority: 0 });
 * q.pop(null);
 * ```
 */
export class ReadyQueue<T extends Prioritised> {
  #buckets: Bucket<T>[] = []; // sorted by descending priority
  #size = 0;

  /** Number of ready items. */
  get size(): number {
    return this.#size;
  }

  /** Adds `item` at the back of its priority's bucket. */
  push(item: T): void {
    const b = this.#bucket(item.priority);
    if (b.count === b.items.length) grow(b);
    b.items[(b.head + b.count) & b.mask] = item;
    b.count++;
    this.#size++;
  }

  /**
   * Removes an item of the highest priority present. `pick(n)` returns an index in
   * [0, n) among that bucket's items (oldest first); `null` means FIFO.
   */
  pop(pick: ((n: number) => number) | null): T | undefined {
    if (this.#size === 0) return undefined;
    const buckets = this.#buckets;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      const n = b.count;
      if (n === 0) continue;
      const items = b.items;
      if (pick !== null && n > 1) {
        const j = (b.head + pick(n)) & b.mask;
        const chosen = items[j];
        items[j] = items[b.head];
        items[b.head] = chosen;
      }
      const item = items[b.head] as T;
      items[b.head] = undefined;
      b.head = (b.head + 1) & b.mask;
      b.count = n - 1;
      this.#size--;
      return item;
    }
    return undefined;
  }

  #bucket(priority: number): Bucket<T> {
    const bs = this.#buckets;
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i]!;
      if (b.priority === priority) return b;
      if (b.priority < priority) {
        const nb = newBucket<T>(priority);
        bs.splice(i, 0, nb);
        return nb;
      }
    }
    const nb = newBucket<T>(priority);
    bs.push(nb);
    return nb;
  }
}

function newBucket<T>(priority: number): Bucket<T> {
  return {
    priority,
    items: new Array<T | undefined>(8).fill(undefined),
    mask: 7,
    head: 0,
    count: 0,
  };
}

function grow<T>(b: Bucket<T>): void {
  const old = b.items;
  const items = new Array<T | undefined>(old.length * 2).fill(undefined);
  for (let i = 0; i < b.count; i++) items[i] = old[(b.head + i) & b.mask];
  b.items = items;
  b.mask = items.length - 1;
  b.head = 0;
}
