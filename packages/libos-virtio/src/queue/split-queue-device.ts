import type { GuestMemory } from '@libos/mem';
import { AVAIL_F_NO_INTERRUPT, DescriptorFlag, USED_F_NO_NOTIFY } from '../split-ring-layout.js';
import { DescriptorChain } from './descriptor-chain.js';
import { vringNeedEvent } from './need-event.js';
import type { QueueViolation, QueueViolationCode } from './queue-violation.js';
import type { SplitQueueAddresses, SplitQueueFeatures } from './split-queue-options.js';
import { SplitRing } from './split-ring.js';
import { VirtqueueError } from './virtqueue-error.js';

const TWO_POW_32 = 0x1_0000_0000;
const MAX_U32 = 0xffff_ffff;
/** Largest high word of an address that is still a safe integer (2^53 − 1 >> 32). */
const MAX_SAFE_HI = 0x1f_ffff;
const F_NEXT = DescriptorFlag.NEXT;
const F_WRITE = DescriptorFlag.WRITE;
const F_INDIRECT = DescriptorFlag.INDIRECT;

/**
 * Options of a {@link SplitQueueDevice}: the negotiated features and the violation hook.
 *
 * @example
 * ```ts
 * import type { SplitQueueDeviceOptions } from '@libos/virtio';
 * const options: SplitQueueDeviceOptions = {
 *   eventIdx: true,
 *   indirect: true,
 *   onViolation: () => transport.setNeedsReset(),
 * };
 * ```
 */
export interface SplitQueueDeviceOptions extends SplitQueueFeatures {
  /** Initial value of {@link SplitQueueDevice.onViolation}. */
  readonly onViolation?: (violation: QueueViolation) => void;
}

/**
 * Counters of a {@link SplitQueueDevice} since construction.
 *
 * @example
 * ```ts
 * const { chainsPopped, interruptsNeeded } = device.stats();
 * ```
 */
export interface SplitQueueDeviceStats {
  /** Chains taken from the available ring and validated. */
  readonly chainsPopped: number;
  /** Used elements made visible to the driver by `publishUsed`. */
  readonly usedPublished: number;
  /** Calls of `shouldInterrupt` that had something new to announce. */
  readonly interruptChecks: number;
  /** Calls of `shouldInterrupt` that returned `true`: interrupts the transport must raise. */
  readonly interruptsNeeded: number;
}

/**
 * The device ("hypervisor") side of a split virtqueue (virtio 1.2 §2.7): takes chains
 * the driver made available, and returns them through the used ring. Everything in
 * guest memory is treated as hostile.
 *
 * ```text
 *  popAvailable ◄─ Atomics.load(avail.idx), then avail.ring[i], descriptors   acquire (§2.7.13)
 *                  each descriptor validated as it is read → DescriptorChain
 *  pushUsed     ─► used.ring[i] = { id, len } (plain writes)
 *  publishUsed  ─► Atomics.store(used.idx)                                    release
 *  shouldInterrupt ─► used_event / VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.10) → transport interrupts
 * ```
 *
 * **Violation contract.** When the driver breaks the protocol — a descriptor loop (a
 * chain not ending within N descriptors, or within the entries of an indirect table), a
 * `next` or head ≥ N, a buffer outside guest memory or whose `addr + len` overflows 64
 * bits (checked exactly, never through a lossy float), a malformed indirect table
 * (length 0 or not a multiple of 16, more than N entries, nested INDIRECT, INDIRECT with
 * NEXT, INDIRECT not negotiated), a readable descriptor after a writable one,
 * `avail.idx` moving more than N ahead, or a head made available twice — the device:
 * 1. records a {@link QueueViolation} (stable `code` + message) in
 *    {@link SplitQueueDevice.violation}, first violation only;
 * 2. marks the queue broken: `popAvailable` returns `null` from then on, `pushUsed` /
 *    `publishUsed` do nothing, so nothing more is read or written for this queue;
 * 3. calls {@link SplitQueueDevice.onViolation} once, synchronously. The transport sets
 *    DEVICE_NEEDS_RESET (64, §2.1.2) in the device status and raises a configuration
 *    change interrupt; the driver then resets the device.
 *
 * No exception escapes for hostile input and no loop runs longer than N (+ table size)
 * steps. A violation is reported before anything is written to guest memory. Exceptions
 * are only thrown for misuse by the device model itself (`pushUsed` of a head it does
 * not hold, or of a length above the chain's writable capacity).
 *
 * Call {@link SplitQueueDevice.publishUsed} after one or more `pushUsed`, then
 * {@link SplitQueueDevice.shouldInterrupt}.
 *
 * @example
 * ```ts
 * import { DescriptorChain, SplitQueueDevice } from '@libos/virtio';
 * const device = new SplitQueueDevice(memory, 256, addresses, { eventIdx: true, indirect: true });
 * device.onViolation = () => transport.setStatusBit(DeviceStatus.DEVICE_NEEDS_RESET);
 * const chain = new DescriptorChain(memory);
 * while (device.popAvailable(chain)) {
 *   const n = chain.readReadable(frame);
 *   device.pushUsed(chain, 0);
 * }
 * device.publishUsed();
 * if (device.shouldInterrupt()) transport.interrupt();
 * ```
 */
export class SplitQueueDevice {
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
  /**
   * Called once, synchronously, on the first protocol violation (see the class notes).
   * The transport sets DEVICE_NEEDS_RESET here. Must not throw.
   */
  onViolation: ((violation: QueueViolation) => void) | null;

  readonly #ring: SplitRing;
  readonly #desc: Uint32Array;
  readonly #availRing: Uint16Array;
  readonly #usedRing: Uint32Array;
  readonly #mask: number;
  readonly #memSize: number;
  /** Per head: 1 while popped and not pushed. */
  readonly #held: Uint8Array;
  /** Per head: writable capacity of the chain popped for it. */
  readonly #capacity: Float64Array;

  /** Next avail entry to consume (mod 2^16). */
  #lastAvail = 0;
  /** `avail.idx` as last read and validated. */
  #availSeen = 0;
  /** `used.idx` shadow including pushed, unpublished elements. */
  #usedShadow = 0;
  #usedPublished = 0;
  /** `used.idx` at the last `shouldInterrupt` decision. */
  #signalIdx = 0;
  #violation: QueueViolation | null = null;

  #chainsPopped = 0;
  #usedPublishedCount = 0;
  #interruptChecks = 0;
  #interruptsNeeded = 0;

  /**
   * @param memory - guest memory holding the rings
   * @param size - queue size N (QueueNum), a power of two in 1..32768
   * @param addresses - the three ring parts, as the driver configured them
   * @param options - negotiated features and violation hook
   * @throws VirtqueueError `BAD_QUEUE_SIZE`, `BAD_ADDRESS` (the transport should refuse
   *   such a configuration rather than construct the queue)
   */
  constructor(
    memory: GuestMemory,
    size: number,
    addresses: SplitQueueAddresses,
    options: SplitQueueDeviceOptions,
  ) {
    const ring = new SplitRing(memory, size, addresses);
    this.memory = memory;
    this.size = size;
    this.addresses = addresses;
    this.eventIdx = options.eventIdx;
    this.indirect = options.indirect;
    this.onViolation = options.onViolation ?? null;
    this.#ring = ring;
    this.#desc = ring.desc;
    this.#availRing = ring.availRing;
    this.#usedRing = ring.usedRing;
    this.#mask = ring.mask;
    this.#memSize = memory.size;
    this.#held = new Uint8Array(size);
    this.#capacity = new Float64Array(size);
  }

  /** The first protocol violation seen, or `null`. */
  get violation(): QueueViolation | null {
    return this.#violation;
  }

  /** Whether a violation broke the queue (it needs a device reset). */
  get broken(): boolean {
    return this.#violation !== null;
  }

  /**
   * Whether the driver has made chains available that were not popped yet.
   *
   * @returns `false` also when the queue is broken (and reports an index jump)
   * @example
   * ```ts
   * if (device.hasAvailable()) scheduleWork();
   * ```
   */
  hasAvailable(): boolean {
    return this.#violation === null && this.#refreshAvail() > 0;
  }

  /**
   * Takes the next available chain and validates all of its descriptors (see the class
   * notes) into `into` (or a new {@link DescriptorChain}).
   *
   * @param into - a chain to refill (no allocation), e.g. one per device loop
   * @returns the chain, or `null` when none is available or the queue is (now) broken
   * @example
   * ```ts
   * const chain = new DescriptorChain(memory);
   * while (device.popAvailable(chain) !== null) handle(chain);
   * ```
   */
  popAvailable(into?: DescriptorChain): DescriptorChain | null {
    if (this.#violation !== null) return null;
    if (this.#lastAvail === this.#availSeen && this.#refreshAvail() === 0) return null;
    // The acquire load of avail.idx in #refreshAvail orders this read (§2.7.13).
    const head = this.#availRing[this.#lastAvail & this.#mask]!;
    this.#lastAvail = (this.#lastAvail + 1) & 0xffff;
    if (head >= this.size) {
      this.reportViolation(
        'DESCRIPTOR_INDEX_OUT_OF_RANGE',
        `available head ${head} is outside queue size ${this.size}`,
      );
      return null;
    }
    if (this.#held[head] !== 0) {
      this.reportViolation('HEAD_IN_USE', `head ${head} made available while the device holds it`);
      return null;
    }
    const chain = into ?? new DescriptorChain(this.memory);
    chain.begin(head, this);
    if (!this.#collect(head, chain)) return null;
    this.#held[head] = 1;
    this.#capacity[head] = chain.writableLength;
    this.#chainsPopped++;
    return chain;
  }

  /**
   * Puts a used element `{ id: head, len: writtenLen }` in the used ring (§2.7.8), not yet
   * visible: call {@link SplitQueueDevice.publishUsed} after a batch. Does nothing when
   * the queue is broken.
   *
   * @param chain - the chain (or its head index) being returned
   * @param writtenLen - bytes the device wrote into the writable buffers (§2.7.8.1)
   * @throws VirtqueueError `NOT_IN_FLIGHT` (head not popped, or already pushed);
   *   `USED_LENGTH_TOO_LARGE` (more than the chain's writable capacity)
   * @example
   * ```ts
   * device.pushUsed(chain, written);
   * device.publishUsed();
   * ```
   */
  pushUsed(chain: DescriptorChain | number, writtenLen: number): void {
    if (this.#violation !== null) return;
    const head = typeof chain === 'number' ? chain : chain.head;
    if (!(head >= 0 && head < this.size && this.#held[head] === 1)) {
      throw new VirtqueueError('NOT_IN_FLIGHT', `head ${head} is not held by the device`);
    }
    if (!(writtenLen >= 0 && writtenLen <= this.#capacity[head]! && Number.isInteger(writtenLen))) {
      throw new VirtqueueError(
        'USED_LENGTH_TOO_LARGE',
        `used length ${writtenLen} exceeds chain ${head}'s writable capacity ${this.#capacity[head]}`,
      );
    }
    this.#held[head] = 0;
    const e = (this.#usedShadow & this.#mask) << 1;
    this.#usedRing[e] = head; // §2.7.8 le32 id
    this.#usedRing[e + 1] = writtenLen; // §2.7.8 le32 len
    this.#usedShadow = (this.#usedShadow + 1) & 0xffff;
  }

  /**
   * Makes the pushed used elements visible: one `Atomics.store` of `used.idx` after the
   * element writes (§2.7.13, release).
   *
   * @returns elements published by this call
   * @example
   * ```ts
   * device.publishUsed();
   * if (device.shouldInterrupt()) transport.interrupt();
   * ```
   */
  publishUsed(): number {
    if (this.#violation !== null) return 0;
    const n = (this.#usedShadow - this.#usedPublished) & 0xffff;
    if (n === 0) return 0;
    this.#usedPublished = this.#usedShadow;
    this.#usedPublishedCount += n;
    this.memory.atomicStoreU16(this.#ring.usedIdxAddr, this.#usedShadow);
    return n;
  }

  /**
   * Whether the driver must be interrupted for what was published since the last call
   * (§2.7.10): with EVENT_IDX `vring_need_event(used_event, new, old)`, else the
   * available ring's VIRTQ_AVAIL_F_NO_INTERRUPT flag is clear.
   *
   * @returns whether to send a used-buffer notification
   * @example
   * ```ts
   * if (device.shouldInterrupt()) transport.interrupt(MmioInterrupt.USED_BUFFER);
   * ```
   */
  shouldInterrupt(): boolean {
    const newIdx = this.#usedPublished;
    const oldIdx = this.#signalIdx;
    if (newIdx === oldIdx) return false;
    this.#signalIdx = newIdx;
    this.#interruptChecks++;
    // The used.idx store is sequentially consistent: this load comes after it (§2.7.10).
    const need = this.eventIdx
      ? vringNeedEvent(this.memory.atomicLoadU16(this.#ring.usedEventAddr), newIdx, oldIdx)
      : (this.memory.atomicLoadU16(this.#ring.availFlagsAddr) & AVAIL_F_NO_INTERRUPT) === 0;
    if (need) this.#interruptsNeeded++;
    return need;
  }

  /**
   * Asks the driver not to notify (§2.7.10): without EVENT_IDX sets VIRTQ_USED_F_NO_NOTIFY;
   * with EVENT_IDX leaves `avail_event` where it is, so at most one more notification
   * comes. Call when starting to process a queue.
   *
   * @example
   * ```ts
   * device.disableNotifications();
   * do { drain(); } while (device.enableNotifications());
   * ```
   */
  disableNotifications(): void {
    if (!this.eventIdx) this.memory.atomicStoreU16(this.#ring.usedFlagsAddr, USED_F_NO_NOTIFY);
  }

  /**
   * Asks for a notification at the next available buffer (§2.7.10): with EVENT_IDX
   * writes `avail_event` = the device's position, else clears VIRTQ_USED_F_NO_NOTIFY;
   * then re-reads `avail.idx` to close the race with a driver that published meanwhile.
   *
   * @returns `true` when chains are already available (keep processing instead of sleeping)
   * @example
   * ```ts
   * if (device.enableNotifications()) drain();
   * ```
   */
  enableNotifications(): boolean {
    if (this.eventIdx) {
      this.memory.atomicStoreU16(this.#ring.availEventAddr, this.#lastAvail);
    } else {
      this.memory.atomicStoreU16(this.#ring.usedFlagsAddr, 0);
    }
    return this.hasAvailable();
  }

  /**
   * Records a violation and breaks the queue (first call only; see the class notes).
   * Device models call it for request-level violations (`BAD_REQUEST`).
   *
   * @param code - stable reason
   * @param message - detail
   * @example
   * ```ts
   * if (chain.readableLength < 16) device.reportViolation('BAD_REQUEST', 'virtio-blk header too short');
   * ```
   */
  reportViolation(code: QueueViolationCode, message: string): void {
    if (this.#violation !== null) return;
    const violation: QueueViolation = { code, message };
    this.#violation = violation;
    this.onViolation?.(violation);
  }

  /**
   * Counters since construction.
   *
   * @returns a fresh snapshot
   * @example
   * ```ts
   * console.log(device.stats().interruptsNeeded);
   * ```
   */
  stats(): SplitQueueDeviceStats {
    return {
      chainsPopped: this.#chainsPopped,
      usedPublished: this.#usedPublishedCount,
      interruptChecks: this.#interruptChecks,
      interruptsNeeded: this.#interruptsNeeded,
    };
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  /** Acquire-loads `avail.idx`, checks it, returns the number of chains ahead (0 on violation). */
  #refreshAvail(): number {
    const idx = this.memory.atomicLoadU16(this.#ring.availIdxAddr);
    const ahead = (idx - this.#lastAvail) & 0xffff;
    if (ahead > this.size) {
      // RELIABILITY.md item 3: the driver cannot have more than N chains available.
      this.reportViolation(
        'AVAIL_INDEX_JUMP',
        `avail.idx ${idx} is ${ahead} ahead of ${this.#lastAvail}, more than queue size ${this.size}`,
      );
      return 0;
    }
    this.#availSeen = idx;
    return ahead;
  }

  /** Walks the chain at `head`, validating each descriptor as it is read (§2.7.5). */
  #collect(head: number, chain: DescriptorChain): boolean {
    const d = this.#desc;
    const size = this.size;
    let idx = head;
    let seenWritable = false;
    // A chain has at most N descriptors (§2.7.13.1): more means a loop (RELIABILITY.md item 1).
    for (let ttl = size; ttl > 0; ttl--) {
      const w = idx << 2;
      const lo = d[w]!;
      const hi = d[w + 1]!;
      const len = d[w + 2]!;
      const fn = d[w + 3]!;
      const flags = fn & 0xffff;
      if ((flags & F_INDIRECT) !== 0)
        return this.#collectIndirect(idx, lo, hi, len, flags, chain, seenWritable);
      const writable = (flags & F_WRITE) !== 0;
      if (!writable && seenWritable) {
        this.reportViolation(
          'READABLE_AFTER_WRITABLE',
          `descriptor ${idx} is device-readable after a device-writable one (§2.7.4.2)`,
        );
        return false;
      }
      seenWritable = writable;
      const addr = this.#checkBuffer(idx, lo, hi, len);
      if (addr < 0) return false;
      chain.append(addr, len, writable);
      if ((flags & F_NEXT) === 0) return true;
      idx = fn >>> 16;
      if (idx >= size) {
        this.reportViolation(
          'DESCRIPTOR_INDEX_OUT_OF_RANGE',
          `descriptor next ${idx} is outside queue size ${size}`,
        );
        return false;
      }
    }
    this.reportViolation(
      'DESCRIPTOR_LOOP',
      `chain at head ${head} did not end within ${size} descriptors`,
    );
    return false;
  }

  /** Walks an indirect table (§2.7.5.3), validating its rules (§2.7.5.3.1) and entries. */
  #collectIndirect(
    idx: number,
    lo: number,
    hi: number,
    len: number,
    flags: number,
    chain: DescriptorChain,
    seenWritableBefore: boolean,
  ): boolean {
    if (!this.indirect) {
      this.reportViolation(
        'INDIRECT_NOT_NEGOTIATED',
        `descriptor ${idx} is INDIRECT but VIRTIO_F_INDIRECT_DESC was not negotiated`,
      );
      return false;
    }
    if ((flags & F_NEXT) !== 0) {
      this.reportViolation('INDIRECT_WITH_NEXT', `descriptor ${idx} has both INDIRECT and NEXT`);
      return false;
    }
    if (len === 0 || len % 16 !== 0) {
      this.reportViolation(
        'BAD_INDIRECT_LENGTH',
        `indirect table of descriptor ${idx} has length ${len}, not a positive multiple of 16`,
      );
      return false;
    }
    const entries = len / 16;
    if (entries > this.size) {
      this.reportViolation(
        'INDIRECT_TABLE_TOO_LARGE',
        `indirect table of descriptor ${idx} has ${entries} entries, more than queue size ${this.size}`,
      );
      return false;
    }
    const table = this.#checkBuffer(idx, lo, hi, len);
    if (table < 0) return false;
    const memory = this.memory;
    let seenWritable = seenWritableBefore;
    let i = 0;
    for (let ttl = entries; ttl > 0; ttl--) {
      const at = table + 16 * i;
      const elo = memory.readU32(at);
      const ehi = memory.readU32(at + 4);
      const elen = memory.readU32(at + 8);
      const eflags = memory.readU16(at + 12);
      if ((eflags & F_INDIRECT) !== 0) {
        this.reportViolation(
          'NESTED_INDIRECT',
          `entry ${i} of the indirect table of descriptor ${idx} is INDIRECT`,
        );
        return false;
      }
      const writable = (eflags & F_WRITE) !== 0;
      if (!writable && seenWritable) {
        this.reportViolation(
          'READABLE_AFTER_WRITABLE',
          `indirect entry ${i} is device-readable after a device-writable one (§2.7.4.2)`,
        );
        return false;
      }
      seenWritable = writable;
      const addr = this.#checkBuffer(idx, elo, ehi, elen);
      if (addr < 0) return false;
      chain.append(addr, elen, writable);
      if ((eflags & F_NEXT) === 0) return true;
      i = memory.readU16(at + 14);
      if (i >= entries) {
        this.reportViolation(
          'DESCRIPTOR_INDEX_OUT_OF_RANGE',
          `indirect entry next ${i} is outside the table of ${entries} entries`,
        );
        return false;
      }
    }
    this.reportViolation(
      'DESCRIPTOR_LOOP',
      `indirect table of descriptor ${idx} did not end within its ${entries} entries`,
    );
    return false;
  }

  /**
   * Checks `[hi:lo, +len)` exactly (RELIABILITY.md item 2): the 64-bit address is kept as
   * two u32 words until it is known to be a small safe integer. Returns the address, or
   * -1 after reporting.
   */
  #checkBuffer(idx: number, lo: number, hi: number, len: number): number {
    // addr + len ≥ 2^64 ⇔ hi = 2^32 − 1 and lo + len carries (lo + len < 2^33: exact).
    if (hi === MAX_U32 && lo + len > MAX_U32) {
      this.reportViolation(
        'ADDRESS_OVERFLOW',
        `descriptor ${idx}: addr 0x${hex64(hi, lo)} + len ${len} overflows 64 bits`,
      );
      return -1;
    }
    const size = this.#memSize;
    const addr = hi <= MAX_SAFE_HI ? hi * TWO_POW_32 + lo : Number.POSITIVE_INFINITY;
    if (!(addr <= size && len <= size - addr)) {
      this.reportViolation(
        'DESCRIPTOR_OUT_OF_BOUNDS',
        `descriptor ${idx}: [0x${hex64(hi, lo)}, +${len}) is outside guest memory of ${size} bytes`,
      );
      return -1;
    }
    return addr;
  }
}

function hex64(hi: number, lo: number): string {
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString(16);
}
