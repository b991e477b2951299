/**
 * The send buffer of one TCP connection: the bytes the application has written that the
 * peer has not yet acknowledged (RFC 9293 §3.3.1 send sequence space, from SND.UNA up).
 *
 * A ring that grows on demand up to its capacity (doubling from 4 KiB, so an idle or
 * lightly used connection does not hold a full-size buffer), or the caller's own
 * fixed storage (STYLE.md "callers own storage"). `head` is the ring index of the oldest
 * unacknowledged byte:
 *
 * ```
 *  storage  |DDDD.............................AAAAAAAAAAAAAAAAAAAAAA|
 *            ^ tail wraps                     ^ head (SND.UNA)
 *           offset 0 = head, offset `length - 1` = the newest byte written
 *           free = capacity - length (storage grows while length < capacity)
 * ```
 *
 * The connection keeps the sequence numbers; this buffer only knows byte offsets from
 * SND.UNA, so it is indifferent to the 2^32 wrap. Only growth allocates; copies that
 * wrap or that take part of a caller's array use a transient `subarray` view so that the
 * engine's native copy does the work.
 */
import { TcpError } from './tcp-stream.js';

/** RFC 7323 §2.3: the largest window is 2^30 bytes; a larger buffer would never be used. */
const MAX_CAPACITY = 2 ** 30;
/** First storage size of a growing buffer (send and receive). */
export const INITIAL_BUFFER_STORAGE = 4096;

/**
 * @internal The storage size a growing buffer moves to: the smallest doubling of
 * `current` that holds `needed` (capped at `capacity`), or, when `reserve` refuses that,
 * the largest smaller doubling it pays for; undefined when it pays for none.
 */
export function growthSize(
  current: number,
  needed: number,
  capacity: number,
  reserve: ((bytes: number) => boolean) | undefined,
): number | undefined {
  const sizes: number[] = [];
  for (let size = current; size < needed && size < capacity; ) {
    size = Math.min(size * 2, capacity);
    sizes.push(size);
  }
  for (let i = sizes.length - 1; i >= 0; i--) {
    const size = sizes[i]!;
    if (reserve === undefined || reserve(size - current)) return size;
  }
  return undefined;
}

/**
 * Options of {@link SendBuffer} and {@link ReceiveBuffer} storage growth.
 *
 * @example
 * ```ts
 * import { SendBuffer, type BufferGrowthOptions } from '@libos/net';
 * let budget = 64 * 1024;
 * const growth: BufferGrowthOptions = {
 *   reserve: (bytes) => (bytes <= budget ? ((budget -= bytes), true) : false),
 * };
 * const buffer = new SendBuffer(256 * 1024, growth);
 * ```
 */
export interface BufferGrowthOptions {
  /**
   * Asked before the storage grows by `bytes`; false refuses the growth, and the buffer
   * then takes only what fits its current storage. Not asked for the first 4 KiB.
   */
  readonly reserve?: (bytes: number) => boolean;
}

/**
 * Bytes written by the application and not yet acknowledged by the peer, in a fixed-size
 * ring. Offsets count from the oldest unacknowledged byte (SND.UNA).
 *
 * Misuse (a copy or acknowledgement beyond the buffered bytes, a bad capacity) throws a
 * {@link TcpError} with code `'EINVAL'`.
 *
 * @example
 * ```ts
 * import { SendBuffer } from '@libos/net';
 * const buffer = new SendBuffer(64 * 1024);
 * const accepted = buffer.write(new TextEncoder().encode('hello')); // 5
 * const segment = new Uint8Array(accepted);
 * buffer.copyOut(0, accepted, segment); // transmit SND.UNA .. SND.UNA+5
 * buffer.acknowledge(accepted);          // the peer ACKed everything
 * ```
 */
export class SendBuffer {
  /** Size of the ring in bytes: the most unacknowledged bytes it can hold. */
  readonly capacity: number;
  #storage: Uint8Array;
  readonly #reserve: ((bytes: number) => boolean) | undefined;
  /** Ring index of the oldest unacknowledged byte. */
  #head = 0;
  #length = 0;

  /**
   * @param capacity Size in bytes (an integer from 1 to 2^30), allocated as needed; or
   *   the caller's own storage, used as the ring (its length is the capacity).
   * @param options How growth is paid for (see {@link BufferGrowthOptions}).
   */
  constructor(capacity: number | Uint8Array, options: BufferGrowthOptions = {}) {
    const size = typeof capacity === 'number' ? capacity : capacity.length;
    if (!Number.isInteger(size) || size < 1 || size > MAX_CAPACITY) {
      throw new TcpError(
        'EINVAL',
        `send buffer capacity must be an integer in [1, 2^30], got ${size}`,
      );
    }
    this.capacity = size;
    this.#reserve = options.reserve;
    this.#storage =
      typeof capacity === 'number'
        ? new Uint8Array(Math.min(size, INITIAL_BUFFER_STORAGE))
        : capacity;
  }

  /** Bytes buffered: written and not yet acknowledged (sent or not). */
  get length(): number {
    return this.#length;
  }

  /** Bytes that {@link SendBuffer.write} can still accept. */
  get free(): number {
    return this.capacity - this.#length;
  }

  /**
   * Copies as much of `data` as fits behind the buffered bytes.
   *
   * @param data Bytes from the application; not retained.
   * @returns How many leading bytes of `data` were accepted (less than `data.length` when
   *   the buffer is full: the caller keeps the rest and waits for acknowledgements).
   */
  write(data: Uint8Array): number {
    let n = Math.min(data.length, this.capacity - this.#length);
    if (this.#length + n > this.#storage.length) {
      this.#grow(this.#length + n);
      n = Math.min(n, this.#storage.length - this.#length); // growth may fall short (budget)
    }
    if (n === 0) return 0;
    const size = this.#storage.length;
    let tail = this.#head + this.#length;
    if (tail >= size) tail -= size;
    const first = Math.min(n, size - tail);
    this.#storage.set(n === data.length && first === n ? data : data.subarray(0, first), tail);
    if (first < n) this.#storage.set(data.subarray(first, n), 0);
    this.#length += n;
    return n;
  }

  /**
   * Copies buffered bytes out for (re)transmission, to `dest[0 .. length)`.
   *
   * @param offset Where to start, in bytes from the oldest unacknowledged byte (SND.UNA):
   *   a first transmission passes SND.NXT − SND.UNA, a retransmission a smaller offset.
   * @param length How many bytes to copy; `offset + length` must not exceed
   *   {@link SendBuffer.length}.
   * @param dest Where to copy, e.g. the payload area of an outgoing segment; at least
   *   `length` bytes long.
   */
  copyOut(offset: number, length: number, dest: Uint8Array): void {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.#length ||
      length > dest.length
    ) {
      throw new TcpError(
        'EINVAL',
        `copyOut(${offset}, ${length}) outside ${this.#length} buffered bytes or a ${dest.length}-byte destination`,
      );
    }
    if (length === 0) return;
    const size = this.#storage.length;
    let start = this.#head + offset;
    if (start >= size) start -= size;
    const first = Math.min(length, size - start);
    dest.set(this.#storage.subarray(start, start + first), 0);
    if (first < length) dest.set(this.#storage.subarray(0, length - first), first);
  }

  /**
   * Frees the oldest `bytes` bytes: the peer acknowledged them (SND.UNA advanced).
   *
   * @param bytes How far SND.UNA advanced over buffered data; at most
   *   {@link SendBuffer.length}. (The SYN and FIN occupy sequence space but no buffer
   *   bytes: the connection subtracts them first.)
   */
  acknowledge(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > this.#length) {
      throw new TcpError('EINVAL', `acknowledge(${bytes}) outside ${this.#length} buffered bytes`);
    }
    this.#length -= bytes;
    if (this.#length === 0) {
      // Empty: restart at index 0 so the next writes and copies do not wrap.
      this.#head = 0;
      return;
    }
    this.#head += bytes;
    if (this.#head >= this.#storage.length) this.#head -= this.#storage.length;
  }

  /** Bytes of storage allocated now (grows towards `capacity` as data is buffered). */
  get allocated(): number {
    return this.#storage.length;
  }

  /**
   * Doubles the storage towards `needed` bytes (see {@link growthSize}), unwrapping the
   * ring; false when it cannot grow at all.
   */
  #grow(needed: number): boolean {
    const size = growthSize(this.#storage.length, needed, this.capacity, this.#reserve);
    if (size === undefined) return false;
    const storage = new Uint8Array(size);
    this.copyOut(0, this.#length, storage);
    this.#storage = storage;
    this.#head = 0;
    return true;
  }
}
