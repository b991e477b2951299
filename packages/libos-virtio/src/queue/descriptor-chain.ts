import type { GuestMemory } from '@libos/mem';
import { copyBytes, type WordView, wordView } from './byte-copy.js';
import type { SplitQueueDevice } from './split-queue-device.js';

/**
 * One buffer of a {@link DescriptorChain} as the device sees it.
 *
 * @example
 * ```ts
 * for (const s of chain.segments()) console.log(s.addr, s.len, s.writable);
 * ```
 */
export interface ChainSegment {
  /** Guest address, checked to lie inside guest memory with its length. */
  readonly addr: number;
  /** Length in bytes. */
  readonly len: number;
  /** Device-writable (VIRTQ_DESC_F_WRITE) rather than device-readable. */
  readonly writable: boolean;
}

/**
 * A request as the device side received it: the validated buffers of one descriptor
 * chain (virtio 1.2 §2.7.5), device-readable segments first, then device-writable ones.
 *
 * A chain is filled by {@link SplitQueueDevice.popAvailable}, which walks and validates
 * every descriptor — loop bound, indices, guest-memory bounds with exact 64-bit
 * arithmetic, indirect-table rules, readable-before-writable — **before** the chain is
 * handed out, copying each descriptor's `addr` and `len` as it checks them. So the chain
 * never changes under the device even if the driver rewrites the descriptor table, and a
 * device model can parse the whole request before executing it.
 *
 * Reuse one chain per device loop (`popAvailable(chain)`) and nothing is allocated per
 * request for chains of up to 4 segments (storage grows once for longer ones).
 *
 * @example
 * ```ts
 * import { DescriptorChain } from '@libos/virtio';
 * const chain = new DescriptorChain(memory);
 * while (device.popAvailable(chain)) {
 *   const n = chain.readReadable(scratch);     // copy the request out
 *   chain.writeWritable(reply);                // refused (false) if it does not fit
 *   device.pushUsed(chain, reply.length);
 * }
 * device.publishUsed();
 * ```
 */
export class DescriptorChain {
  /** Guest memory the segments are in. */
  readonly memory: GuestMemory;

  readonly #guest: WordView;
  /** Views of the caller's last `readReadable` / `writeWritable` buffer (cached). */
  #io: WordView | null = null;
  #addr: Float64Array;
  #len: Float64Array;
  #count = 0;
  #readableCount = 0;
  #readableLength = 0;
  #writableLength = 0;
  #head = -1;
  #owner: SplitQueueDevice | null = null;

  /**
   * @param memory - guest memory the device works on
   * @param capacity - segments to reserve room for (grows on demand)
   */
  constructor(memory: GuestMemory, capacity = 4) {
    this.memory = memory;
    this.#guest = wordView(memory.buffer);
    const n = Math.max(1, Math.floor(capacity));
    this.#addr = new Float64Array(n);
    this.#len = new Float64Array(n);
  }

  /** Index of the chain's head descriptor: what goes into the used ring. -1 before the first pop. */
  get head(): number {
    return this.#head;
  }

  /** Number of buffers (descriptors, counting indirect-table entries, not the table itself). */
  get segmentCount(): number {
    return this.#count;
  }

  /** Number of device-readable buffers (they come first). */
  get readableCount(): number {
    return this.#readableCount;
  }

  /** Number of device-writable buffers (they come after the readable ones). */
  get writableCount(): number {
    return this.#count - this.#readableCount;
  }

  /** Total bytes of the device-readable buffers. */
  get readableLength(): number {
    return this.#readableLength;
  }

  /** Total bytes of the device-writable buffers: the most `pushUsed` may report. */
  get writableLength(): number {
    return this.#writableLength;
  }

  /**
   * Guest address of segment `i`.
   * @param i - segment index, 0 ≤ i < segmentCount
   * @returns the address
   * @example
   * ```ts
   * const first = chain.segmentAddress(0);
   * ```
   */
  segmentAddress(i: number): number {
    this.#checkIndex(i);
    return this.#addr[i]!;
  }

  /**
   * Length of segment `i`.
   * @param i - segment index
   * @returns bytes
   * @example
   * ```ts
   * const headerLen = chain.segmentLength(0);
   * ```
   */
  segmentLength(i: number): number {
    this.#checkIndex(i);
    return this.#len[i]!;
  }

  /**
   * Whether segment `i` is device-writable.
   * @param i - segment index
   * @returns `true` for writable
   * @example
   * ```ts
   * chain.segmentWritable(chain.readableCount); // true when there are writable segments
   * ```
   */
  segmentWritable(i: number): boolean {
    this.#checkIndex(i);
    return i >= this.#readableCount;
  }

  /**
   * A view of segment `i` over guest memory (no copy; allocates the view object).
   * Writable segments may be written through it; readable ones must not be.
   * @param i - segment index
   * @returns the bytes of the segment
   * @example
   * ```ts
   * const header = chain.segmentBytes(0);
   * ```
   */
  segmentBytes(i: number): Uint8Array {
    this.#checkIndex(i);
    return this.memory.bytes(this.#addr[i]!, this.#len[i]!);
  }

  /**
   * The segments as objects (allocates; for tests and slow paths).
   * @returns an iterator over the segments in chain order
   * @example
   * ```ts
   * const lengths = [...chain.segments()].map((s) => s.len);
   * ```
   */
  *segments(): IterableIterator<ChainSegment> {
    for (let i = 0; i < this.#count; i++) {
      yield { addr: this.#addr[i]!, len: this.#len[i]!, writable: i >= this.#readableCount };
    }
  }

  /**
   * Copies device-readable bytes, starting `offset` bytes into the readable part, into
   * `dst` (as many as fit).
   *
   * @param dst - destination
   * @param offset - byte offset into the concatenated readable buffers
   * @returns bytes copied: `min(dst.length, readableLength - offset)`, or 0
   * @example
   * ```ts
   * const frame = new Uint8Array(chain.readableLength);
   * chain.readReadable(frame);
   * ```
   */
  readReadable(dst: Uint8Array, offset = 0): number {
    const io = this.#ioView(dst);
    const base = dst.byteOffset;
    let skip = Math.max(offset, 0);
    let pos = 0;
    const want = dst.length;
    for (let i = 0; i < this.#readableCount && pos < want; i++) {
      const len = this.#len[i]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const avail = len - skip;
      const n = Math.min(avail, want - pos);
      copyBytes(this.#guest, this.#addr[i]! + skip, io, base + pos, n);
      skip = 0;
      pos += n;
    }
    return pos;
  }

  /**
   * Writes `src` into the device-writable part, starting `offset` bytes into it. Refuses
   * — writes nothing, returns `false` — when it does not fit entirely inside the
   * writable buffers; that is reported to the device as a `WRITE_BEYOND_WRITABLE`
   * violation (the driver's buffers are too small for the reply) and breaks the queue.
   * Device-readable buffers are never written.
   *
   * @param src - bytes to write
   * @param offset - byte offset into the concatenated writable buffers
   * @returns `true` when all of `src` was written
   * @example
   * ```ts
   * if (chain.writeWritable(reply)) device.pushUsed(chain, reply.length);
   * ```
   */
  writeWritable(src: Uint8Array, offset = 0): boolean {
    const total = src.length;
    if (!(offset >= 0 && Number.isInteger(offset) && total <= this.#writableLength - offset)) {
      this.#owner?.reportViolation(
        'WRITE_BEYOND_WRITABLE',
        `chain ${this.#head}: ${total} bytes at offset ${offset} do not fit its ${this.#writableLength} writable bytes`,
      );
      return false;
    }
    const io = this.#ioView(src);
    const base = src.byteOffset;
    let skip = offset;
    let pos = 0;
    for (let i = this.#readableCount; i < this.#count && pos < total; i++) {
      const len = this.#len[i]!;
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const room = len - skip;
      const n = Math.min(room, total - pos);
      copyBytes(io, base + pos, this.#guest, this.#addr[i]! + skip, n);
      skip = 0;
      pos += n;
    }
    return true;
  }

  // ── filled by SplitQueueDevice ───────────────────────────────────────────────────

  /**
   * Starts refilling this chain for `head`.
   * @internal
   */
  begin(head: number, owner: SplitQueueDevice): void {
    this.#head = head;
    this.#owner = owner;
    this.#count = 0;
    this.#readableCount = 0;
    this.#readableLength = 0;
    this.#writableLength = 0;
  }

  /**
   * Appends a validated segment; the caller has checked the readable-before-writable order.
   * @internal
   */
  append(addr: number, len: number, writable: boolean): void {
    const i = this.#count;
    if (i === this.#addr.length) this.#grow();
    this.#addr[i] = addr;
    this.#len[i] = len;
    this.#count = i + 1;
    if (writable) {
      this.#writableLength += len;
    } else {
      this.#readableCount = i + 1;
      this.#readableLength += len;
    }
  }

  #ioView(bytes: Uint8Array): WordView {
    const buffer = bytes.buffer;
    if (buffer === this.#guest.buffer) return this.#guest;
    let io = this.#io;
    if (io === null || io.buffer !== buffer) {
      io = wordView(buffer);
      this.#io = io;
    }
    return io;
  }

  #grow(): void {
    const addr = new Float64Array(this.#addr.length * 2);
    const len = new Float64Array(this.#len.length * 2);
    addr.set(this.#addr);
    len.set(this.#len);
    this.#addr = addr;
    this.#len = len;
  }

  #checkIndex(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.#count)) {
      throw new RangeError(`segment ${i} is outside 0..${this.#count - 1}`);
    }
  }
}
