/**
 * The configuration of one virtqueue as the driver set it up through the QueueSel /
 * QueueNum / Queue{Desc,Driver,Device}{Low,High} / QueueReady registers (virtio 1.2
 * §4.2.2, §4.2.3.2) — what a device model needs to attach a split virtqueue.
 * Addresses are exact 64-bit guest-physical addresses.
 *
 * @example
 * ```ts
 * const q = device.queue(0);
 * if (q.ready) attachSplitQueue(memory, q.size, q.descriptorArea, q.driverArea, q.deviceArea);
 * ```
 */
export interface MmioQueueConfig {
  /** The queue index (the QueueSel value). */
  readonly index: number;
  /** QueueNumMax: the largest size the device supports; 0 if the queue is unavailable. */
  readonly maxSize: number;
  /** QueueNum: the size the driver chose (defaults to `maxSize` after reset). */
  readonly size: number;
  /** Guest address of the descriptor table (QueueDescLow/High). */
  readonly descriptorArea: bigint;
  /** Guest address of the driver area, the available ring (QueueDriverLow/High). */
  readonly driverArea: bigint;
  /** Guest address of the device area, the used ring (QueueDeviceLow/High). */
  readonly deviceArea: bigint;
  /** QueueReady: the driver enabled the queue and the device accepted its configuration. */
  readonly ready: boolean;
}

/** Mutable per-queue state inside the device transport. Internal. */
export class QueueState {
  readonly index: number;
  readonly maxSize: number;
  size: number;
  descriptorArea = 0n;
  driverArea = 0n;
  deviceArea = 0n;
  ready = false;
  /** QueueReset reads 1 from a completed queue reset until the queue is re-enabled. */
  resetDone = false;

  constructor(index: number, maxSize: number) {
    this.index = index;
    this.maxSize = maxSize;
    this.size = maxSize;
  }

  /** Back to the reset values (§2.4, §2.6.1). */
  clear(): void {
    this.size = this.maxSize;
    this.descriptorArea = 0n;
    this.driverArea = 0n;
    this.deviceArea = 0n;
    this.ready = false;
    this.resetDone = false;
  }

  snapshot(): MmioQueueConfig {
    return {
      index: this.index,
      maxSize: this.maxSize,
      size: this.size,
      descriptorArea: this.descriptorArea,
      driverArea: this.driverArea,
      deviceArea: this.deviceArea,
      ready: this.ready,
    };
  }
}

/** Replaces the low or high 32 bits of a 64-bit address. Internal. */
export function setAddressHalf(address: bigint, half: 'low' | 'high', value: number): bigint {
  const word = BigInt(value >>> 0);
  return half === 'low'
    ? (address & 0xffff_ffff_0000_0000n) | word
    : (address & 0xffff_ffffn) | (word << 32n);
}

/**
 * A ready queue's ring addresses as numbers — exact, since the device checked them to
 * lie inside guest memory when the driver set QueueReady. The shape matches what the
 * split virtqueue's device side takes (`{ desc, avail, used }`).
 *
 * @example
 * ```ts
 * const rings = device.ringAddresses(0);
 * if (rings !== null) memory.checkRange(rings.desc, 16 * device.queue(0).size);
 * ```
 */
export interface MmioRingAddresses {
  /** Descriptor table (QueueDesc). */
  readonly desc: number;
  /** Available ring, the driver area (QueueDriver). */
  readonly avail: number;
  /** Used ring, the device area (QueueDevice). */
  readonly used: number;
}

/**
 * A queue violation as a virtqueue's device side reports it: any `{ code, message }`.
 *
 * @example
 * ```ts
 * const report: QueueViolationReport = { code: 'DESCRIPTOR_LOOP', message: 'chain longer than 256' };
 * device.reportQueueViolation(0, report);
 * ```
 */
export interface QueueViolationReport {
  /** Stable machine-readable reason. */
  readonly code: string;
  /** Human-readable detail. */
  readonly message: string;
}
