/**
 * A bounded FIFO of preallocated frame buffers: the storage behind loopback, switch
 * ports, the cable and the fault injector's holding queues. Capacity is fixed at
 * construction; nothing is allocated per frame once each slot has lent a view of a
 * given length (views are cached per slot and reused while the length repeats).
 *
 * ```text
 *   slots:  [ s0 ][ s1 ][ s2 ][ s3 ]      each slot: frameBytes of storage
 *              ^head        ^head+count   lengths[i], due[i], verified[i] per slot
 * ```
 */
import type { FrameFiller } from '../net-device.js';

/** Bounded ring of frame buffers with a length, a due time and a flag per slot. */
export class FrameRing {
  /** Most frames held at once. */
  readonly capacity: number;
  /** Longest frame a slot holds. */
  readonly frameBytes: number;
  readonly #slots: Uint8Array[];
  readonly #views: Uint8Array[];
  readonly #lengths: Int32Array;
  readonly #due: Float64Array;
  readonly #verified: Uint8Array;
  #head = 0;
  #count = 0;
  /** Slots lent to a running `shift` callback: not free until it returns. */
  #lending = 0;

  /**
   * @param capacity Number of slots.
   * @param frameBytes Bytes per slot.
   */
  constructor(capacity: number, frameBytes: number) {
    this.capacity = capacity;
    this.frameBytes = frameBytes;
    this.#slots = Array.from({ length: capacity }, () => new Uint8Array(frameBytes));
    this.#views = this.#slots.slice();
    this.#lengths = new Int32Array(capacity);
    this.#due = new Float64Array(capacity);
    this.#verified = new Uint8Array(capacity);
  }

  /** Frames held. */
  get count(): number {
    return this.#count;
  }

  /** Slots free. */
  get free(): number {
    return this.#slots.length - this.#count - this.#lending;
  }

  /** Whether no slot is free. */
  get full(): boolean {
    return this.#count + this.#lending >= this.#slots.length;
  }

  /** Whether no frame is held. */
  get empty(): boolean {
    return this.#count === 0;
  }

  /** Due time of the oldest frame; meaningful only when not empty. */
  get headDue(): number {
    return this.#due[this.#head]!;
  }

  /** Length of the oldest frame; meaningful only when not empty. */
  get headLength(): number {
    return this.#lengths[this.#head]!;
  }

  /** A view of `length` bytes of slot `i`, reused while the slot's length repeats. */
  #view(i: number, length: number): Uint8Array {
    const cached = this.#views[i]!;
    if (cached.length === length) return cached;
    const view = this.#slots[i]!.subarray(0, length);
    this.#views[i] = view;
    return view;
  }

  /**
   * Appends a frame of `length` bytes written by `fill` into the next slot. The caller
   * checks `full` and `length <= frameBytes` first. Returns the slot's view.
   */
  push(length: number, fill: FrameFiller, due = 0, verified = false): Uint8Array {
    const i = (this.#head + this.#count) % this.#slots.length;
    const view = this.#view(i, length);
    fill(view);
    this.#lengths[i] = length;
    this.#due[i] = due;
    this.#verified[i] = verified ? 1 : 0;
    this.#count++;
    return view;
  }

  /** Appends a copy of `frame`. The caller checks `full` and the length first. */
  pushCopy(frame: Uint8Array, due = 0, verified = false): Uint8Array {
    const i = (this.#head + this.#count) % this.#slots.length;
    const view = this.#view(i, frame.length);
    view.set(frame);
    this.#lengths[i] = frame.length;
    this.#due[i] = due;
    this.#verified[i] = verified ? 1 : 0;
    this.#count++;
    return view;
  }

  /** The oldest frame's view, without removing it; meaningful only when not empty. */
  peek(): Uint8Array {
    return this.#view(this.#head, this.#lengths[this.#head]!);
  }

  /** Whether the oldest frame was flagged checksum-verified. */
  get headVerified(): boolean {
    return this.#verified[this.#head] === 1;
  }

  /** Removes the oldest frame (after a successful `peek`). */
  drop(): void {
    if (this.#count === 0) return;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#count--;
  }

  /**
   * Removes the oldest frame and lends it to `onFrame`; the slot counts as used until
   * `onFrame` returns, so a frame pushed from inside the callback (a reply sent while
   * receiving) never overwrites the one being read. Returns false when empty.
   */
  shift(onFrame: (frame: Uint8Array, verified: boolean) => void): boolean {
    if (this.#count === 0) return false;
    const i = this.#head;
    this.#head = (i + 1) % this.#slots.length;
    this.#count--;
    this.#lending++;
    try {
      onFrame(this.#view(i, this.#lengths[i]!), this.#verified[i] === 1);
    } finally {
      this.#lending--;
    }
    return true;
  }

  /** Forgets every frame. */
  clear(): void {
    this.#head = 0;
    this.#count = 0;
  }
}
