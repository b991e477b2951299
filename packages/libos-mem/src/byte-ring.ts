import { ByteRingError } from './errors.js';

/**
 * A byte ring buffer (FIFO) over caller-provided storage, for socket send and receive
 * buffers. Capacity is `storage.length`, any size (not only powers of two); memory is
 * bounded by construction (smoltcp's `RingBuffer` habit: callers own storage).
 *
 * Representation: `head` (index of the oldest readable byte, in [0, capacity)) and
 * `length` (readable bytes, in [0, capacity]). The write position is
 * `(head + length) mod capacity`. Keeping a length rather than two indices removes the
 * full/empty ambiguity without wasting a slot. When the ring becomes empty, `head`
 * returns to 0 so the next writes are contiguous.
 *
 * ```
 *  storage: [ ...readable(2nd)... | free | ...readable(1st)... ]   (wrapped)
 *           0                  tail      head             capacity
 * ```
 *
 * Zero-copy: {@link ByteRing.readableSegments} / {@link ByteRing.writableSegments} give
 * up to two views (the second is empty unless the region wraps); after filling or
 * draining them, call {@link ByteRing.commit} / {@link ByteRing.consume}.
 *
 * @example
 * ```ts
 * import { ByteRing } from '@libos/mem';
 * const ring = new ByteRing(new Uint8Array(8));
 * ring.write(new Uint8Array([1, 2, 3])); // 3
 * const out = new Uint8Array(2);
 * ring.read(out); // 2, out = [1, 2]
 * ring.readable; // 1
 * ```
 */
export class ByteRing {
  /** The caller's storage. */
  readonly storage: Uint8Array;
  /** Bytes the ring can hold: `storage.length`. */
  readonly capacity: number;
  #head = 0;
  #length = 0;

  /**
   * @param storage - backing bytes; the ring owns their contents from now on
   */
  constructor(storage: Uint8Array) {
    this.storage = storage;
    this.capacity = storage.length;
  }

  /** Bytes available to read. */
  get readable(): number {
    return this.#length;
  }

  /** Bytes of free space available to write. */
  get writable(): number {
    return this.capacity - this.#length;
  }

  /** Whether nothing is readable. */
  get isEmpty(): boolean {
    return this.#length === 0;
  }

  /** Whether nothing is writable. */
  get isFull(): boolean {
    return this.#length === this.capacity;
  }

  /**
   * Appends as much of `src` as fits.
   *
   * @param src - bytes to append
   * @returns bytes accepted (≤ `src.length`, ≤ `writable`)
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * new ByteRing(new Uint8Array(2)).write(new Uint8Array(5)); // 2
   * ```
   */
  write(src: Uint8Array): number {
    const n = Math.min(src.length, this.capacity - this.#length);
    if (n === 0) return 0;
    this.#copyIn(this.#wrap(this.#head + this.#length), src, n);
    this.#length += n;
    return n;
  }

  /**
   * Copies `src` into free space `offset` bytes past the write position without making
   * it readable (for out-of-order TCP segments); a later {@link ByteRing.commit} exposes it.
   *
   * @param offset - distance past the write position, ≥ 0
   * @param src - bytes to copy
   * @returns bytes copied (clamped to the free space after `offset`; 0 if none)
   * @throws ByteRingError `BAD_COUNT` if `offset` is not a non-negative integer
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * ring.writeAt(2, new Uint8Array([3, 4])); // 2, not yet readable
   * ring.write(new Uint8Array([1, 2]));
   * ring.commit(2); // now 1 2 3 4 are readable
   * ```
   */
  writeAt(offset: number, src: Uint8Array): number {
    this.#checkCount(offset, Number.MAX_SAFE_INTEGER, 'offset');
    const free = this.capacity - this.#length;
    if (offset >= free) return 0;
    const n = Math.min(src.length, free - offset);
    if (n > 0) this.#copyIn(this.#wrap(this.#head + this.#length + offset), src, n);
    return n;
  }

  /**
   * Removes up to `dst.length` bytes into `dst`.
   *
   * @param dst - destination
   * @returns bytes read
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * new ByteRing(new Uint8Array(8)).read(new Uint8Array(4)); // 0: empty
   * ```
   */
  read(dst: Uint8Array): number {
    const n = this.peek(dst);
    this.#advance(n);
    return n;
  }

  /**
   * Copies up to `dst.length` readable bytes, starting `offset` bytes in, without
   * consuming them (e.g. to retransmit unacknowledged data).
   *
   * @param dst - destination
   * @param offset - bytes to skip first (default 0)
   * @returns bytes copied (0 when `offset ≥ readable`)
   * @throws ByteRingError `BAD_COUNT` if `offset` is not a non-negative integer
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * ring.write(new Uint8Array([1, 2, 3]));
   * const out = new Uint8Array(2);
   * ring.peek(out, 1); // 2, out = [2, 3]; still 3 readable
   * ```
   */
  peek(dst: Uint8Array, offset = 0): number {
    this.#checkCount(offset, Number.MAX_SAFE_INTEGER, 'offset');
    if (offset >= this.#length) return 0;
    const n = Math.min(dst.length, this.#length - offset);
    if (n > 0) this.#copyOut(this.#wrap(this.#head + offset), dst, n);
    return n;
  }

  /**
   * Drops up to `n` readable bytes.
   *
   * @param n - bytes to drop (clamped to `readable`)
   * @returns bytes dropped
   * @throws ByteRingError `BAD_COUNT` if `n` is not a non-negative integer
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * ring.write(new Uint8Array(3));
   * ring.discard(10); // 3
   * ```
   */
  discard(n: number): number {
    this.#checkCount(n, Number.MAX_SAFE_INTEGER, 'discard count');
    const d = Math.min(n, this.#length);
    this.#advance(d);
    return d;
  }

  /**
   * Drops exactly `n` readable bytes (after processing {@link ByteRing.readableSegments}).
   *
   * @param n - bytes to drop
   * @throws ByteRingError `BAD_COUNT` if `n` is not an integer in [0, readable]
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * ring.write(new Uint8Array([1, 2]));
   * const [first] = ring.readableSegments();
   * ring.consume(first.length);
   * ```
   */
  consume(n: number): void {
    this.#checkCount(n, this.#length, 'consume count');
    this.#advance(n);
  }

  /**
   * Makes `n` bytes of free space readable (after filling {@link ByteRing.writableSegments}).
   *
   * @param n - bytes to expose
   * @throws ByteRingError `BAD_COUNT` if `n` is not an integer in [0, writable]
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * const [first] = ring.writableSegments();
   * first[0] = 42;
   * ring.commit(1);
   * ```
   */
  commit(n: number): void {
    this.#checkCount(n, this.capacity - this.#length, 'commit count');
    this.#length += n;
  }

  /**
   * Views of readable bytes, in order: `[first, second]`; `second` is empty unless the
   * data wraps. No copy.
   *
   * @param offset - skip this many readable bytes first (default 0)
   * @param max - at most this many bytes in total (default all)
   * @returns two views whose lengths sum to `min(max, readable - offset)`
   * @throws ByteRingError `BAD_COUNT` if `offset` / `max` are not non-negative integers
   *   or `offset > readable`
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * ring.write(new Uint8Array([1, 2, 3]));
   * const [a, b] = ring.readableSegments(); // a = [1, 2, 3], b = []
   * ```
   */
  readableSegments(offset = 0, max: number = Number.MAX_SAFE_INTEGER): [Uint8Array, Uint8Array] {
    this.#checkCount(offset, this.#length, 'offset');
    this.#checkCount(max, Number.MAX_SAFE_INTEGER, 'max');
    return this.#segments(this.#wrap(this.#head + offset), Math.min(max, this.#length - offset));
  }

  /**
   * Views of the free space, in write order: `[first, second]`; `second` is empty unless
   * the free space wraps. Fill them, then {@link ByteRing.commit}. No copy.
   *
   * @returns two views whose lengths sum to `writable`
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const [a, b] = new ByteRing(new Uint8Array(8)).writableSegments(); // a.length = 8
   * ```
   */
  writableSegments(): [Uint8Array, Uint8Array] {
    return this.#segments(this.#wrap(this.#head + this.#length), this.capacity - this.#length);
  }

  /**
   * Empties the ring.
   *
   * @example
   * ```ts
   * import { ByteRing } from '@libos/mem';
   * const ring = new ByteRing(new Uint8Array(8));
   * ring.write(new Uint8Array(3));
   * ring.clear(); // readable = 0
   * ```
   */
  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  /** `i mod capacity` for i in [0, 2 × capacity). */
  #wrap(i: number): number {
    return i >= this.capacity ? i - this.capacity : i;
  }

  #advance(n: number): void {
    this.#length -= n;
    this.#head = this.#length === 0 ? 0 : this.#wrap(this.#head + n);
  }

  #segments(start: number, n: number): [Uint8Array, Uint8Array] {
    const first = Math.min(n, this.capacity - start);
    return [this.storage.subarray(start, start + first), this.storage.subarray(0, n - first)];
  }

  #copyIn(pos: number, src: Uint8Array, n: number): void {
    const first = Math.min(n, this.capacity - pos);
    this.storage.set(first === src.length ? src : src.subarray(0, first), pos);
    if (n > first) this.storage.set(src.subarray(first, n), 0);
  }

  #copyOut(pos: number, dst: Uint8Array, n: number): void {
    const first = Math.min(n, this.capacity - pos);
    dst.set(this.storage.subarray(pos, pos + first), 0);
    if (n > first) dst.set(this.storage.subarray(0, n - first), first);
  }

  #checkCount(n: number, max: number, what: string): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > max) {
      throw new ByteRingError('BAD_COUNT', `${what} ${n} is not an integer in [0, ${max}]`);
    }
  }
}
