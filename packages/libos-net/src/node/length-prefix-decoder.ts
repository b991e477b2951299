/**
 * Bytes of the big-endian length that precedes every frame on a QEMU `-netdev stream`.
 *
 * @example
 * ```ts
 * import { LENGTH_PREFIX_BYTES } from '@libos/net/node';
 * const wireBytes = (frameLength: number) => LENGTH_PREFIX_BYTES + frameLength;
 * ```
 */
export const LENGTH_PREFIX_BYTES = 4;

const EMPTY = new Uint8Array(0);

/**
 * What {@link LengthPrefixDecoder.next} found: a whole frame, `'need-more'` when the
 * current chunk is used up, or `'too-long'` when the announced length exceeds the limit
 * (the stream cannot be resynchronised after that).
 *
 * @example
 * ```ts
 * import type { DecodeOutcome } from '@libos/net/node';
 * const outcome: DecodeOutcome = 'need-more';
 * ```
 */
export type DecodeOutcome = Uint8Array | 'need-more' | 'too-long';

/**
 * Splits a byte stream into frames, each preceded by a 4-byte big-endian length (the
 * framing of QEMU's `-netdev stream` and `-netdev socket`). Sans-IO: feed chunks with
 * {@link LengthPrefixDecoder.push}, pull frames with {@link LengthPrefixDecoder.next}.
 * A frame that lies wholly inside one chunk is returned as a view of that chunk (no
 * copy); a frame split across chunks is assembled into a fresh buffer.
 *
 * @example
 * ```ts
 * import { LengthPrefixDecoder } from '@libos/net/node';
 * const decoder = new LengthPrefixDecoder(1518);
 * decoder.push(new Uint8Array([0, 0, 0, 2, 0xab, 0xcd]));
 * decoder.next(); // Uint8Array [0xab, 0xcd]
 * decoder.next(); // 'need-more'
 * ```
 */
export class LengthPrefixDecoder {
  /** Largest frame accepted; a longer announced length is `'too-long'`. */
  readonly maxFrameLength: number;
  #chunk: Uint8Array = EMPTY;
  #offset = 0;
  readonly #header = new Uint8Array(LENGTH_PREFIX_BYTES);
  #headerFill = 0;
  #frame: Uint8Array | null = null;
  #frameFill = 0;
  #announced = -1;

  /** @param maxFrameLength - largest frame length accepted (bytes, excluding the prefix) */
  constructor(maxFrameLength: number) {
    if (!Number.isInteger(maxFrameLength) || maxFrameLength < 0 || maxFrameLength > 0xffffffff) {
      throw new RangeError(`maxFrameLength must be an integer in [0, 2^32), not ${maxFrameLength}`);
    }
    this.maxFrameLength = maxFrameLength;
  }

  /** True while bytes of the current chunk have not been consumed by {@link next}. */
  get hasUnconsumed(): boolean {
    return this.#offset < this.#chunk.length;
  }

  /** True when a frame (or its length prefix) has started but not finished. */
  get midFrame(): boolean {
    return this.#headerFill > 0 || this.#frame !== null;
  }

  /** The length announced by the last prefix read (for error messages); -1 before any. */
  get lastAnnouncedLength(): number {
    return this.#announced;
  }

  /**
   * Hands the decoder the next chunk of the stream. The chunk is referenced, not copied:
   * it must stay unmodified while frames viewing it are in use.
   *
   * @param chunk - the next bytes of the stream
   * @throws Error if the previous chunk was not consumed (call {@link next} until
   *   `'need-more'` first).
   */
  push(chunk: Uint8Array): void {
    if (this.hasUnconsumed) throw new Error('LengthPrefixDecoder: previous chunk not consumed');
    this.#chunk = chunk;
    this.#offset = 0;
  }

  /** The next whole frame, or why there is none. */
  next(): DecodeOutcome {
    const chunk = this.#chunk;
    // Fast path: prefix and frame both inside the current chunk → a view, no copy.
    if (this.#headerFill === 0 && this.#frame === null) {
      const at = this.#offset;
      if (chunk.length - at >= LENGTH_PREFIX_BYTES) {
        const length = readLength(chunk, at);
        this.#announced = length;
        if (length > this.maxFrameLength) return 'too-long';
        const start = at + LENGTH_PREFIX_BYTES;
        if (chunk.length - start >= length) {
          this.#offset = start + length;
          return chunk.subarray(start, start + length);
        }
        this.#offset = start;
        this.#frame = new Uint8Array(length);
        this.#frameFill = 0;
        return this.#continueFrame();
      }
    }
    if (this.#frame !== null) return this.#continueFrame();
    // Slow path: the prefix itself is split across chunks.
    while (this.#headerFill < LENGTH_PREFIX_BYTES) {
      if (this.#offset >= chunk.length) return 'need-more';
      this.#header[this.#headerFill++] = chunk[this.#offset++]!;
    }
    this.#headerFill = 0;
    const length = readLength(this.#header, 0);
    this.#announced = length;
    if (length > this.maxFrameLength) return 'too-long';
    this.#frame = new Uint8Array(length);
    this.#frameFill = 0;
    return this.#continueFrame();
  }

  #continueFrame(): DecodeOutcome {
    const frame = this.#frame!;
    const take = Math.min(frame.length - this.#frameFill, this.#chunk.length - this.#offset);
    frame.set(this.#chunk.subarray(this.#offset, this.#offset + take), this.#frameFill);
    this.#offset += take;
    this.#frameFill += take;
    if (this.#frameFill < frame.length) return 'need-more';
    this.#frame = null;
    return frame;
  }
}

function readLength(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
  );
}

/**
 * Writes `length` as the 4-byte big-endian prefix at `bytes[at..at+4)`.
 *
 * @param bytes - destination
 * @param at - offset of the prefix
 * @param length - frame length (0 ≤ length < 2^32)
 * @example
 * ```ts
 * import { writeLengthPrefix } from '@libos/net/node';
 * const out = new Uint8Array(4);
 * writeLengthPrefix(out, 0, 1514); // out = [0, 0, 0x05, 0xea]
 * ```
 */
export function writeLengthPrefix(bytes: Uint8Array, at: number, length: number): void {
  bytes[at] = length >>> 24;
  bytes[at + 1] = (length >>> 16) & 0xff;
  bytes[at + 2] = (length >>> 8) & 0xff;
  bytes[at + 3] = length & 0xff;
}
