/**
 * A hierarchical timing wheel: O(1) arm and cancel, deadline-ordered expiry.
 *
 * After G. Varghese and A. Lauck, "Hashed and Hierarchical Timing Wheels: Data
 * Structures for the Efficient Implementation of a Timer Facility", SOSP 1987 (scheme 7),
 * with per-level occupancy bitmaps to jump over empty slots (as in Linux `kernel/time/
 * timer.c` and tokio's `time::wheel`), so that a jump of any size costs O(levels + fired)
 * rather than one step per tick.
 *
 * ```
 *  level 10  [..32 slots of 2^50 µs..]   ┐
 *   ...                                  │ a timer lives at the level of the highest
 *  level 1   [..32 slots of 32 µs..]     │ base-32 digit in which its deadline differs
 *  level 0   [..32 slots of 1 µs..]      ┘ from the wheel's current time
 *  overdue   deadlines already in the past (fire at the next expire)
 * ```
 *
 * Eleven levels of 32 slots span 2^55 µs, more than the 2^53 µs range of a safe integer,
 * so no deadline lies beyond the top level and no overflow list is needed.
 *
 * Storage is intrusive and garbage-free: nodes are indices into typed arrays linked into
 * doubly-linked slot lists, recycled through a free list. A {@link TimerId} packs the
 * node index with a generation counter, so cancelling an expired or already-cancelled
 * timer is a safe no-op.
 *
 * @module
 */

import { SchedError } from './errors.js';
import type { Micros } from './time.js';

/**
 * Identifies an armed timer. Opaque: a node index and a generation packed in a number.
 * Stale ids (expired, cancelled) are recognised and ignored.
 *
 * @example
 * ```ts
 * const id: TimerId = wheel.arm(1000, 'payload');
 * wheel.cancel(id); // true
 * wheel.cancel(id); // false: already cancelled
 * ```
 */
export type TimerId = number;

const SLOT_BITS = 5;
const SLOTS = 1 << SLOT_BITS; // 32 slots per level
const SLOT_MASK = SLOTS - 1;
const LEVELS = 11; // 11 × 5 = 55 bits ≥ 53 bits of a safe integer
const OVERDUE = LEVELS * SLOTS; // list id of the overdue list
const LISTS = OVERDUE + 1;
const FREE = -1;
const NIL = -1;
const INDEX_BITS_SCALE = 2 ** 24; // node index in the low 24 bits of a TimerId
const INDEX_MASK = INDEX_BITS_SCALE - 1;
const MAX_NODES = INDEX_BITS_SCALE;
const MAX_GENERATION = 2 ** 29; // 29 + 24 = 53 bits
const TWO_POW_32 = 2 ** 32;

/** SLOT_SIZE[l] = 32^l: the span in µs of one slot at level l (SLOT_SIZE[LEVELS] = whole-level span of the top). */
const SLOT_SIZE: readonly number[] = Array.from(
  { length: LEVELS + 1 },
  (_, l) => 2 ** (SLOT_BITS * l),
);

/** The level of a deadline `d ≥ e`: the highest base-32 digit in which `d` and `e` differ. */
function levelFor(e: number, d: number): number {
  let bit: number;
  if (d < TWO_POW_32 && e < TWO_POW_32) {
    bit = 31 - Math.clz32(d ^ e);
  } else {
    const hi = Math.floor(d / TWO_POW_32) ^ Math.floor(e / TWO_POW_32);
    bit = hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(d ^ e);
  }
  return bit < 0 ? 0 : (bit / SLOT_BITS) | 0;
}

/** The base-32 digit of `d` at `level`. */
function digitAt(d: number, level: number): number {
  if (d < TWO_POW_32) return (d >>> (level * SLOT_BITS)) & SLOT_MASK;
  return Math.floor(d / SLOT_SIZE[level]!) & SLOT_MASK;
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * Options for {@link TimerWheel}.
 *
 * @example
 * ```ts
 * const opts: TimerWheelOptions = { now: 0, initialCapacity: 1024 };
 * ```
 */
export interface TimerWheelOptions {
  /** The wheel's initial current time (default 0). */
  readonly now?: Micros;
  /** Nodes preallocated; the wheel doubles its storage when full (default 256). */
  readonly initialCapacity?: number;
}

/**
 * A hierarchical timing wheel holding timers with integer-µs deadlines and a payload of
 * type `T` each.
 *
 * - {@link TimerWheel.arm} and {@link TimerWheel.cancel} are O(1) and allocate nothing
 *   (beyond occasional storage doubling).
 * - {@link TimerWheel.expire} fires every timer whose deadline is ≤ `now`, in deadline
 *   order, ties in arm order; deadlines in the past fire at the next `expire`.
 * - {@link TimerWheel.nextDeadline} reports the earliest deadline, or `null`.
 *
 * @example
 * ```ts
 * const wheel = new TimerWheel<string>();
 * wheel.arm(2000, 'b');
 * const a = wheel.arm(1000, 'a');
 * wheel.nextDeadline(); // 1000
 * wheel.expire(5000, (payload, deadline) => console.log(payload, deadline)); // a 1000, b 2000
 * wheel.cancel(a); // false: already fired
 * ```
 */
export class TimerWheel<T> {
  #elapsed: Micros;
  #size = 0;
  #seqCounter = 0;
  #capacity: number;
  #freeHead = NIL;
  #used = 0; // nodes ever handed out (high-water mark)

  #next: Int32Array;
  #prev: Int32Array;
  #where: Int32Array;
  #gen: Uint32Array;
  #deadline: Float64Array;
  #seq: Float64Array;
  #payload: (T | undefined)[];

  readonly #head = new Int32Array(LISTS).fill(NIL);
  readonly #tail = new Int32Array(LISTS).fill(NIL);
  readonly #occupied = new Uint32Array(LEVELS);
  #overdueSorted = true;

  #cacheValid = true;
  #cache: Micros | null = null;
  #expiring = false;
  readonly #scratch: number[] = [];

  /** @param options - initial time and capacity */
  constructor(options: TimerWheelOptions = {}) {
    const now = options.now ?? 0;
    if (!Number.isSafeInteger(now) || now < 0) {
      throw new SchedError(
        'INVALID_TIME',
        `wheel start time must be a non-negative integer, got ${now}`,
      );
    }
    this.#elapsed = now;
    const cap = Math.max(16, Math.min(MAX_NODES, Math.floor(options.initialCapacity ?? 256)));
    this.#capacity = cap;
    this.#next = new Int32Array(cap);
    this.#prev = new Int32Array(cap);
    this.#where = new Int32Array(cap).fill(FREE);
    this.#gen = new Uint32Array(cap).fill(1);
    this.#deadline = new Float64Array(cap);
    this.#seq = new Float64Array(cap);
    this.#payload = new Array<T | undefined>(cap).fill(undefined);
  }

  /** Number of armed timers. */
  get size(): number {
    return this.#size;
  }

  /** The wheel's current time: the largest `now` passed to {@link TimerWheel.expire} so far. */
  get now(): Micros {
    return this.#elapsed;
  }

  /**
   * Arms a timer firing at `deadline` (integer µs) carrying `payload`. A deadline at or
   * before the wheel's current time fires at the next {@link TimerWheel.expire}.
   * Throws `INVALID_TIME` if `deadline` is not a safe integer.
   */
  arm(deadline: Micros, payload: T): TimerId {
    if (!Number.isSafeInteger(deadline)) {
      throw new SchedError('INVALID_TIME', `deadline must be a safe integer, got ${deadline}`);
    }
    const idx = this.#alloc();
    this.#deadline[idx] = deadline;
    this.#seq[idx] = this.#seqCounter++;
    this.#payload[idx] = payload;
    if (deadline < this.#elapsed) this.#pushOverdue(idx, deadline);
    else this.#insert(idx, deadline);
    this.#size++;
    if (this.#cacheValid && (this.#cache === null || deadline < this.#cache))
      this.#cache = deadline;
    return this.#gen[idx]! * INDEX_BITS_SCALE + idx;
  }

  /** Cancels a timer. Returns `true` if it was armed, `false` if it had fired or was cancelled. */
  cancel(id: TimerId): boolean {
    const idx = this.#validIndex(id);
    if (idx < 0) return false;
    const deadline = this.#deadline[idx]!;
    this.#unlink(idx);
    this.#free(idx);
    this.#size--;
    if (this.#cacheValid && this.#cache === deadline) this.#cacheValid = false;
    return true;
  }

  /** Whether `id` names a timer that is still armed. */
  isArmed(id: TimerId): boolean {
    return this.#validIndex(id) >= 0;
  }

  /** The deadline of an armed timer, or `null` if `id` is stale. */
  deadlineOf(id: TimerId): Micros | null {
    const idx = this.#validIndex(id);
    return idx < 0 ? null : this.#deadline[idx]!;
  }

  /** The earliest deadline among armed timers, or `null` when none is armed. */
  nextDeadline(): Micros | null {
    if (this.#cacheValid) return this.#cache;
    this.#cache = this.#computeNextDeadline();
    this.#cacheValid = true;
    return this.#cache;
  }

  /**
   * Fires, in deadline order (ties in arm order), every timer with deadline ≤ `now`, then
   * sets the wheel's time to `now` (it never moves back). Each fired timer is disarmed
   * before `onExpire` runs, so the callback may arm and cancel freely; timers it arms
   * with a deadline ≤ `now` fire in this same call. Not re-entrant. Returns the number of
   * timers fired.
   */
  expire(now: Micros, onExpire: (payload: T, deadline: Micros, id: TimerId) => void): number {
    if (!Number.isSafeInteger(now)) {
      throw new SchedError('INVALID_TIME', `now must be a safe integer, got ${now}`);
    }
    if (this.#expiring)
      throw new SchedError('INVALID_ARGUMENT', 'TimerWheel.expire is not re-entrant');
    this.#expiring = true;
    this.#cacheValid = false;
    let fired = 0;
    try {
      for (;;) {
        if (this.#head[OVERDUE] !== NIL) {
          if (!this.#overdueSorted) this.#sortOverdue();
          const idx = this.#head[OVERDUE]!;
          if (this.#deadline[idx]! > now) break;
          fired++;
          this.#fire(idx, onExpire);
          continue;
        }
        const level = this.#lowestOccupiedLevel();
        if (level < 0) break;
        const slot = lowestBit(this.#occupied[level]!);
        const start = this.#slotStart(level, slot);
        if (start > now) break;
        if (start > this.#elapsed) this.#elapsed = start;
        const list = level * SLOTS + slot;
        if (level === 0) {
          fired += this.#fireSlot(list, onExpire);
        } else {
          this.#cascade(list);
        }
      }
      if (now > this.#elapsed) this.#elapsed = now;
    } finally {
      this.#expiring = false;
      this.#cacheValid = false;
    }
    return fired;
  }

  // ── internals ────────────────────────────────────────────────────────────

  #validIndex(id: TimerId): number {
    if (!Number.isSafeInteger(id) || id < 0) return -1;
    const idx = id & INDEX_MASK;
    if (idx >= this.#used) return -1;
    if (this.#where[idx] === FREE) return -1;
    if (this.#gen[idx]! * INDEX_BITS_SCALE + idx !== id) return -1;
    return idx;
  }

  #alloc(): number {
    let idx = this.#freeHead;
    if (idx !== NIL) {
      this.#freeHead = this.#next[idx]!;
      return idx;
    }
    if (this.#used === this.#capacity) this.#grow();
    idx = this.#used++;
    return idx;
  }

  #free(idx: number): void {
    this.#where[idx] = FREE;
    this.#payload[idx] = undefined;
    const g = this.#gen[idx]! + 1;
    this.#gen[idx] = g >= MAX_GENERATION ? 1 : g;
    this.#next[idx] = this.#freeHead;
    this.#freeHead = idx;
  }

  #grow(): void {
    if (this.#capacity >= MAX_NODES) {
      throw new SchedError('INVALID_ARGUMENT', `timer wheel is full (${MAX_NODES} timers)`);
    }
    const cap = Math.min(MAX_NODES, this.#capacity * 2);
    const grow32 = (a: Int32Array, fill: number): Int32Array => {
      const b = new Int32Array(cap).fill(fill);
      b.set(a);
      return b;
    };
    const growF64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.#next = grow32(this.#next, 0);
    this.#prev = grow32(this.#prev, 0);
    this.#where = grow32(this.#where, FREE);
    const gen = new Uint32Array(cap).fill(1);
    gen.set(this.#gen);
    this.#gen = gen;
    this.#deadline = growF64(this.#deadline);
    this.#seq = growF64(this.#seq);
    for (let i = this.#capacity; i < cap; i++) this.#payload.push(undefined);
    this.#capacity = cap;
  }

  #insert(idx: number, deadline: Micros): void {
    const level = levelFor(this.#elapsed, deadline);
    const slot = digitAt(deadline, level);
    this.#linkTail(level * SLOTS + slot, idx);
    this.#occupied[level] = this.#occupied[level]! | (1 << slot);
  }

  #pushOverdue(idx: number, deadline: Micros): void {
    const tail = this.#tail[OVERDUE]!;
    if (tail !== NIL && this.#deadline[tail]! > deadline) this.#overdueSorted = false;
    this.#linkTail(OVERDUE, idx);
  }

  #linkTail(list: number, idx: number): void {
    const tail = this.#tail[list]!;
    this.#where[idx] = list;
    this.#next[idx] = NIL;
    this.#prev[idx] = tail;
    if (tail === NIL) this.#head[list] = idx;
    else this.#next[tail] = idx;
    this.#tail[list] = idx;
  }

  #unlink(idx: number): void {
    const list = this.#where[idx]!;
    const n = this.#next[idx]!;
    const p = this.#prev[idx]!;
    if (p === NIL) this.#head[list] = n;
    else this.#next[p] = n;
    if (n === NIL) this.#tail[list] = p;
    else this.#prev[n] = p;
    if (list === OVERDUE) {
      if (n === NIL && p === NIL) this.#overdueSorted = true;
    } else if (this.#head[list] === NIL) {
      const level = (list / SLOTS) | 0;
      this.#occupied[level] = this.#occupied[level]! & ~(1 << (list & SLOT_MASK));
    }
  }

  #lowestOccupiedLevel(): number {
    const occ = this.#occupied;
    for (let l = 0; l < LEVELS; l++) if (occ[l] !== 0) return l;
    return -1;
  }

  /** Start time of `slot` at `level` in the window of the current time. */
  #slotStart(level: number, slot: number): Micros {
    const windowSpan = SLOT_SIZE[level + 1]!;
    const base = Math.floor(this.#elapsed / windowSpan) * windowSpan;
    return base + slot * SLOT_SIZE[level]!;
  }

  #computeNextDeadline(): Micros | null {
    const overdue = this.#head[OVERDUE]!;
    if (overdue !== NIL) return this.#minDeadline(overdue);
    const level = this.#lowestOccupiedLevel();
    if (level < 0) return null;
    const slot = lowestBit(this.#occupied[level]!);
    // Level 0 slots are exactly 1 µs wide; higher slots hold a range, so look inside.
    if (level === 0) return this.#slotStart(0, slot);
    return this.#minDeadline(this.#head[level * SLOTS + slot]!);
  }

  #minDeadline(first: number): Micros {
    let min = Number.POSITIVE_INFINITY;
    for (let i = first; i !== NIL; i = this.#next[i]!) {
      const d = this.#deadline[i]!;
      if (d < min) min = d;
    }
    return min;
  }

  /** Moves every timer of a higher-level slot down to its place relative to the current time. */
  #cascade(list: number): void {
    let i = this.#head[list]!;
    this.#head[list] = NIL;
    this.#tail[list] = NIL;
    const level = (list / SLOTS) | 0;
    this.#occupied[level] = this.#occupied[level]! & ~(1 << (list & SLOT_MASK));
    while (i !== NIL) {
      const n = this.#next[i]!;
      this.#insert(i, this.#deadline[i]!);
      i = n;
    }
  }

  /**
   * Fires a level-0 slot; every timer in it has the same deadline. Lists are already in
   * arm order: a timer armed later with the same deadline always computes the same level
   * and slot as an earlier one that has not cascaded yet (both differ from the current
   * time first at that slot's digit), so it is appended behind it, and cascading moves
   * lists in order.
   */
  #fireSlot(list: number, onExpire: (payload: T, deadline: Micros, id: TimerId) => void): number {
    let fired = 0;
    for (let idx = this.#head[list]!; idx !== NIL; idx = this.#head[list]!) {
      fired++;
      this.#fire(idx, onExpire);
    }
    return fired;
  }

  #fire(idx: number, onExpire: (payload: T, deadline: Micros, id: TimerId) => void): void {
    const id = this.#gen[idx]! * INDEX_BITS_SCALE + idx;
    const payload = this.#payload[idx] as T;
    const deadline = this.#deadline[idx]!;
    this.#unlink(idx);
    this.#free(idx);
    this.#size--;
    onExpire(payload, deadline, id);
  }

  /** Re-links the overdue list in (deadline, arm sequence) order. Off the fast path. */
  #sortOverdue(): void {
    const items = this.#scratch;
    items.length = 0;
    for (let i = this.#head[OVERDUE]!; i !== NIL; i = this.#next[i]!) items.push(i);
    const deadline = this.#deadline;
    const seq = this.#seq;
    items.sort((a, b) => deadline[a]! - deadline[b]! || seq[a]! - seq[b]!);
    this.#head[OVERDUE] = NIL;
    this.#tail[OVERDUE] = NIL;
    for (const i of items) this.#linkTail(OVERDUE, i);
    items.length = 0;
    this.#overdueSorted = true;
  }
}
