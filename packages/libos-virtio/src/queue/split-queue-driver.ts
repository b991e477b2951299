import type { DmaAllocator, GuestMemory } from '@libos/mem';
import { AVAIL_F_NO_INTERRUPT, DescriptorFlag, USED_F_NO_NOTIFY } from '../split-ring-layout.js';
import type { BufferSegment } from './buffer-segment.js';
import { vringNeedEvent } from './need-event.js';
import type { SplitQueueAddresses, SplitQueueFeatures } from './split-queue-options.js';
import { SplitRing } from './split-ring.js';
import { VirtqueueError, type VirtqueueErrorCode } from './virtqueue-error.js';

const TWO_POW_32 = 0x1_0000_0000;
const MAX_U32 = 0xffff_ffff;

// Per-head state in `#state`.
const FREE_OR_BODY = 0;
/** Added, its avail entry written, `avail.idx` not yet moved past it. */
const STAGED = 1;
/** Published: the device may return it. */
const IN_FLIGHT = 2;

/**
 * Options of a {@link SplitQueueDriver}: the negotiated features plus driver-only
 * resources.
 *
 * @example
 * ```ts
 * import type { SplitQueueDriverOptions } from '@libos/virtio';
 * const options: SplitQueueDriverOptions = { eventIdx: true, indirect: true, indirectAllocator: dma };
 * ```
 */
export interface SplitQueueDriverOptions extends SplitQueueFeatures {
  /**
   * Where indirect tables (§2.7.5.3) come from. Without it, chains always use direct
   * descriptors even when `indirect` was negotiated.
   */
  readonly indirectAllocator?: DmaAllocator;
  /** Called once when the device breaks the protocol and the queue fails (see {@link SplitQueueDriver.error}). */
  readonly onError?: (error: VirtqueueError) => void;
}

/**
 * Counters of a {@link SplitQueueDriver} since construction.
 *
 * @example
 * ```ts
 * const { notificationsNeeded, chainsReclaimed } = driver.stats();
 * ```
 */
export interface SplitQueueDriverStats {
  /** Chains added (`addBuffer` + `addChain`). */
  readonly chainsAdded: number;
  /** Chains of those that used an indirect table. */
  readonly indirectChains: number;
  /** Chains made visible to the device by `publish`. */
  readonly chainsPublished: number;
  /** Chains the device returned and the driver reclaimed. */
  readonly chainsReclaimed: number;
  /** Calls of `kickNeeded` that had something new to announce. */
  readonly notificationChecks: number;
  /** Calls of `kickNeeded` that returned `true`: doorbells the transport must ring. */
  readonly notificationsNeeded: number;
}

/**
 * Receives one reclaimed chain in {@link SplitQueueDriver.pollUsed}.
 *
 * @typeParam T - the token type of the queue
 * @example
 * ```ts
 * import type { UsedCallback } from '@libos/virtio';
 * const onUsed: UsedCallback<number> = (token, len) => console.log(token, len);
 * ```
 */
export type UsedCallback<T> = (token: T, len: number) => void;

/**
 * The driver (guest) side of a split virtqueue (virtio 1.2 §2.7): offers buffers to the
 * device and takes them back.
 *
 * ```text
 *  addBuffer / addChain ─► descriptors + avail.ring[i] (plain writes)
 *  publish              ─► Atomics.store(avail.idx)          release (§2.7.13)
 *  kickNeeded           ─► avail_event / USED_F_NO_NOTIFY    (§2.7.10) → transport rings doorbell
 *  pollUsed             ◄─ Atomics.load(used.idx), then used.ring[i]   acquire (§2.7.13)
 * ```
 *
 * - Chains carry a caller token of type `T`, given back exactly once with the length
 *   the device wrote.
 * - No room is a value (`false`), not an exception; misuse (a segment outside guest
 *   memory, an empty chain) throws {@link VirtqueueError}.
 * - The driver keeps its own copy of every chain (links, writable capacity, in-flight
 *   heads) and never trusts the descriptor table or used ring for its bookkeeping.
 * - **Hostile device:** {@link SplitQueueDriver.pollUsed} checks every used element
 *   before touching driver state. A used id out of range or not an in-flight head, a
 *   length above the chain's writable capacity, or `used.idx` moving by more than the
 *   chains in flight fails the queue: nothing more is delivered, {@link SplitQueueDriver.failed}
 *   becomes `true`, {@link SplitQueueDriver.error} holds the {@link VirtqueueError}
 *   (`USED_ID_OUT_OF_RANGE`, `USED_ID_NOT_IN_FLIGHT`, `USED_LENGTH_TOO_LARGE`,
 *   `USED_INDEX_JUMP`) and `onError` is called. `pollUsed` itself never throws for it;
 *   adding to a failed queue throws `QUEUE_FAILED`. The transport then resets the device.
 *
 * @typeParam T - token type (default `number`)
 * @example
 * ```ts
 * import { GuestMemory, DmaAllocator } from '@libos/mem';
 * import { allocateSplitQueue, SplitQueueDriver } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const dma = new DmaAllocator(memory, { base: 0, length: 1 << 20 });
 * const addresses = allocateSplitQueue(dma, 256)!;
 * const driver = new SplitQueueDriver<number>(memory, 256, addresses, { eventIdx: true, indirect: false });
 * driver.addBuffer(0x80000, 64, false, 1);
 * driver.publish();
 * if (driver.kickNeeded()) transport.notify(0);
 * driver.pollUsed((token, len) => console.log(token, len));
 * ```
 */
export class SplitQueueDriver<T = number> {
  /** Guest memory holding the rings and buffers. */
  readonly memory: GuestMemory;
  /** Queue size N. */
  readonly size: number;
  /** Where the three ring parts are. */
  readonly addresses: SplitQueueAddresses;
  /** Whether VIRTIO_F_EVENT_IDX was negotiated. */
  readonly eventIdx: boolean;
  /** Whether VIRTIO_F_INDIRECT_DESC was negotiated. */
  readonly indirect: boolean;

  readonly #ring: SplitRing;
  readonly #desc: Uint32Array;
  readonly #availRing: Uint16Array;
  readonly #usedRing: Uint32Array;
  readonly #mask: number;
  readonly #memSize: number;
  readonly #dma: DmaAllocator | null;
  readonly #onError: ((error: VirtqueueError) => void) | null;

  // Driver-private bookkeeping (never read back from guest memory).
  /** Free-list link for free descriptors; chain link for descriptors of a chain. */
  readonly #next: Uint16Array;
  /** Per head: last descriptor of its chain. */
  readonly #tail: Uint16Array;
  /** Per head: descriptors the chain occupies in the table. */
  readonly #count: Uint16Array;
  /** Per head: FREE_OR_BODY, STAGED or IN_FLIGHT. */
  readonly #state: Uint8Array;
  /** Per head: total device-writable bytes. */
  readonly #capacity: Float64Array;
  /** Per head: guest address of its indirect table, or -1. */
  readonly #indirectTable: Float64Array;
  /** Per head: the caller's token. */
  readonly #tokens: (T | undefined)[];
  /** Heads added since the last publish, in avail-ring order. */
  readonly #staged: Uint16Array;

  #freeHead = 0;
  #numFree: number;
  /** Free-running `avail.idx` shadow including staged entries (mod 2^16). */
  #availShadow = 0;
  /** `avail.idx` as last published. */
  #availPublished = 0;
  /** `avail.idx` at the last `kickNeeded` decision. */
  #kickIdx = 0;
  /** Next used element to read (mod 2^16). */
  #lastUsed = 0;
  /** Chains published and not reclaimed. */
  #inFlight = 0;
  #interruptsEnabled = true;
  /** Set while `pollUsed` runs: a nested call from `onUsed` returns 0. */
  #polling = false;
  #error: VirtqueueError | null = null;

  #chainsAdded = 0;
  #indirectChains = 0;
  #chainsPublished = 0;
  #chainsReclaimed = 0;
  #notificationChecks = 0;
  #notificationsNeeded = 0;

  /**
   * Takes over a queue whose rings are zeroed (as after {@link allocateSplitQueue}),
   * before the device is told the addresses.
   *
   * @param memory - guest memory holding the rings
   * @param size - queue size N, a power of two in 1..32768
   * @param addresses - the three ring parts
   * @param options - negotiated features and driver resources
   * @throws VirtqueueError `BAD_QUEUE_SIZE`, `BAD_ADDRESS`
   */
  constructor(
    memory: GuestMemory,
    size: number,
    addresses: SplitQueueAddresses,
    options: SplitQueueDriverOptions,
  ) {
    const ring = new SplitRing(memory, size, addresses);
    this.memory = memory;
    this.size = size;
    this.addresses = addresses;
    this.eventIdx = options.eventIdx;
    this.indirect = options.indirect;
    this.#ring = ring;
    this.#desc = ring.desc;
    this.#availRing = ring.availRing;
    this.#usedRing = ring.usedRing;
    this.#mask = ring.mask;
    this.#memSize = memory.size;
    this.#dma = options.indirect ? (options.indirectAllocator ?? null) : null;
    this.#onError = options.onError ?? null;
    this.#next = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.#next[i] = i + 1; // last link unused while numFree = 0
    this.#tail = new Uint16Array(size);
    this.#count = new Uint16Array(size);
    this.#state = new Uint8Array(size);
    this.#capacity = new Float64Array(size);
    this.#indirectTable = new Float64Array(size).fill(-1);
    this.#tokens = new Array<T | undefined>(size).fill(undefined);
    this.#staged = new Uint16Array(size);
    this.#numFree = size;
  }

  /** Free descriptors in the table. */
  get freeCount(): number {
    return this.#numFree;
  }

  /** Chains published to the device and not yet reclaimed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Whether the device broke the protocol; the queue accepts nothing more and must be reset. */
  get failed(): boolean {
    return this.#error !== null;
  }

  /** Why the queue failed, or `null`. */
  get error(): VirtqueueError | null {
    return this.#error;
  }

  /**
   * Adds a one-descriptor chain (the fast path: no allocation).
   *
   * @param addr - guest address of the buffer
   * @param len - its length in bytes (≤ 2^32 − 1)
   * @param writable - `true` for a device-writable buffer (VIRTQ_DESC_F_WRITE), else device-readable
   * @param token - given back by {@link SplitQueueDriver.pollUsed}
   * @returns `false` when no descriptor is free
   * @throws VirtqueueError `BAD_SEGMENT` (buffer not inside guest memory), `QUEUE_FAILED`
   *
   * @example
   * ```ts
   * if (!driver.addBuffer(frame.addr, 64, false, frameId)) dropFrame();
   * ```
   */
  addBuffer(addr: number, len: number, writable: boolean, token: T): boolean {
    if (this.#error !== null) this.#throwFailed();
    this.#checkSegment(addr, len);
    if (this.#numFree === 0) return false;
    const head = this.#freeHead;
    this.#freeHead = this.#next[head]!;
    this.#numFree--;
    // virtio 1.2 §2.7.5: le64 addr, le32 len, le16 flags, le16 next.
    const d = this.#desc;
    const w = head << 2;
    d[w] = addr >>> 0;
    d[w + 1] = addr < TWO_POW_32 ? 0 : Math.floor(addr / TWO_POW_32);
    d[w + 2] = len;
    d[w + 3] = writable ? DescriptorFlag.WRITE : 0;
    this.#tail[head] = head;
    this.#count[head] = 1;
    this.#capacity[head] = writable ? len : 0;
    this.#tokens[head] = token;
    this.#stage(head);
    return true;
  }

  /**
   * Adds a chain: all device-readable segments, then all device-writable ones (§2.7.4.2).
   * With VIRTIO_F_INDIRECT_DESC, an allocator, and more than one segment, the chain goes
   * into an indirect table (§2.7.5.3) and takes one ring descriptor; if the allocator is
   * exhausted it falls back to direct descriptors.
   *
   * @param readable - device-readable segments, in order
   * @param writable - device-writable segments, in order
   * @param token - given back by {@link SplitQueueDriver.pollUsed}
   * @returns `false` when there is no room
   * @throws VirtqueueError `EMPTY_CHAIN`, `CHAIN_TOO_LONG` (more than N segments), `BAD_SEGMENT`, `QUEUE_FAILED`
   *
   * @example
   * ```ts
   * driver.addChain([{ addr: hdr, len: 16 }], [{ addr: data, len: 512 }, { addr: status, len: 1 }], req);
   * ```
   */
  addChain(
    readable: readonly BufferSegment[],
    writable: readonly BufferSegment[],
    token: T,
  ): boolean {
    if (this.#error !== null) this.#throwFailed();
    const total = readable.length + writable.length;
    if (total === 0) throw new VirtqueueError('EMPTY_CHAIN', 'a chain needs at least one segment');
    if (total > this.size) {
      // virtio 1.2 §2.7.5.3.1 / §2.7.13.1: no chain longer than the queue size.
      throw new VirtqueueError(
        'CHAIN_TOO_LONG',
        `a chain of ${total} segments exceeds queue size ${this.size}`,
      );
    }
    let capacity = 0;
    for (const s of readable) this.#checkSegment(s.addr, s.len);
    for (const s of writable) {
      this.#checkSegment(s.addr, s.len);
      capacity += s.len;
    }
    if (this.#numFree === 0) return false;
    if (this.#dma !== null && total > 1) {
      const table = this.#dma.alloc(16 * total, 16);
      if (table !== null) {
        this.#addIndirect(table.addr, readable, writable, token, capacity);
        return true;
      }
    }
    if (this.#numFree < total) return false;
    const d = this.#desc;
    const head = this.#freeHead;
    let idx = head;
    for (let i = 0; i < total; i++) {
      const isWritable = i >= readable.length;
      const s = isWritable ? writable[i - readable.length]! : readable[i]!;
      idx = this.#freeHead;
      this.#freeHead = this.#next[idx]!; // the chain link is the free-list link
      const w = idx << 2;
      d[w] = s.addr >>> 0;
      d[w + 1] = s.addr < TWO_POW_32 ? 0 : Math.floor(s.addr / TWO_POW_32);
      d[w + 2] = s.len;
      const last = i === total - 1;
      d[w + 3] =
        (isWritable ? DescriptorFlag.WRITE : 0) |
        (last ? 0 : DescriptorFlag.NEXT | (this.#freeHead << 16));
    }
    this.#numFree -= total;
    this.#tail[head] = idx;
    this.#count[head] = total;
    this.#capacity[head] = capacity;
    this.#tokens[head] = token;
    this.#stage(head);
    return true;
  }

  /**
   * Makes every chain added since the last call visible to the device: one
   * `Atomics.store` of `avail.idx` after all descriptor and ring writes (§2.7.13).
   *
   * @returns chains published by this call
   *
   * @example
   * ```ts
   * for (const f of frames) driver.addBuffer(f.addr, f.len, false, f.id);
   * driver.publish();
   * ```
   */
  publish(): number {
    const n = (this.#availShadow - this.#availPublished) & 0xffff;
    if (n === 0) return 0;
    const staged = this.#staged;
    const state = this.#state;
    for (let i = 0; i < n; i++) state[staged[i]!] = IN_FLIGHT;
    this.#inFlight += n;
    this.#chainsPublished += n;
    this.#availPublished = this.#availShadow;
    // virtio 1.2 §2.7.13.2: the ring entries are written before idx (release).
    this.memory.atomicStoreU16(this.#ring.availIdxAddr, this.#availShadow);
    return n;
  }

  /**
   * Whether the device must be notified about what was published since the last call
   * (§2.7.10). With EVENT_IDX: `vring_need_event(avail_event, new, old)`; without: the
   * used ring's VIRTQ_USED_F_NO_NOTIFY flag is clear. The driver does not notify; the
   * transport rings the doorbell when this returns `true`.
   *
   * @returns whether to notify the device
   *
   * @example
   * ```ts
   * driver.publish();
   * if (driver.kickNeeded()) transport.notify(queueIndex);
   * ```
   */
  kickNeeded(): boolean {
    const newIdx = this.#availPublished;
    const oldIdx = this.#kickIdx;
    if (newIdx === oldIdx) return false;
    this.#kickIdx = newIdx;
    this.#notificationChecks++;
    // The avail.idx store in publish() is sequentially consistent, so this load cannot be
    // reordered before it (§2.7.13.3 / §2.7.10: "full memory barrier" before reading).
    const need = this.eventIdx
      ? vringNeedEvent(this.memory.atomicLoadU16(this.#ring.availEventAddr), newIdx, oldIdx)
      : (this.memory.atomicLoadU16(this.#ring.usedFlagsAddr) & USED_F_NO_NOTIFY) === 0;
    if (need) this.#notificationsNeeded++;
    return need;
  }

  /**
   * Whether the device has returned chains not yet reclaimed (one acquire load).
   *
   * @returns `true` when `used.idx` differs from the driver's position
   *
   * @example
   * ```ts
   * if (driver.hasUsed()) driver.pollUsed(onUsed);
   * ```
   */
  hasUsed(): boolean {
    return this.memory.atomicLoadU16(this.#ring.usedIdxAddr) !== this.#lastUsed;
  }

  /**
   * Reclaims chains the device returned, calling `onUsed(token, len)` for each, in used
   * ring order, after the chain's descriptors are free again (so `onUsed` may add).
   * Reads `used.idx` once with `Atomics.load` (acquire), then the elements.
   *
   * `onUsed` may add and publish, but a nested `pollUsed` from inside it returns 0.
   *
   * Every element is validated before driver state changes; on the first bad one the
   * queue fails (see the class notes): the call returns what it delivered so far and
   * {@link SplitQueueDriver.error} says why. No token is ever delivered twice.
   *
   * With EVENT_IDX and interrupts enabled, `used_event` is then set to the new position
   * (§2.7.10): interrupt at the next used buffer. `used.idx` is then read again and
   * polling goes on (within `budget`) while it moved: a device in another thread that
   * used a buffer between the first read and the `used_event` store saw the old
   * `used_event` and raised no interrupt.
   *
   * @param onUsed - receives each token and the number of bytes the device wrote
   * @param budget - at most this many chains (default: all)
   * @returns chains delivered
   *
   * @example
   * ```ts
   * const n = driver.pollUsed((token, len) => complete(token, len), 64);
   * if (driver.failed) transport.reset();
   * ```
   */
  pollUsed(onUsed: UsedCallback<T>, budget = Number.POSITIVE_INFINITY): number {
    if (this.#error !== null || this.#polling) return 0;
    this.#polling = true;
    try {
      let delivered = this.#poll(onUsed, budget);
      // §2.7.10 across threads: `used_event` was stored after used.idx was read; a chain
      // the device used in between saw the old `used_event` and raised no interrupt, so
      // re-check (store → load, both sequentially consistent) before going to sleep.
      while (
        delivered < budget &&
        this.eventIdx &&
        this.#interruptsEnabled &&
        this.#error === null &&
        this.hasUsed()
      ) {
        delivered += this.#poll(onUsed, budget - delivered);
      }
      return delivered;
    } finally {
      this.#polling = false;
    }
  }

  #poll(onUsed: UsedCallback<T>, budget: number): number {
    const memory = this.memory;
    // virtio 1.2 §2.7.13: acquire used.idx before reading the elements it covers.
    const usedIdx = memory.atomicLoadU16(this.#ring.usedIdxAddr);
    const pending = (usedIdx - this.#lastUsed) & 0xffff;
    if (pending > this.#inFlight) {
      this.#fail(
        'USED_INDEX_JUMP',
        `used.idx moved by ${pending} with ${this.#inFlight} chains in flight`,
      );
      return 0;
    }
    const n = Math.min(pending, budget);
    const used = this.#usedRing;
    const state = this.#state;
    const size = this.size;
    let delivered = 0;
    while (delivered < n) {
      const e = (this.#lastUsed & this.#mask) << 1;
      const id = used[e]!;
      const len = used[e + 1]!;
      // Validate before touching any state (RELIABILITY.md item 3).
      if (id >= size) {
        this.#fail('USED_ID_OUT_OF_RANGE', `used id ${id} is outside queue size ${size}`);
        break;
      }
      if (state[id] !== IN_FLIGHT) {
        this.#fail('USED_ID_NOT_IN_FLIGHT', `used id ${id} is not the head of a chain in flight`);
        break;
      }
      if (len > this.#capacity[id]!) {
        this.#fail(
          'USED_LENGTH_TOO_LARGE',
          `used len ${len} for chain ${id} exceeds its writable capacity ${this.#capacity[id]}`,
        );
        break;
      }
      const token = this.#tokens[id] as T;
      this.#reclaim(id);
      this.#lastUsed = (this.#lastUsed + 1) & 0xffff;
      delivered++;
      onUsed(token, len);
    }
    if (this.eventIdx && this.#interruptsEnabled && this.#error === null) {
      memory.atomicStoreU16(this.#ring.usedEventAddr, this.#lastUsed); // §2.7.10
    }
    return delivered;
  }

  /**
   * Asks the device not to interrupt (§2.7.10): without EVENT_IDX sets
   * VIRTQ_AVAIL_F_NO_INTERRUPT; with EVENT_IDX stops advancing `used_event`, so at most
   * one more interrupt comes. A hint: the device may still interrupt.
   *
   * @example
   * ```ts
   * driver.disableInterrupts();
   * while (driver.pollUsed(onUsed) > 0);
   * if (driver.enableInterrupts()) driver.pollUsed(onUsed);
   * ```
   */
  disableInterrupts(): void {
    this.#interruptsEnabled = false;
    if (!this.eventIdx) {
      this.memory.atomicStoreU16(this.#ring.availFlagsAddr, AVAIL_F_NO_INTERRUPT); // §2.7.6
    }
  }

  /**
   * Asks for an interrupt at the next used buffer (§2.7.10): with EVENT_IDX writes
   * `used_event` = the driver's position, else clears VIRTQ_AVAIL_F_NO_INTERRUPT. Then
   * re-reads `used.idx`, closing the race with a device that used buffers meanwhile.
   *
   * @returns `true` when used buffers are already pending (poll again rather than sleep)
   *
   * @example
   * ```ts
   * if (driver.enableInterrupts()) driver.pollUsed(onUsed);
   * ```
   */
  enableInterrupts(): boolean {
    this.#interruptsEnabled = true;
    if (this.eventIdx) {
      this.memory.atomicStoreU16(this.#ring.usedEventAddr, this.#lastUsed);
    } else {
      this.memory.atomicStoreU16(this.#ring.availFlagsAddr, 0);
    }
    // Sequentially consistent store then load: the §2.7.10 barrier before re-checking.
    return this.hasUsed();
  }

  /**
   * Counters since construction.
   *
   * @returns a fresh snapshot
   *
   * @example
   * ```ts
   * console.log(driver.stats().notificationsNeeded);
   * ```
   */
  stats(): SplitQueueDriverStats {
    return {
      chainsAdded: this.#chainsAdded,
      indirectChains: this.#indirectChains,
      chainsPublished: this.#chainsPublished,
      chainsReclaimed: this.#chainsReclaimed,
      notificationChecks: this.#notificationChecks,
      notificationsNeeded: this.#notificationsNeeded,
    };
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #checkSegment(addr: number, len: number): void {
    const size = this.#memSize;
    if (
      !(
        addr >= 0 &&
        len >= 0 &&
        len <= MAX_U32 &&
        addr <= size &&
        len <= size - addr &&
        Number.isInteger(addr) &&
        Number.isInteger(len)
      )
    ) {
      throw new VirtqueueError(
        'BAD_SEGMENT',
        `buffer [${addr}, +${len}) is not inside guest memory of ${size} bytes (or len > 2^32-1)`,
      );
    }
  }

  #addIndirect(
    tableAddr: number,
    readable: readonly BufferSegment[],
    writable: readonly BufferSegment[],
    token: T,
    capacity: number,
  ): void {
    const memory = this.memory;
    const total = readable.length + writable.length;
    // virtio 1.2 §2.7.5.3: the table is an array of ordinary descriptors linked by index.
    for (let i = 0; i < total; i++) {
      const isWritable = i >= readable.length;
      const s = isWritable ? writable[i - readable.length]! : readable[i]!;
      const at = tableAddr + 16 * i;
      memory.writeU32(at, s.addr >>> 0);
      memory.writeU32(at + 4, Math.floor(s.addr / TWO_POW_32));
      memory.writeU32(at + 8, s.len);
      const last = i === total - 1;
      memory.writeU16(
        at + 12,
        (isWritable ? DescriptorFlag.WRITE : 0) | (last ? 0 : DescriptorFlag.NEXT),
      );
      memory.writeU16(at + 14, last ? 0 : i + 1);
    }
    const head = this.#freeHead;
    this.#freeHead = this.#next[head]!;
    this.#numFree--;
    const d = this.#desc;
    const w = head << 2;
    d[w] = tableAddr >>> 0;
    d[w + 1] = Math.floor(tableAddr / TWO_POW_32);
    d[w + 2] = 16 * total;
    d[w + 3] = DescriptorFlag.INDIRECT; // §2.7.5.3.1: never together with NEXT
    this.#tail[head] = head;
    this.#count[head] = 1;
    this.#capacity[head] = capacity;
    this.#indirectTable[head] = tableAddr;
    this.#tokens[head] = token;
    this.#indirectChains++;
    this.#stage(head);
  }

  #stage(head: number): void {
    const pos = (this.#availShadow - this.#availPublished) & 0xffff;
    this.#staged[pos] = head;
    this.#state[head] = STAGED;
    this.#availRing[this.#availShadow & this.#mask] = head; // §2.7.13.1
    this.#availShadow = (this.#availShadow + 1) & 0xffff;
    this.#chainsAdded++;
  }

  #reclaim(head: number): void {
    this.#state[head] = FREE_OR_BODY;
    this.#tokens[head] = undefined;
    const table = this.#indirectTable[head]!;
    if (table >= 0) {
      this.#indirectTable[head] = -1;
      this.#dma!.free(table);
    }
    this.#next[this.#tail[head]!] = this.#freeHead;
    this.#freeHead = head;
    this.#numFree += this.#count[head]!;
    this.#inFlight--;
    this.#chainsReclaimed++;
  }

  #fail(code: VirtqueueErrorCode, message: string): void {
    const error = new VirtqueueError(code, message);
    this.#error = error;
    this.#onError?.(error);
  }

  #throwFailed(): never {
    throw new VirtqueueError(
      'QUEUE_FAILED',
      `the queue failed (${this.#error?.code}) and must be reset`,
    );
  }
}
