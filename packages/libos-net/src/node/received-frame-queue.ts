/**
 * A bounded FIFO of received frames (views or owned buffers), as a fixed ring: no
 * allocation per frame once built.
 *
 * @example
 * ```ts
 * import { ReceivedFrameQueue } from '@libos/net/node';
 * const queue = new ReceivedFrameQueue(2);
 * queue.push(new Uint8Array(60)); // true
 * queue.shift()?.length; // 60
 * ```
 */
export class ReceivedFrameQueue {
  readonly #slots: (Uint8Array | undefined)[];
  #head = 0;
  #count = 0;

  /** @param capacity - most frames held at once (≥ 1) */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer, not ${capacity}`);
    }
    this.#slots = new Array<Uint8Array | undefined>(capacity).fill(undefined);
  }

  /** Most frames the queue holds. */
  get capacity(): number {
    return this.#slots.length;
  }

  /** Frames waiting. */
  get length(): number {
    return this.#count;
  }

  /** True when {@link push} would refuse. */
  get full(): boolean {
    return this.#count === this.#slots.length;
  }

  /**
   * Appends a frame; false (and nothing stored) when full.
   *
   * @param frame - the frame; the queue keeps this reference
   */
  push(frame: Uint8Array): boolean {
    if (this.full) return false;
    this.#slots[(this.#head + this.#count) % this.#slots.length] = frame;
    this.#count++;
    return true;
  }

  /** Removes and returns the oldest frame, or undefined when empty. */
  shift(): Uint8Array | undefined {
    if (this.#count === 0) return undefined;
    const frame = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#count--;
    return frame;
  }

  /** Drops every frame. */
  clear(): void {
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#count = 0;
  }
}
