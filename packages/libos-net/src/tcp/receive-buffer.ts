/**
 * The receive buffer of one TCP connection: in-order data waiting for the application,
 * and out-of-order data held at its place until the holes before it fill (RFC 9293
 * §3.10.7.4 "segment text"; RFC 2018 for reporting what is held).
 *
 * A ring that grows on demand up to its capacity (doubling from 4 KiB, so an idle or
 * lightly used connection does not hold a full-size buffer), or the caller's own fixed
 * storage (STYLE.md "callers own storage"). Offsets count from RCV.NXT, the first byte
 * not yet received in order:
 *
 * ```
 *  ring from the read head:
 *  |RRRRRRRRRRRR|.......|OOOOOO|.....|OOO|..............|
 *   ^ head       ^ RCV.NXT (offset 0)                    ^ head + capacity
 *   readable      hole    range  hole  range
 *                |<------------------ window ----------------->|
 * ```
 *
 * Out-of-order data lives in a sorted list of disjoint, non-adjacent ranges `[start, end)`
 * (offsets from RCV.NXT, `start > 0`). RELIABILITY.md item 7 (out-of-order flood with many
 * holes): the number of ranges (= holes) is bounded by `maxGaps` and the bytes by the
 * capacity; a segment that would open one hole too many is refused (`'too-many-gaps'`)
 * rather than the list grown — but a segment that is in order, or that fills or extends
 * an existing range, is always accepted, so the connection keeps making progress.
 */

import { type BufferGrowthOptions, growthSize, INITIAL_BUFFER_STORAGE } from './send-buffer.js';
import { seqAdd } from './seq.js';
import type { TcpSackBlock } from './tcp-options.js';
import { TcpError } from './tcp-stream.js';

/** RFC 7323 §2.3: the largest window is 2^30 bytes; a larger buffer would never be used. */
const MAX_CAPACITY = 2 ** 30;
/** Default bound on out-of-order ranges (holes). */
const DEFAULT_MAX_GAPS = 8;
/** Upper bound accepted for `maxGaps`: the range list is scanned linearly. */
const MAX_MAX_GAPS = 4096;

/**
 * Options of {@link ReceiveBuffer}.
 *
 * @example
 * ```ts
 * import type { ReceiveBufferOptions } from '@libos/net';
 * const options: ReceiveBufferOptions = { maxGaps: 16, reserve: (bytes) => bytes <= 65536 };
 * ```
 */
export interface ReceiveBufferOptions extends BufferGrowthOptions {
  /**
   * Most out-of-order ranges (each one preceded by a hole) held at once, an integer from
   * 0 to 4096; default 8. With 0 only in-order data is accepted.
   */
  readonly maxGaps?: number;
}

/**
 * In-order and out-of-order received data of one connection, in a fixed-size ring.
 *
 * Hostile or unlucky input is a value (`'too-many-gaps'`), never an exception; misuse (bad
 * capacity or options, a non-integer offset) throws a {@link TcpError} with code `'EINVAL'`.
 *
 * @example
 * ```ts
 * import { ReceiveBuffer } from '@libos/net';
 * const buffer = new ReceiveBuffer(64 * 1024);
 * buffer.write(5, new TextEncoder().encode(' world')); // 0: out of order, held
 * buffer.write(0, new TextEncoder().encode('hello'));  // 11: RCV.NXT advances by 11
 * new TextDecoder().decode(buffer.read(100));          // 'hello world'
 * ```
 */
export class ReceiveBuffer {
  /** Size of the ring in bytes: readable plus out-of-order bytes never exceed it. */
  readonly capacity: number;
  /** Most out-of-order ranges held at once. */
  readonly maxGaps: number;
  #storage: Uint8Array;
  readonly #reserve: ((bytes: number) => boolean) | undefined;
  /** Ring index of the first readable byte. */
  #head = 0;
  #readable = 0;
  /** Out-of-order ranges, offsets from RCV.NXT, sorted, disjoint and non-adjacent. */
  readonly #starts: Int32Array;
  readonly #ends: Int32Array;
  /** When each range last received a segment (a counter), for RFC 2018 §4 ordering. */
  readonly #stamps: Float64Array;
  #count = 0;
  #clock = 0;
  #outOfOrderBytes = 0;

  /**
   * @param capacity Size in bytes (an integer from 1 to 2^30), allocated once; or the
   *   caller's own storage, used as the ring (its length is the capacity).
   * @param opts Bounds; see {@link ReceiveBufferOptions}.
   */
  constructor(capacity: number | Uint8Array, opts: ReceiveBufferOptions = {}) {
    const size = typeof capacity === 'number' ? capacity : capacity.length;
    if (!Number.isInteger(size) || size < 1 || size > MAX_CAPACITY) {
      throw new TcpError(
        'EINVAL',
        `receive buffer capacity must be an integer in [1, 2^30], got ${size}`,
      );
    }
    const maxGaps = opts.maxGaps ?? DEFAULT_MAX_GAPS;
    if (!Number.isInteger(maxGaps) || maxGaps < 0 || maxGaps > MAX_MAX_GAPS) {
      throw new TcpError(
        'EINVAL',
        `maxGaps must be an integer in [0, ${MAX_MAX_GAPS}], got ${maxGaps}`,
      );
    }
    this.capacity = size;
    this.maxGaps = maxGaps;
    this.#reserve = opts.reserve;
    this.#storage =
      typeof capacity === 'number'
        ? new Uint8Array(Math.min(size, INITIAL_BUFFER_STORAGE))
        : capacity;
    this.#starts = new Int32Array(maxGaps);
    this.#ends = new Int32Array(maxGaps);
    this.#stamps = new Float64Array(maxGaps);
  }

  /** In-order bytes waiting for {@link ReceiveBuffer.read}. */
  get readable(): number {
    return this.#readable;
  }

  /**
   * Bytes that can be received from RCV.NXT on: `capacity − readable`, the free space
   * counted from the read head. Out-of-order data already held lies inside this window
   * and does not shrink it (RFC 9293 §3.8.6.2.2: do not shrink the window). This is the
   * value to advertise (before window scaling).
   */
  get window(): number {
    return this.capacity - this.#readable;
  }

  /** Out-of-order ranges held, which is also the number of holes before them. */
  get gaps(): number {
    return this.#count;
  }

  /** Bytes held out of order (beyond RCV.NXT). */
  get outOfOrderBytes(): number {
    return this.#outOfOrderBytes;
  }

  /**
   * Stores the text of one segment.
   *
   * @param offset Where `data` starts, in bytes from RCV.NXT (`seqDiff(SEG.SEQ, RCV.NXT)`,
   *   may be negative: bytes before RCV.NXT are duplicates and skipped).
   * @param data The segment text; not retained. Bytes at offsets of
   *   {@link ReceiveBuffer.window} or more are cut; bytes already held are ignored (the
   *   first copy received wins).
   * @returns How many bytes became contiguous (how far RCV.NXT advances), or
   *   `'too-many-gaps'` when the segment would open a new hole while `maxGaps` ranges are
   *   already held (nothing is stored then). A segment that is in order or that touches or
   *   overlaps an existing range is always accepted.
   */
  write(offset: number, data: Uint8Array): number | 'too-many-gaps' {
    if (!Number.isInteger(offset)) {
      throw new TcpError('EINVAL', `receive offset must be an integer, got ${offset}`);
    }
    const start = Math.max(offset, 0);
    let end = Math.min(offset + data.length, this.capacity - this.#readable);
    if (this.#readable + end > this.#storage.length) {
      this.#grow(this.#readable + end);
      // Growth may fall short (memory budget): keep what fits; the peer resends the rest.
      end = Math.min(end, this.#storage.length - this.#readable);
    }
    if (start >= end) return 0;

    // Ranges touching [start, end] (overlapping or adjacent) are [first, last).
    const starts = this.#starts;
    const ends = this.#ends;
    const count = this.#count;
    let first = 0;
    while (first < count && ends[first]! < start) first++;
    let last = first;
    while (last < count && starts[last]! <= end) last++;
    if (first === last && start > 0 && count >= this.maxGaps) return 'too-many-gaps';

    // Copy only into the holes of [start, end): bytes already held stay as they are.
    let at = start;
    for (let i = first; i < last; i++) {
      const s = starts[i]!;
      if (s > at) this.#copyIn(data, at - offset, at, s - at);
      at = Math.max(at, ends[i]!);
    }
    if (at < end) this.#copyIn(data, at - offset, at, end - at);

    // The union of [start, end) with the touched ranges.
    let mergedStart = start;
    let mergedEnd = end;
    let heldBefore = 0;
    if (first < last) {
      mergedStart = Math.min(start, starts[first]!);
      mergedEnd = Math.max(end, ends[last - 1]!);
      for (let i = first; i < last; i++) heldBefore += ends[i]! - starts[i]!;
    }
    const stamps = this.#stamps;

    if (mergedStart === 0) {
      // In order (every range starts above 0, so first === 0): RCV.NXT advances over the
      // union, whose ranges go; the others move down to offsets from the new RCV.NXT.
      const advance = mergedEnd;
      let to = 0;
      for (let i = last; i < count; i++, to++) {
        starts[to] = starts[i]! - advance;
        ends[to] = ends[i]! - advance;
        stamps[to] = stamps[i]!;
      }
      this.#count = to;
      this.#outOfOrderBytes -= heldBefore;
      this.#readable += advance;
      return advance;
    }

    // Out of order: the union replaces the touched ranges, in slot `first`.
    if (last - first !== 1) {
      if (first === last) {
        for (let i = count; i > first; i--) {
          starts[i] = starts[i - 1]!;
          ends[i] = ends[i - 1]!;
          stamps[i] = stamps[i - 1]!;
        }
      } else {
        for (let i = last, to = first + 1; i < count; i++, to++) {
          starts[to] = starts[i]!;
          ends[to] = ends[i]!;
          stamps[to] = stamps[i]!;
        }
      }
      this.#count = count + 1 - (last - first);
    }
    starts[first] = mergedStart;
    ends[first] = mergedEnd;
    stamps[first] = ++this.#clock; // RFC 2018 §4: this block now holds the newest segment
    this.#outOfOrderBytes += mergedEnd - mergedStart - heldBefore;
    return 0;
  }

  /**
   * Takes up to `max` in-order bytes, in a new array.
   *
   * @param max Most bytes to take (a non-negative integer).
   * @returns A copy of `min(max, readable)` bytes; the window opens by as many.
   */
  read(max: number): Uint8Array {
    if (!Number.isInteger(max) || max < 0) {
      throw new TcpError('EINVAL', `read size must be a non-negative integer, got ${max}`);
    }
    const out = new Uint8Array(Math.min(max, this.#readable));
    this.readInto(out);
    return out;
  }

  /**
   * Takes up to `dest.length` in-order bytes into the caller's array, allocating nothing.
   *
   * @param dest Where to copy, from index 0.
   * @returns How many bytes were copied (`min(dest.length, readable)`).
   */
  readInto(dest: Uint8Array): number {
    const n = Math.min(dest.length, this.#readable);
    if (n === 0) return 0;
    const size = this.#storage.length;
    const first = Math.min(n, size - this.#head);
    dest.set(this.#storage.subarray(this.#head, this.#head + first), 0);
    if (first < n) dest.set(this.#storage.subarray(0, n - first), first);
    this.#readable -= n;
    if (this.#readable === 0 && this.#count === 0) {
      // Empty: restart at index 0 so the next segments do not wrap.
      this.#head = 0;
    } else {
      this.#head += n;
      if (this.#head >= size) this.#head -= size;
    }
    return n;
  }

  /**
   * The SACK blocks to send (RFC 2018 §4): the range that received the most recent
   * segment first, then the others from the most to the least recently received, up to
   * `max` blocks.
   *
   * @param rcvNxt RCV.NXT, to turn offsets into absolute sequence numbers (mod 2^32).
   * @param max Most blocks: 4 without timestamps, 3 with them (RFC 2018 §3).
   * @returns Blocks with absolute `start` (left edge) and `end` (right edge).
   */
  sackBlocks(rcvNxt: number, max: number): TcpSackBlock[] {
    const n = Math.max(0, Math.min(max, this.#count));
    const blocks: TcpSackBlock[] = [];
    if (n === 0) return blocks;
    const order: number[] = [];
    for (let i = 0; i < this.#count; i++) order.push(i);
    const stamps = this.#stamps;
    order.sort((a, b) => stamps[b]! - stamps[a]!);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      blocks.push({ start: seqAdd(rcvNxt, this.#starts[i]!), end: seqAdd(rcvNxt, this.#ends[i]!) });
    }
    return blocks;
  }

  /** Copies `length` bytes of `data` from `from` into the ring at offset `at` from RCV.NXT. */
  /** Bytes of storage allocated now (grows towards `capacity` as data is held). */
  get allocated(): number {
    return this.#storage.length;
  }

  /**
   * Doubles the storage until `needed` bytes from the read head fit (at most
   * `capacity`), unwrapping the ring: readable bytes and every held range keep their
   * offsets. False when `reserve` refuses.
   */
  #grow(needed: number): boolean {
    const old = this.#storage;
    const size = growthSize(old.length, needed, this.capacity, this.#reserve);
    if (size === undefined) return false;
    const storage = new Uint8Array(size);
    const used = this.#readable + (this.#count > 0 ? this.#ends[this.#count - 1]! : 0);
    const first = Math.min(used, old.length - this.#head);
    storage.set(old.subarray(this.#head, this.#head + first), 0);
    if (first < used) storage.set(old.subarray(0, used - first), first);
    this.#storage = storage;
    this.#head = 0;
    return true;
  }

  #copyIn(data: Uint8Array, from: number, at: number, length: number): void {
    const storage = this.#storage;
    const size = storage.length;
    let pos = this.#head + this.#readable + at;
    if (pos >= size) pos -= size;
    const first = Math.min(length, size - pos);
    storage.set(
      from === 0 && first === data.length ? data : data.subarray(from, from + first),
      pos,
    );
    if (first < length) storage.set(data.subarray(from + first, from + length), 0);
  }
}
