import { GuestMemoryError } from './errors.js';
import { HOST_IS_LITTLE_ENDIAN, hostHasSharedArrayBuffer, hostWaitAsync } from './host.js';

/** 2^64: guest-physical addresses (virtio 1.2 §2.7.5 `le64 addr`) are unsigned 64-bit. */
const TWO_POW_64 = 1n << 64n;

/**
 * Options for {@link GuestMemory}.
 *
 * @example
 * ```ts
 * import { GuestMemory, type GuestMemoryOptions } from '@libos/mem';
 * const options: GuestMemoryOptions = { shared: true };
 * const mem = new GuestMemory(1 << 20, options);
 * ```
 */
export interface GuestMemoryOptions {
  /**
   * Back the memory with a `SharedArrayBuffer` (needed for worker device models and
   * for `notify` / `waitAsync`). Default: `true` when the host has `SharedArrayBuffer`.
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const local = new GuestMemory(65536, { shared: false });
   * ```
   */
  readonly shared?: boolean;
}

/**
 * Outcome of {@link GuestMemory.waitAsync}, as in ECMA-262 `Atomics.waitAsync`.
 *
 * @example
 * ```ts
 * import { GuestMemory, type WaitResult } from '@libos/mem';
 * const mem = new GuestMemory(64);
 * const r: WaitResult = await mem.waitAsync(0, 0, 1); // 'timed-out'
 * ```
 */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/**
 * Guest RAM: one `SharedArrayBuffer` (or `ArrayBuffer`) whose byte offsets are the
 * guest-physical addresses.
 *
 * Every access is bounds-checked and throws {@link GuestMemoryError}. Addresses and
 * lengths must be non-negative safe integers; the `bigint` forms accepted by
 * {@link GuestMemory.bytes}, {@link GuestMemory.checkRange} and
 * {@link GuestMemory.toAddress} are checked exactly, so a hostile 64-bit descriptor
 * address never loses precision. `addr + len` is never computed: the check is
 * `len > size - addr`, which cannot round.
 *
 * Multi-byte values are little-endian regardless of the host (virtio 1.2 §1.4: `le16`,
 * `le32`, `le64`), through one `DataView` created in the constructor. The atomic
 * accessors use typed arrays and therefore need a little-endian host (every mainstream
 * JS platform); on a big-endian host they throw `UNSUPPORTED_HOST`.
 *
 * Scalar writes store the value modulo 2^width, like typed arrays do.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * const mem = new GuestMemory(1 << 20);
 * mem.writeU32(0x100, 0xdeadbeef);
 * mem.readU8(0x100); // 0xef (little-endian)
 * const frame = mem.bytes(0x1000, 1514); // a view, no copy
 * ```
 */
export class GuestMemory {
  /** The backing buffer; byte offset = guest-physical address. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Size of guest memory in bytes. */
  readonly size: number;
  /** Whether the backing buffer is a `SharedArrayBuffer` (usable across workers). */
  readonly shared: boolean;
  /** A byte view of all of guest memory. */
  readonly u8: Uint8Array;

  readonly #view: DataView;
  readonly #u16: Uint16Array;
  readonly #u32: Uint32Array;
  readonly #i32: Int32Array;

  /**
   * @param sizeOrBuffer - a size in bytes to allocate, or an existing buffer to wrap
   *   (the whole buffer becomes guest memory; resizable buffers are not supported)
   * @param options - backing choice when allocating
   * @throws GuestMemoryError `BAD_SIZE` for a size that is not a non-negative safe
   *   integer; `UNSUPPORTED_HOST` when `shared: true` and the host has no `SharedArrayBuffer`
   */
  constructor(
    sizeOrBuffer: number | ArrayBuffer | SharedArrayBuffer,
    options: GuestMemoryOptions = {},
  ) {
    let buffer: ArrayBuffer | SharedArrayBuffer;
    if (typeof sizeOrBuffer === 'number') {
      if (!Number.isSafeInteger(sizeOrBuffer) || sizeOrBuffer < 0) {
        throw new GuestMemoryError(
          'BAD_SIZE',
          `guest memory size ${sizeOrBuffer} is not a non-negative safe integer`,
        );
      }
      const canShare = hostHasSharedArrayBuffer();
      const wantShared = options.shared ?? canShare;
      if (wantShared && !canShare) {
        throw new GuestMemoryError(
          'UNSUPPORTED_HOST',
          'SharedArrayBuffer is not available on this host',
        );
      }
      buffer = wantShared ? new SharedArrayBuffer(sizeOrBuffer) : new ArrayBuffer(sizeOrBuffer);
    } else {
      buffer = sizeOrBuffer;
    }
    this.buffer = buffer;
    this.size = buffer.byteLength;
    this.shared = hostHasSharedArrayBuffer() && buffer instanceof SharedArrayBuffer;
    this.u8 = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
    this.#u16 = new Uint16Array(buffer, 0, Math.floor(this.size / 2));
    this.#u32 = new Uint32Array(buffer, 0, Math.floor(this.size / 4));
    this.#i32 = new Int32Array(buffer, 0, Math.floor(this.size / 4));
  }

  // ── address validation ───────────────────────────────────────────────────────────

  /**
   * Converts a guest address (e.g. a virtqueue descriptor's `le64 addr`, read as a
   * bigint) to a number, checking it exactly.
   *
   * @param addr - guest-physical address
   * @returns the address as a safe integer, `<= size`
   * @throws GuestMemoryError `BAD_ADDRESS` if negative, non-integer, unsafe or ≥ 2^64;
   *   `OUT_OF_BOUNDS` if beyond the end of guest memory
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(4096);
   * mem.toAddress(16n); // 16
   * ```
   */
  toAddress(addr: number | bigint): number {
    if (typeof addr === 'bigint') {
      if (addr < 0n || addr >= TWO_POW_64) {
        throw new GuestMemoryError(
          'BAD_ADDRESS',
          `address ${addr} is not an unsigned 64-bit integer`,
        );
      }
      if (addr > BigInt(this.size)) {
        throw new GuestMemoryError(
          'OUT_OF_BOUNDS',
          `address ${addr} is beyond guest memory of ${this.size} bytes`,
        );
      }
      return Number(addr);
    }
    if (!Number.isSafeInteger(addr) || addr < 0) {
      throw new GuestMemoryError(
        'BAD_ADDRESS',
        `address ${addr} is not a non-negative safe integer`,
      );
    }
    if (addr > this.size) {
      throw new GuestMemoryError(
        'OUT_OF_BOUNDS',
        `address ${addr} is beyond guest memory of ${this.size} bytes`,
      );
    }
    return addr;
  }

  /**
   * Checks that `[addr, addr + len)` lies inside guest memory, exactly (no sum is
   * formed, so nothing rounds above 2^53).
   *
   * @param addr - start address (number or bigint)
   * @param len - length in bytes (number or bigint)
   * @returns the start address as a number
   * @throws GuestMemoryError `BAD_ADDRESS`, `BAD_LENGTH` or `OUT_OF_BOUNDS`
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(4096);
   * mem.checkRange(4000n, 96); // 4000
   * ```
   */
  checkRange(addr: number | bigint, len: number | bigint): number {
    const n = this.#toLength(len);
    const a = this.toAddress(addr);
    // Overflow-free form of `a + n > size` (RELIABILITY.md item 2).
    if (n > this.size - a) {
      throw new GuestMemoryError(
        'OUT_OF_BOUNDS',
        `range [${a}, ${a} + ${n}) is beyond guest memory of ${this.size} bytes`,
      );
    }
    return a;
  }

  /**
   * Whether `[addr, addr + len)` lies inside guest memory; never throws.
   *
   * @param addr - start address
   * @param len - length in bytes
   * @returns `true` when {@link GuestMemory.checkRange} would succeed
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(4096).contains(4095, 2); // false
   * ```
   */
  contains(addr: number | bigint, len: number | bigint): boolean {
    try {
      this.checkRange(addr, len);
      return true;
    } catch {
      return false;
    }
  }

  #toLength(len: number | bigint): number {
    if (typeof len === 'bigint') {
      if (len < 0n || len >= TWO_POW_64) {
        throw new GuestMemoryError('BAD_LENGTH', `length ${len} is not an unsigned 64-bit integer`);
      }
      if (len > BigInt(this.size)) {
        throw new GuestMemoryError(
          'OUT_OF_BOUNDS',
          `length ${len} exceeds guest memory of ${this.size} bytes`,
        );
      }
      return Number(len);
    }
    if (!Number.isSafeInteger(len) || len < 0) {
      throw new GuestMemoryError('BAD_LENGTH', `length ${len} is not a non-negative safe integer`);
    }
    return len;
  }

  /** Slow path of the scalar accessors: says why `addr` (for `width` bytes) was refused. */
  #refuse(addr: number, width: number): never {
    if (!Number.isSafeInteger(addr) || addr < 0) {
      throw new GuestMemoryError(
        'BAD_ADDRESS',
        `address ${addr} is not a non-negative safe integer`,
      );
    }
    throw new GuestMemoryError(
      'OUT_OF_BOUNDS',
      `${width}-byte access at ${addr} is beyond guest memory of ${this.size} bytes`,
    );
  }

  // ── views and copies ─────────────────────────────────────────────────────────────

  /**
   * A `Uint8Array` view of `[addr, addr + len)`: no copy, shares guest memory.
   *
   * @param addr - start address (number or exact bigint)
   * @param len - length in bytes
   * @returns a view over guest memory
   * @throws GuestMemoryError `BAD_ADDRESS`, `BAD_LENGTH` or `OUT_OF_BOUNDS`
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(4096);
   * mem.bytes(0, 4).set([1, 2, 3, 4]);
   * mem.readU32(0); // 0x04030201
   * ```
   */
  bytes(addr: number | bigint, len: number | bigint): Uint8Array {
    const a = this.checkRange(addr, len);
    return new Uint8Array(this.buffer, a, Number(len));
  }

  /**
   * Copies `dst.length` bytes of guest memory starting at `addr` into `dst`.
   *
   * @param addr - source guest address
   * @param dst - destination
   * @throws GuestMemoryError when the range is not inside guest memory
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(4096);
   * const out = new Uint8Array(16);
   * mem.read(0x10, out);
   * ```
   */
  read(addr: number | bigint, dst: Uint8Array): void {
    const a = this.checkRange(addr, dst.length);
    dst.set(this.u8.subarray(a, a + dst.length));
  }

  /**
   * Copies `src` into guest memory at `addr`. Nothing is written if the range is invalid.
   *
   * @param addr - destination guest address
   * @param src - bytes to copy
   * @throws GuestMemoryError when the range is not inside guest memory
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(4096);
   * mem.write(0x20, new Uint8Array([0xde, 0xad]));
   * ```
   */
  write(addr: number | bigint, src: Uint8Array): void {
    const a = this.checkRange(addr, src.length);
    this.u8.set(src, a);
  }

  /**
   * Sets `len` bytes at `addr` to `value`.
   *
   * @param addr - start address
   * @param len - number of bytes
   * @param value - byte value (modulo 256)
   * @throws GuestMemoryError when the range is not inside guest memory
   *
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(4096);
   * mem.fill(0, 4096, 0);
   * ```
   */
  fill(addr: number | bigint, len: number | bigint, value: number): void {
    const a = this.checkRange(addr, len);
    this.u8.fill(value, a, a + Number(len));
  }

  // ── little-endian scalars ─────────────────────────────────────────────────────────

  /**
   * Reads a byte.
   * @param addr - guest address
   * @returns the byte
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).readU8(15); // 0
   * ```
   */
  readU8(addr: number): number {
    if (!(addr >= 0 && addr <= this.size - 1 && Number.isInteger(addr))) this.#refuse(addr, 1);
    return this.#view.getUint8(addr);
  }

  /**
   * Writes a byte.
   * @param addr - guest address
   * @param value - stored modulo 2^8
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).writeU8(0, 0xff);
   * ```
   */
  writeU8(addr: number, value: number): void {
    if (!(addr >= 0 && addr <= this.size - 1 && Number.isInteger(addr))) this.#refuse(addr, 1);
    this.#view.setUint8(addr, value);
  }

  /**
   * Reads a little-endian u16 (`le16`). Any alignment.
   * @param addr - guest address
   * @returns the value
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).readU16(1);
   * ```
   */
  readU16(addr: number): number {
    if (!(addr >= 0 && addr <= this.size - 2 && Number.isInteger(addr))) this.#refuse(addr, 2);
    return this.#view.getUint16(addr, true);
  }

  /**
   * Writes a little-endian u16 (`le16`). Any alignment.
   * @param addr - guest address
   * @param value - stored modulo 2^16
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).writeU16(0, 0x1234); // bytes 34 12
   * ```
   */
  writeU16(addr: number, value: number): void {
    if (!(addr >= 0 && addr <= this.size - 2 && Number.isInteger(addr))) this.#refuse(addr, 2);
    this.#view.setUint16(addr, value, true);
  }

  /**
   * Reads a little-endian u32 (`le32`). Any alignment.
   * @param addr - guest address
   * @returns the value, unsigned
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).readU32(4);
   * ```
   */
  readU32(addr: number): number {
    if (!(addr >= 0 && addr <= this.size - 4 && Number.isInteger(addr))) this.#refuse(addr, 4);
    return this.#view.getUint32(addr, true);
  }

  /**
   * Writes a little-endian u32 (`le32`). Any alignment.
   * @param addr - guest address
   * @param value - stored modulo 2^32
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).writeU32(4, 0xdeadbeef);
   * ```
   */
  writeU32(addr: number, value: number): void {
    if (!(addr >= 0 && addr <= this.size - 4 && Number.isInteger(addr))) this.#refuse(addr, 4);
    this.#view.setUint32(addr, value, true);
  }

  /**
   * Reads a little-endian u64 (`le64`) as a bigint. Any alignment.
   * @param addr - guest address
   * @returns the value in [0, 2^64)
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).readU64(8); // 0n
   * ```
   */
  readU64(addr: number): bigint {
    if (!(addr >= 0 && addr <= this.size - 8 && Number.isInteger(addr))) this.#refuse(addr, 8);
    return this.#view.getBigUint64(addr, true);
  }

  /**
   * Writes a little-endian u64 (`le64`) from a bigint. Any alignment.
   * @param addr - guest address
   * @param value - stored modulo 2^64
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).writeU64(8, 0x1122334455667788n);
   * ```
   */
  writeU64(addr: number, value: bigint): void {
    if (!(addr >= 0 && addr <= this.size - 8 && Number.isInteger(addr))) this.#refuse(addr, 8);
    this.#view.setBigUint64(addr, value, true);
  }

  /**
   * Reads a little-endian u64 as a number, without allocating a bigint.
   * @param addr - guest address
   * @returns the value, a safe integer
   * @throws GuestMemoryError `BAD_VALUE` if the stored value is above 2^53 - 1
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(16);
   * mem.writeU64Number(0, 2 ** 40);
   * mem.readU64Number(0); // 1099511627776
   * ```
   */
  readU64Number(addr: number): number {
    if (!(addr >= 0 && addr <= this.size - 8 && Number.isInteger(addr))) this.#refuse(addr, 8);
    const lo = this.#view.getUint32(addr, true);
    const hi = this.#view.getUint32(addr + 4, true);
    if (hi > 0x1f_ffff) {
      throw new GuestMemoryError('BAD_VALUE', `u64 at ${addr} exceeds Number.MAX_SAFE_INTEGER`);
    }
    return hi * 0x1_0000_0000 + lo;
  }

  /**
   * Writes a non-negative safe integer as a little-endian u64.
   * @param addr - guest address
   * @param value - a non-negative safe integer
   * @throws GuestMemoryError `BAD_VALUE` if `value` is not a non-negative safe integer
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).writeU64Number(0, 4096);
   * ```
   */
  writeU64Number(addr: number, value: number): void {
    if (!(addr >= 0 && addr <= this.size - 8 && Number.isInteger(addr))) this.#refuse(addr, 8);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new GuestMemoryError('BAD_VALUE', `${value} is not a non-negative safe integer`);
    }
    this.#view.setUint32(addr, value >>> 0, true);
    this.#view.setUint32(addr + 4, Math.floor(value / 0x1_0000_0000), true);
  }

  // ── atomics (ECMA-262 §25.4; cross-worker when SharedArrayBuffer-backed) ──────────

  #index16(addr: number): number {
    if (!(HOST_IS_LITTLE_ENDIAN && addr >= 0 && addr <= this.size - 2 && addr % 2 === 0)) {
      this.#refuseAtomic(addr, 2);
    }
    return addr / 2;
  }

  #index32(addr: number): number {
    if (!(HOST_IS_LITTLE_ENDIAN && addr >= 0 && addr <= this.size - 4 && addr % 4 === 0)) {
      this.#refuseAtomic(addr, 4);
    }
    return addr / 4;
  }

  #refuseAtomic(addr: number, width: number): never {
    if (!HOST_IS_LITTLE_ENDIAN) {
      throw new GuestMemoryError(
        'UNSUPPORTED_HOST',
        'atomic guest-memory access needs a little-endian host',
      );
    }
    if (!Number.isSafeInteger(addr) || addr < 0) this.#refuse(addr, width);
    if (addr % width !== 0) {
      throw new GuestMemoryError(
        'MISALIGNED',
        `${width}-byte atomic access at ${addr} is not aligned`,
      );
    }
    this.#refuse(addr, width);
  }

  /**
   * Atomically loads an aligned u16.
   * @param addr - guest address, a multiple of 2
   * @returns the value
   * @throws GuestMemoryError `MISALIGNED`, `BAD_ADDRESS`, `OUT_OF_BOUNDS`
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicLoadU16(2);
   * ```
   */
  atomicLoadU16(addr: number): number {
    return Atomics.load(this.#u16, this.#index16(addr));
  }

  /**
   * Atomically stores an aligned u16.
   * @param addr - guest address, a multiple of 2
   * @param value - stored modulo 2^16
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicStoreU16(2, 7);
   * ```
   */
  atomicStoreU16(addr: number, value: number): void {
    Atomics.store(this.#u16, this.#index16(addr), value);
  }

  /**
   * Atomically replaces an aligned u16.
   * @param addr - guest address, a multiple of 2
   * @param value - new value
   * @returns the previous value
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicExchangeU16(2, 7); // 0
   * ```
   */
  atomicExchangeU16(addr: number, value: number): number {
    return Atomics.exchange(this.#u16, this.#index16(addr), value);
  }

  /**
   * Atomically replaces an aligned u16 if it equals `expected`.
   * @param addr - guest address, a multiple of 2
   * @param expected - value that must be present
   * @param replacement - value to store
   * @returns the value that was present (equal to `expected` on success)
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicCompareExchangeU16(0, 0, 1); // 0: swapped
   * ```
   */
  atomicCompareExchangeU16(addr: number, expected: number, replacement: number): number {
    return Atomics.compareExchange(this.#u16, this.#index16(addr), expected, replacement);
  }

  /**
   * Atomically adds to an aligned u16 (wrapping modulo 2^16, like a virtqueue `idx`).
   * @param addr - guest address, a multiple of 2
   * @param delta - amount to add
   * @returns the previous value
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicAddU16(0, 1); // 0
   * ```
   */
  atomicAddU16(addr: number, delta: number): number {
    return Atomics.add(this.#u16, this.#index16(addr), delta);
  }

  /**
   * Atomically loads an aligned u32.
   * @param addr - guest address, a multiple of 4
   * @returns the value, unsigned
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicLoadU32(4);
   * ```
   */
  atomicLoadU32(addr: number): number {
    return Atomics.load(this.#u32, this.#index32(addr));
  }

  /**
   * Atomically stores an aligned u32.
   * @param addr - guest address, a multiple of 4
   * @param value - stored modulo 2^32
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicStoreU32(4, 1);
   * ```
   */
  atomicStoreU32(addr: number, value: number): void {
    Atomics.store(this.#u32, this.#index32(addr), value);
  }

  /**
   * Atomically replaces an aligned u32.
   * @param addr - guest address, a multiple of 4
   * @param value - new value
   * @returns the previous value
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicExchangeU32(4, 1); // 0
   * ```
   */
  atomicExchangeU32(addr: number, value: number): number {
    return Atomics.exchange(this.#u32, this.#index32(addr), value);
  }

  /**
   * Atomically replaces an aligned u32 if it equals `expected`.
   * @param addr - guest address, a multiple of 4
   * @param expected - value that must be present
   * @param replacement - value to store
   * @returns the value that was present (equal to `expected` on success)
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicCompareExchangeU32(4, 0, 1); // 0: swapped
   * ```
   */
  atomicCompareExchangeU32(addr: number, expected: number, replacement: number): number {
    return Atomics.compareExchange(this.#u32, this.#index32(addr), expected, replacement);
  }

  /**
   * Atomically adds to an aligned u32 (wrapping modulo 2^32).
   * @param addr - guest address, a multiple of 4
   * @param delta - amount to add
   * @returns the previous value
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * new GuestMemory(16).atomicAddU32(4, 1); // 0
   * ```
   */
  atomicAddU32(addr: number, delta: number): number {
    return Atomics.add(this.#u32, this.#index32(addr), delta);
  }

  /**
   * Wakes up to `count` agents waiting on the aligned 32-bit word at `addr`
   * (a doorbell or interrupt line).
   * @param addr - guest address, a multiple of 4
   * @param count - how many waiters to wake (default: all)
   * @returns the number of agents woken
   * @throws GuestMemoryError `NOT_SHARED` unless SharedArrayBuffer-backed; `MISALIGNED` etc.
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(64, { shared: true });
   * mem.atomicStoreU32(0, 1);
   * mem.notify(0);
   * ```
   */
  notify(addr: number, count?: number): number {
    const i = this.#index32(addr);
    if (!this.shared)
      throw new GuestMemoryError(
        'NOT_SHARED',
        'notify needs SharedArrayBuffer-backed guest memory',
      );
    return Atomics.notify(this.#i32, i, count);
  }

  /**
   * Waits, without blocking the thread, until the aligned 32-bit word at `addr` is
   * notified, provided it still holds `expected` (compared as an int32, so u32 values work).
   * @param addr - guest address, a multiple of 4
   * @param expected - value the word must hold for the wait to start
   * @param timeoutMs - give up after this many milliseconds (default: never)
   * @returns `'ok'` when notified, `'not-equal'` if the word differed, `'timed-out'`
   * @throws GuestMemoryError `NOT_SHARED`, `UNSUPPORTED_HOST` (no `Atomics.waitAsync`), `MISALIGNED` etc.
   * @example
   * ```ts
   * import { GuestMemory } from '@libos/mem';
   * const mem = new GuestMemory(64, { shared: true });
   * const r = await mem.waitAsync(0, 0, 10); // 'timed-out' unless someone notifies
   * ```
   */
  waitAsync(addr: number, expected: number, timeoutMs?: number): Promise<WaitResult> {
    const i = this.#index32(addr);
    if (!this.shared)
      throw new GuestMemoryError(
        'NOT_SHARED',
        'waitAsync needs SharedArrayBuffer-backed guest memory',
      );
    const wait = hostWaitAsync();
    if (wait === undefined)
      throw new GuestMemoryError('UNSUPPORTED_HOST', 'Atomics.waitAsync is not available');
    const r = wait(this.#i32, i, expected, timeoutMs);
    return r.async ? r.value : Promise.resolve(r.value);
  }
}
