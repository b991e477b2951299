import type { GuestMemory } from '@libos/mem';
import { DeviceStatus } from '../device-status.js';
import { FeatureBit, hasFeature } from '../feature-bits.js';
import { MMIO_MAGIC_VALUE, MMIO_VERSION, MmioInterrupt, MmioRegister } from '../mmio-registers.js';
import { MAX_SPLIT_QUEUE_SIZE, splitQueueLayout } from '../split-ring-layout.js';
import { atomicClearU32, atomicOrU32 } from './atomic-bits.js';
import {
  MMIO_BLOCK_SIZE,
  MMIO_CONFIG_CAPACITY,
  MMIO_MAX_QUEUES,
  MmioDoorbell,
} from './block-layout.js';
import type { MmioDeviceHandlers, MmioDeviceOptions } from './device-options.js';
import type { DriverViolation, DriverViolationCode } from './driver-violation.js';
import {
  type MmioQueueConfig,
  type MmioRingAddresses,
  QueueState,
  type QueueViolationReport,
  setAddressHalf,
} from './queue-config.js';
import { TransportError } from './transport-error.js';
import type { LinkWatch, TransportLink } from './transport-link.js';

/** Status bits a driver may set (§2.1); DEVICE_NEEDS_RESET belongs to the device. */
const DRIVER_STATUS_BITS =
  DeviceStatus.ACKNOWLEDGE |
  DeviceStatus.DRIVER |
  DeviceStatus.FEATURES_OK |
  DeviceStatus.DRIVER_OK |
  DeviceStatus.FAILED;
const KNOWN_STATUS_BITS = DRIVER_STATUS_BITS | DeviceStatus.DEVICE_NEEDS_RESET;
const INTERRUPT_BITS = MmioInterrupt.USED_BUFFER | MmioInterrupt.CONFIG_CHANGE;
const MAX_U64 = 0xffff_ffff_ffff_ffffn;
/** "LBOS" as a little-endian u32. */
const DEFAULT_VENDOR_ID = 0x534f424c;

const R = MmioRegister;
const READ_ONLY_REGISTERS: ReadonlySet<number> = new Set([
  R.MAGIC_VALUE,
  R.VERSION,
  R.DEVICE_ID,
  R.VENDOR_ID,
  R.DEVICE_FEATURES,
  R.QUEUE_NUM_MAX,
  R.INTERRUPT_STATUS,
  R.SHM_LEN_LOW,
  R.SHM_LEN_HIGH,
  R.SHM_BASE_LOW,
  R.SHM_BASE_HIGH,
  R.CONFIG_GENERATION,
]);

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * The device side of the libos virtio-mmio transport, used by device models (the
 * "hypervisor"). It owns the §4.2.2 register block in guest memory: it answers the
 * driver's trapped register writes (see {@link MmioDoorbell}), applies their side
 * effects, validates the driver — a forbidden write is refused and reported, never
 * thrown — and exposes the negotiated features and each queue's configuration to the
 * model. The model raises interrupts, updates configuration space (bumping
 * ConfigGeneration) and can declare DEVICE_NEEDS_RESET.
 *
 * The device's authoritative state lives in this object, not in shared memory: the
 * block is a mirror the device rewrites after every trap, so a driver scribbling on it
 * only confuses itself.
 *
 * @example
 * ```ts
 * import { DeviceType, FeatureBit, featureMask, InlineLink, MmioDeviceTransport } from '@libos/virtio';
 * const device = new MmioDeviceTransport({
 *   memory, base: 0, link: new InlineLink(memory),
 *   deviceId: DeviceType.ENTROPY,
 *   features: featureMask(FeatureBit.VERSION_1),
 *   queueMaxSizes: [64],
 *   handlers: { onNotify: (q) => serve(device.queue(q)) },
 * });
 * device.start();
 * ```
 */
export class MmioDeviceTransport {
  /** Guest memory holding the block. */
  readonly memory: GuestMemory;
  /** Guest address of the register block. */
  readonly base: number;
  /** DeviceID presented to the driver. */
  readonly deviceId: number;
  /** VendorID presented to the driver. */
  readonly vendorId: number;
  /** The offered feature set. */
  readonly offeredFeatures: bigint;
  /** Size in bytes of the device configuration space. */
  readonly configSize: number;

  readonly #link: TransportLink;
  readonly #handlers: MmioDeviceHandlers;
  readonly #queues: QueueState[];
  readonly #seenNotifyCounts: number[];
  #watches: LinkWatch[] = [];

  #status = 0;
  #deviceFeaturesSel = 0;
  #driverFeaturesSel = 0;
  #driverFeatures = 0n;
  #queueSel = 0;
  #shmSel = 0;
  #violationCount = 0;
  #lastViolation: DriverViolation | null = null;
  #needsResetReason: string | null = null;

  /**
   * @param options - identity, features, queues, config space and callbacks
   * @throws TransportError `BAD_ARGUMENT` for a block outside guest memory or misaligned,
   *   a DeviceID/VendorID that is not a u32, features outside 64 bits, more than
   *   {@link MMIO_MAX_QUEUES} queues, a QueueNumMax that is not 0 or a power of two up to
   *   32768, or a config space larger than {@link MMIO_CONFIG_CAPACITY}
   */
  constructor(options: MmioDeviceOptions) {
    const { memory, base } = options;
    if (!Number.isSafeInteger(base) || base % 4 !== 0 || !memory.contains(base, MMIO_BLOCK_SIZE)) {
      throw new TransportError(
        'BAD_ARGUMENT',
        `register block at ${base} is not 4-byte aligned inside guest memory`,
      );
    }
    const vendorId = options.vendorId ?? DEFAULT_VENDOR_ID;
    for (const [name, value] of [
      ['deviceId', options.deviceId],
      ['vendorId', vendorId],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
        throw new TransportError('BAD_ARGUMENT', `${name} ${value} is not a u32`);
      }
    }
    if (options.features < 0n || options.features > MAX_U64) {
      throw new TransportError('BAD_ARGUMENT', 'offered features are not a 64-bit set');
    }
    if (options.queueMaxSizes.length > MMIO_MAX_QUEUES) {
      throw new TransportError('BAD_ARGUMENT', `more than ${MMIO_MAX_QUEUES} queues`);
    }
    for (const max of options.queueMaxSizes) {
      const valid =
        max === 0 || (Number.isInteger(max) && isPowerOfTwo(max) && max <= MAX_SPLIT_QUEUE_SIZE);
      if (!valid) {
        throw new TransportError(
          'BAD_ARGUMENT',
          `QueueNumMax ${max} is not 0 or a power of two up to ${MAX_SPLIT_QUEUE_SIZE}`,
        );
      }
    }
    const config = options.config ?? new Uint8Array(0);
    if (config.length > MMIO_CONFIG_CAPACITY) {
      throw new TransportError('BAD_ARGUMENT', `config space over ${MMIO_CONFIG_CAPACITY} bytes`);
    }
    this.memory = memory;
    this.base = base;
    this.deviceId = options.deviceId;
    this.vendorId = vendorId;
    this.offeredFeatures = options.features;
    this.configSize = config.length;
    this.#link = options.link;
    this.#handlers = options.handlers ?? {};
    this.#queues = options.queueMaxSizes.map((max, i) => new QueueState(i, max));

    memory.fill(base, MmioDoorbell.TRAP_REQUEST, 0);
    memory.write(base + R.CONFIG, config);
    // Absorb whatever the doorbells hold: only requests made from now on count.
    memory.atomicStoreU32(base + MmioDoorbell.TRAP_ACK, this.#load(MmioDoorbell.TRAP_REQUEST));
    this.#seenNotifyCounts = this.#queues.map((q) => this.#load(this.#notifyCountOffset(q.index)));
    this.#publish();
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────

  /**
   * Starts answering the driver: watches the trap and notify doorbells through the link.
   *
   * @example
   * ```ts
   * device.start();
   * ```
   */
  start(): void {
    if (this.#watches.length > 0) return;
    this.#watches = [
      this.#link.watch(this.base + MmioDoorbell.TRAP_REQUEST, () => this.handleTrap()),
      this.#link.watch(this.base + MmioDoorbell.NOTIFY_SEQ, () => this.handleNotifications()),
    ];
  }

  /**
   * Stops watching the doorbells (the state is kept; `start` resumes).
   *
   * @example
   * ```ts
   * device.stop();
   * ```
   */
  stop(): void {
    for (const watch of this.#watches) watch.stop();
    this.#watches = [];
  }

  // ── what the model reads ──────────────────────────────────────────────────────────

  /**
   * The device status (§2.1) as the device holds it.
   *
   * @example
   * ```ts
   * if (device.status & DeviceStatus.FAILED) detach();
   * ```
   */
  get status(): number {
    return this.#status;
  }

  /**
   * Whether the driver set DRIVER_OK: the device is live (§3.1.1 step 8).
   *
   * @example
   * ```ts
   * if (device.driverOk) device.signalUsedBuffers();
   * ```
   */
  get driverOk(): boolean {
    return (this.#status & DeviceStatus.DRIVER_OK) !== 0;
  }

  /**
   * The negotiated features: what the driver accepted, once FEATURES_OK is set;
   * `null` before.
   *
   * @example
   * ```ts
   * const eventIdx = hasFeature(device.negotiatedFeatures ?? 0n, FeatureBit.EVENT_IDX);
   * ```
   */
  get negotiatedFeatures(): bigint | null {
    return (this.#status & DeviceStatus.FEATURES_OK) !== 0 ? this.#driverFeatures : null;
  }

  /**
   * Number of queues the device declared.
   *
   * @example
   * ```ts
   * for (let i = 0; i < device.queueCount; i++) console.log(device.queue(i));
   * ```
   */
  get queueCount(): number {
    return this.#queues.length;
  }

  /**
   * Number of driver writes refused so far.
   *
   * @example
   * ```ts
   * expect(device.violationCount).toBe(0);
   * ```
   */
  get violationCount(): number {
    return this.#violationCount;
  }

  /**
   * The most recent refused driver write, or `null`.
   *
   * @example
   * ```ts
   * device.lastViolation?.code; // e.g. 'BAD_QUEUE_SIZE'
   * ```
   */
  get lastViolation(): DriverViolation | null {
    return this.#lastViolation;
  }

  /**
   * Why the device set DEVICE_NEEDS_RESET, or `null` if it has not (cleared by reset).
   *
   * @example
   * ```ts
   * if (device.needsResetReason !== null) console.warn(device.needsResetReason);
   * ```
   */
  get needsResetReason(): string | null {
    return this.#needsResetReason;
  }

  /**
   * A snapshot of queue `index`'s configuration.
   *
   * @param index - queue index
   * @returns the configuration as the driver set it up
   * @throws TransportError `BAD_ARGUMENT` for an index the device did not declare
   * @example
   * ```ts
   * const { ready, size, descriptorArea } = device.queue(0);
   * ```
   */
  queue(index: number): MmioQueueConfig {
    const q = this.#queues[index];
    if (q === undefined) throw new TransportError('BAD_ARGUMENT', `no queue ${index}`);
    return q.snapshot();
  }

  /**
   * A copy of the device configuration space.
   *
   * @returns `configSize` bytes
   * @example
   * ```ts
   * const capacity = new DataView(device.config().buffer).getBigUint64(0, true);
   * ```
   */
  config(): Uint8Array {
    const out = new Uint8Array(this.configSize);
    this.memory.read(this.base + R.CONFIG, out);
    return out;
  }

  // ── what the model does ───────────────────────────────────────────────────────────

  /**
   * Rewrites part of the configuration space as a seqlock — ConfigGeneration becomes
   * odd, the bytes change, it becomes even again (§2.5.1, §4.2.2) — so a driver
   * reading concurrently never accepts a torn value. Once the device is live it then
   * raises a configuration change interrupt (§4.2.2 InterruptStatus bit 1).
   *
   * @param offset - byte offset inside configuration space
   * @param bytes - the new bytes
   * @throws TransportError `BAD_ARGUMENT` if the range is outside configuration space
   * @example
   * ```ts
   * device.updateConfig(0, new Uint8Array([1, 0, 0, 0])); // e.g. a link status word
   * ```
   */
  updateConfig(offset: number, bytes: Uint8Array): void {
    if (!Number.isInteger(offset) || offset < 0 || bytes.length > this.configSize - offset) {
      throw new TransportError(
        'BAD_ARGUMENT',
        `config range ${offset}+${bytes.length} is outside ${this.configSize} bytes`,
      );
    }
    this.#writeConfigBytes(offset, bytes);
    if (this.driverOk) this.raiseInterrupt(MmioInterrupt.CONFIG_CHANGE);
  }

  /**
   * ORs `bits` into InterruptStatus and rings the interrupt line (§4.2.2).
   *
   * @param bits - {@link MmioInterrupt} bits
   * @example
   * ```ts
   * device.raiseInterrupt(MmioInterrupt.USED_BUFFER);
   * ```
   */
  raiseInterrupt(bits: number): void {
    const cause = bits & INTERRUPT_BITS;
    if (cause === 0) return;
    atomicOrU32(this.memory, this.base + R.INTERRUPT_STATUS, cause);
    this.memory.atomicAddU32(this.base + MmioDoorbell.INTERRUPT_SEQ, 1);
    this.#link.ring(this.base + MmioDoorbell.INTERRUPT_SEQ);
  }

  /**
   * Sends a used buffer notification, unless the device is not live yet: "the device
   * MUST NOT … send any used buffer notifications to the driver before DRIVER_OK"
   * (§2.1.2).
   *
   * @returns whether the interrupt was raised
   * @example
   * ```ts
   * if (!device.signalUsedBuffers()) console.log('driver not ready');
   * ```
   */
  signalUsedBuffers(): boolean {
    if (!this.driverOk) return false;
    this.raiseInterrupt(MmioInterrupt.USED_BUFFER);
    return true;
  }

  /**
   * Declares the device broken until the driver resets it: sets DEVICE_NEEDS_RESET and,
   * if DRIVER_OK is set, sends a configuration change notification (§2.1.2).
   *
   * @param reason - why, for logs (kept in {@link MmioDeviceTransport.needsResetReason})
   * @example
   * ```ts
   * device.markNeedsReset('descriptor loop in queue 0');
   * ```
   */
  markNeedsReset(reason: string): void {
    if (this.#needsResetReason === null) this.#needsResetReason = reason;
    if ((this.#status & DeviceStatus.DEVICE_NEEDS_RESET) !== 0) return;
    this.#status |= DeviceStatus.DEVICE_NEEDS_RESET;
    this.memory.atomicStoreU32(this.base + R.STATUS, this.#status);
    if (this.driverOk) this.raiseInterrupt(MmioInterrupt.CONFIG_CHANGE);
  }

  /**
   * The hook a virtqueue's device side calls when it detects a hostile ring (loop,
   * bad index, address out of range — RELIABILITY.md): marks the device
   * DEVICE_NEEDS_RESET naming the queue.
   *
   * @param queue - index of the failed queue
   * @param reason - what was wrong: text, or the queue's `{ code, message }` violation
   * @example
   * ```ts
   * const queue = new SplitQueueDevice(memory, size, rings, {
   *   ...features,
   *   onViolation: (v) => device.reportQueueViolation(0, v),
   * });
   * ```
   */
  reportQueueViolation(queue: number, reason: string | QueueViolationReport): void {
    const text = typeof reason === 'string' ? reason : `${reason.code}: ${reason.message}`;
    this.markNeedsReset(`queue ${queue}: ${text}`);
  }

  /**
   * The ring addresses of queue `index` as numbers, once it is ready; `null` before.
   *
   * @param index - queue index
   * @returns `{ desc, avail, used }` or `null`
   * @throws TransportError `BAD_ARGUMENT` for an index the device did not declare
   * @example
   * ```ts
   * const rings = device.ringAddresses(0); // e.g. { desc: 0x10000, avail: 0x18000, used: 0x1c000 }
   * ```
   */
  ringAddresses(index: number): MmioRingAddresses | null {
    const q = this.queue(index);
    if (!q.ready) return null;
    // Exact: QueueReady checked every area against guest memory (a safe integer size).
    return {
      desc: Number(q.descriptorArea),
      avail: Number(q.driverArea),
      used: Number(q.deviceArea),
    };
  }

  // ── the trap protocol, device side ────────────────────────────────────────────────

  /**
   * Applies the driver's pending trapped write, if any, and acknowledges it. Called by
   * the link watcher; safe to call at any time (a no-op when nothing is pending).
   * Never throws.
   *
   * @example
   * ```ts
   * device.handleTrap(); // e.g. from a poller when not using start()
   * ```
   */
  handleTrap(): void {
    const request = this.#load(MmioDoorbell.TRAP_REQUEST);
    if (request === this.#load(MmioDoorbell.TRAP_ACK)) return;
    const offset = this.#load(MmioDoorbell.TRAP_OFFSET);
    const value = this.#load(MmioDoorbell.TRAP_VALUE);
    const width = this.#load(MmioDoorbell.TRAP_WIDTH);
    try {
      this.#applyWrite(offset, value, width);
    } catch (error) {
      // Only a device-model callback can throw here.
      this.markNeedsReset(`device model failed: ${String(error)}`);
    }
    this.#publish();
    this.memory.atomicStoreU32(this.base + MmioDoorbell.TRAP_ACK, request);
    this.#link.ring(this.base + MmioDoorbell.TRAP_ACK);
  }

  /**
   * Delivers the driver's pending queue notifications (posted doorbell): for every queue
   * whose notify counter moved, calls {@link MmioDeviceHandlers.onNotify} if the queue
   * is ready and the device live; other notifications are dropped. Never throws.
   *
   * @example
   * ```ts
   * device.handleNotifications();
   * ```
   */
  handleNotifications(): void {
    for (const q of this.#queues) {
      const count = this.#load(this.#notifyCountOffset(q.index));
      if (count === this.#seenNotifyCounts[q.index]) continue;
      this.#seenNotifyCounts[q.index] = count;
      this.#deliverNotify(q);
    }
  }

  #deliverNotify(q: QueueState): void {
    if (!q.ready || !this.driverOk) return;
    const onNotify = this.#handlers.onNotify;
    if (onNotify !== undefined) this.#callModel(() => onNotify(q.index));
  }

  #applyWrite(offset: number, value: number, width: number): void {
    if (offset >= R.CONFIG) {
      this.#writeConfig(offset, value, width);
      return;
    }
    if (width !== 4 || offset % 4 !== 0) {
      this.#violation(
        'BAD_WIDTH',
        offset,
        value,
        `register writes are 32-bit aligned, not ${width} bytes`,
      );
      return;
    }
    if (READ_ONLY_REGISTERS.has(offset)) {
      this.#violation('READ_ONLY_REGISTER', offset, value, 'register is read-only');
      return;
    }
    switch (offset) {
      case R.STATUS:
        this.#writeStatus(value);
        return;
      case R.DEVICE_FEATURES_SEL:
        this.#deviceFeaturesSel = value;
        return;
      case R.DRIVER_FEATURES_SEL:
        this.#driverFeaturesSel = value;
        return;
      case R.DRIVER_FEATURES:
        this.#writeDriverFeatures(value);
        return;
      case R.QUEUE_SEL:
        this.#queueSel = value;
        return;
      case R.QUEUE_NUM:
      case R.QUEUE_DESC_LOW:
      case R.QUEUE_DESC_HIGH:
      case R.QUEUE_DRIVER_LOW:
      case R.QUEUE_DRIVER_HIGH:
      case R.QUEUE_DEVICE_LOW:
      case R.QUEUE_DEVICE_HIGH:
        this.#writeQueueSetting(offset, value);
        return;
      case R.QUEUE_READY:
        this.#writeQueueReady(value);
        return;
      case R.QUEUE_RESET:
        this.#writeQueueReset(value);
        return;
      case R.QUEUE_NOTIFY:
        this.#writeQueueNotify(value);
        return;
      case R.INTERRUPT_ACK:
        this.#writeInterruptAck(value);
        return;
      case R.SHM_SEL:
        this.#shmSel = value;
        return;
      default:
        this.#violation('UNKNOWN_REGISTER', offset, value, 'no such register (§4.2.2)');
    }
  }

  #writeStatus(value: number): void {
    // virtio 1.2 §4.2.2: writing zero to Status triggers a device reset (§2.4).
    if (value === 0) {
      this.#reset();
      return;
    }
    if ((value & ~KNOWN_STATUS_BITS) !== 0) {
      this.#violation('STATUS_UNKNOWN_BITS', R.STATUS, value, 'undefined status bits ignored');
    }
    const current = this.#status & DRIVER_STATUS_BITS;
    const requested = value & DRIVER_STATUS_BITS;
    // §2.1.2: the driver MUST NOT clear a device status bit.
    if ((current & ~requested) !== 0) {
      this.#violation(
        'STATUS_BIT_CLEARED',
        R.STATUS,
        value,
        'status bits can only be cleared by a reset',
      );
    }
    let added = requested & ~current;
    if ((added & DeviceStatus.FEATURES_OK) !== 0 && !this.#acceptFeatures(current | added, value)) {
      added &= ~DeviceStatus.FEATURES_OK; // §2.2.1: fail to set FEATURES_OK
    }
    if (
      (added & DeviceStatus.DRIVER_OK) !== 0 &&
      ((current | added) & DeviceStatus.FEATURES_OK) === 0
    ) {
      // §3.1.1: DRIVER_OK (step 8) only after FEATURES_OK (step 6).
      this.#violation(
        'DRIVER_OK_WITHOUT_FEATURES_OK',
        R.STATUS,
        value,
        'DRIVER_OK before FEATURES_OK',
      );
      added &= ~DeviceStatus.DRIVER_OK;
    }
    this.#status |= added;
    const { onFailed, onDriverOk } = this.#handlers;
    if ((added & DeviceStatus.FAILED) !== 0 && onFailed !== undefined) this.#callModel(onFailed);
    if ((added & DeviceStatus.DRIVER_OK) !== 0 && onDriverOk !== undefined)
      this.#callModel(onDriverOk);
  }

  #acceptFeatures(statusSoFar: number, value: number): boolean {
    const steps = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER;
    // §3.1.1 steps 2–3 come before FEATURES_OK (step 5).
    if ((statusSoFar & steps) !== steps) {
      this.#violation(
        'STATUS_OUT_OF_ORDER',
        R.STATUS,
        value,
        'FEATURES_OK before ACKNOWLEDGE and DRIVER',
      );
      return false;
    }
    const features = this.#driverFeatures;
    // §3.1.1 step 5: the driver MUST NOT accept a feature the device did not offer.
    if ((features & ~this.offeredFeatures) !== 0n) {
      this.#violation(
        'FEATURES_NOT_OFFERED',
        R.STATUS,
        value,
        `features 0x${(features & ~this.offeredFeatures).toString(16)} were not offered`,
      );
      return false;
    }
    // §6: VIRTIO_F_VERSION_1; libos devices have no legacy interface.
    if (!hasFeature(features, FeatureBit.VERSION_1)) {
      this.#violation('FEATURES_WITHOUT_VERSION_1', R.STATUS, value, 'VERSION_1 not accepted');
      return false;
    }
    const accept = this.#handlers.acceptFeatures;
    if (accept !== undefined && !this.#callModel(() => accept(features), false)) {
      this.#violation(
        'FEATURES_REFUSED',
        R.STATUS,
        value,
        'the device model refused these features',
      );
      return false;
    }
    return true;
  }

  #writeDriverFeatures(value: number): void {
    if ((this.#status & DeviceStatus.FEATURES_OK) !== 0) {
      this.#violation(
        'FEATURES_LOCKED',
        R.DRIVER_FEATURES,
        value,
        'features are fixed once FEATURES_OK is set',
      );
      return;
    }
    const sel = this.#driverFeaturesSel;
    if (sel > 1) {
      if (value !== 0)
        this.#violation(
          'BAD_FEATURE_SELECT',
          R.DRIVER_FEATURES,
          value,
          `feature word ${sel} is beyond bit 63`,
        );
      return;
    }
    const shift = BigInt(32 * sel);
    this.#driverFeatures =
      (this.#driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift);
  }

  /** The queue QueueSel selects, or `null` (with a violation) if it is unavailable. */
  #selectedQueue(offset: number, value: number): QueueState | null {
    const q = this.#queues[this.#queueSel];
    if (q === undefined || q.maxSize === 0) {
      this.#violation(
        'QUEUE_UNAVAILABLE',
        offset,
        value,
        `queue ${this.#queueSel} is not available`,
      );
      return null;
    }
    return q;
  }

  #writeQueueSetting(offset: number, value: number): void {
    const q = this.#selectedQueue(offset, value);
    if (q === null) return;
    // §4.2.2.2: when QueueReady is not zero the driver MUST NOT access these registers.
    if (q.ready) {
      this.#violation('QUEUE_BUSY', offset, value, `queue ${q.index} is ready`);
      return;
    }
    switch (offset) {
      case R.QUEUE_NUM:
        // §4.2.2.2: QueueNum ≤ QueueNumMax; §2.7: split queue sizes are powers of two.
        if (!isPowerOfTwo(value) || value > q.maxSize) {
          this.#violation(
            'BAD_QUEUE_SIZE',
            offset,
            value,
            `queue size ${value} is not a power of two ≤ ${q.maxSize}`,
          );
          return;
        }
        q.size = value;
        return;
      case R.QUEUE_DESC_LOW:
      case R.QUEUE_DESC_HIGH:
        q.descriptorArea = setAddressHalf(
          q.descriptorArea,
          offset === R.QUEUE_DESC_LOW ? 'low' : 'high',
          value,
        );
        return;
      case R.QUEUE_DRIVER_LOW:
      case R.QUEUE_DRIVER_HIGH:
        q.driverArea = setAddressHalf(
          q.driverArea,
          offset === R.QUEUE_DRIVER_LOW ? 'low' : 'high',
          value,
        );
        return;
      default:
        q.deviceArea = setAddressHalf(
          q.deviceArea,
          offset === R.QUEUE_DEVICE_LOW ? 'low' : 'high',
          value,
        );
    }
  }

  #writeQueueReady(value: number): void {
    const q = this.#selectedQueue(R.QUEUE_READY, value);
    if (q === null) return;
    if (value === 0) {
      if (!q.ready) return;
      q.ready = false;
      const onDisabled = this.#handlers.onQueueDisabled;
      if (onDisabled !== undefined) this.#callModel(() => onDisabled(q.index));
      return;
    }
    if (value !== 1) {
      this.#violation('BAD_QUEUE_READY', R.QUEUE_READY, value, 'QueueReady takes 0 or 1');
      return;
    }
    if (q.ready) return;
    // §3.1.1: queues are set up (step 7) after FEATURES_OK (step 6).
    if ((this.#status & DeviceStatus.FEATURES_OK) === 0) {
      this.#violation(
        'QUEUE_BEFORE_FEATURES_OK',
        R.QUEUE_READY,
        value,
        'queue enabled before FEATURES_OK',
      );
      return;
    }
    const problem = this.#checkRingAddresses(q);
    if (problem !== null) {
      this.#violation('BAD_QUEUE_ADDRESS', R.QUEUE_READY, value, `queue ${q.index}: ${problem}`);
      return;
    }
    q.ready = true;
    q.resetDone = false;
    const onReady = this.#handlers.onQueueReady;
    if (onReady !== undefined) this.#callModel(() => onReady(q.snapshot()));
  }

  /** §2.7 alignment and size of each ring part; all of it inside guest memory. */
  #checkRingAddresses(q: QueueState): string | null {
    const layout = splitQueueLayout(q.size);
    const parts = [
      ['descriptor table', q.descriptorArea, layout.descriptorTable],
      ['driver area', q.driverArea, layout.availableRing],
      ['device area', q.deviceArea, layout.usedRing],
    ] as const;
    for (const [name, addr, part] of parts) {
      if (addr % BigInt(part.align) !== 0n)
        return `${name} 0x${addr.toString(16)} is not ${part.align}-byte aligned`;
      if (!this.memory.contains(addr, part.bytes))
        return `${name} 0x${addr.toString(16)} is outside guest memory`;
    }
    return null;
  }

  #writeQueueReset(value: number): void {
    const q = this.#selectedQueue(R.QUEUE_RESET, value);
    if (q === null) return;
    // §2.6.1: queue reset exists only once VIRTIO_F_RING_RESET is negotiated.
    const features = this.negotiatedFeatures;
    if (value !== 1 || features === null || !hasFeature(features, FeatureBit.RING_RESET)) {
      this.#violation(
        'BAD_QUEUE_RESET',
        R.QUEUE_RESET,
        value,
        'QueueReset needs RING_RESET and the value 1',
      );
      return;
    }
    const wasReady = q.ready;
    q.clear();
    q.resetDone = true;
    const onDisabled = this.#handlers.onQueueDisabled;
    if (wasReady && onDisabled !== undefined) this.#callModel(() => onDisabled(q.index));
  }

  #writeQueueNotify(value: number): void {
    // §4.2.2 QueueNotify: the value is the queue index (low 16 bits with NOTIFICATION_DATA).
    const q = this.#queues[value & 0xffff];
    if (q === undefined) {
      this.#violation('BAD_NOTIFY', R.QUEUE_NOTIFY, value, `no queue ${value & 0xffff}`);
      return;
    }
    this.#deliverNotify(q);
  }

  #writeInterruptAck(value: number): void {
    // §4.2.2.2: the driver MUST NOT set undefined bits in InterruptACK.
    if ((value & ~INTERRUPT_BITS) !== 0) {
      this.#violation('BAD_INTERRUPT_ACK', R.INTERRUPT_ACK, value, 'undefined interrupt bits');
    }
    atomicClearU32(this.memory, this.base + R.INTERRUPT_STATUS, value & INTERRUPT_BITS);
  }

  #writeConfig(offset: number, value: number, width: number): void {
    const at = offset - R.CONFIG;
    if (width !== 1 && width !== 2 && width !== 4) {
      this.#violation(
        'BAD_WIDTH',
        offset,
        value,
        `config writes are 1, 2 or 4 bytes, not ${width}`,
      );
      return;
    }
    if (at % width !== 0 || at + width > this.configSize) {
      this.#violation(
        'CONFIG_OUT_OF_RANGE',
        offset,
        value,
        `config write at ${at} of ${width} bytes`,
      );
      return;
    }
    const masked = width === 4 ? value >>> 0 : value & ((1 << (8 * width)) - 1);
    const onWrite = this.#handlers.onConfigWrite;
    if (onWrite === undefined || !this.#callModel(() => onWrite(at, width, masked), false)) {
      this.#violation(
        'CONFIG_READ_ONLY',
        offset,
        value,
        'the device does not accept this config write',
      );
      return;
    }
    const bytes = new Uint8Array(width);
    for (let i = 0; i < width; i++) bytes[i] = (masked >>> (8 * i)) & 0xff;
    this.#writeConfigBytes(at, bytes);
  }

  /** Seqlock write of config bytes: generation odd while they change (§2.5.1). */
  #writeConfigBytes(offset: number, bytes: Uint8Array): void {
    const gen = this.base + R.CONFIG_GENERATION;
    this.memory.atomicAddU32(gen, 1);
    this.memory.write(this.base + R.CONFIG + offset, bytes);
    this.memory.atomicAddU32(gen, 1);
  }

  /** §2.4 device reset: everything back to the initial state; config space stays. */
  #reset(): void {
    this.#status = 0;
    this.#deviceFeaturesSel = 0;
    this.#driverFeaturesSel = 0;
    this.#driverFeatures = 0n;
    this.#queueSel = 0;
    this.#shmSel = 0;
    this.#needsResetReason = null;
    for (const q of this.#queues) q.clear();
    this.memory.atomicStoreU32(this.base + R.INTERRUPT_STATUS, 0);
    const onReset = this.#handlers.onReset;
    if (onReset !== undefined) this.#callModel(onReset);
  }

  /** Rewrites every read-side register of the block from the device's state (§4.2.2). */
  #publish(): void {
    const store = (offset: number, value: number): void =>
      this.memory.atomicStoreU32(this.base + offset, value >>> 0);
    store(R.MAGIC_VALUE, MMIO_MAGIC_VALUE);
    store(R.VERSION, MMIO_VERSION);
    store(R.DEVICE_ID, this.deviceId);
    store(R.VENDOR_ID, this.vendorId);
    const sel = this.#deviceFeaturesSel;
    store(
      R.DEVICE_FEATURES,
      sel > 1 ? 0 : Number((this.offeredFeatures >> BigInt(32 * sel)) & 0xffff_ffffn),
    );
    store(R.DEVICE_FEATURES_SEL, sel);
    store(R.DRIVER_FEATURES_SEL, this.#driverFeaturesSel);
    const dsel = this.#driverFeaturesSel;
    store(
      R.DRIVER_FEATURES,
      dsel > 1 ? 0 : Number((this.#driverFeatures >> BigInt(32 * dsel)) & 0xffff_ffffn),
    );
    store(R.QUEUE_SEL, this.#queueSel);
    const q = this.#queues[this.#queueSel];
    store(R.QUEUE_NUM_MAX, q?.maxSize ?? 0); // §4.2.2: 0 if the queue is not available
    store(R.QUEUE_NUM, q?.size ?? 0);
    store(R.QUEUE_READY, q?.ready === true ? 1 : 0);
    store(R.QUEUE_RESET, q?.resetDone === true ? 1 : 0);
    const low = (a: bigint | undefined): number => Number((a ?? 0n) & 0xffff_ffffn);
    const high = (a: bigint | undefined): number => Number((a ?? 0n) >> 32n);
    store(R.QUEUE_DESC_LOW, low(q?.descriptorArea));
    store(R.QUEUE_DESC_HIGH, high(q?.descriptorArea));
    store(R.QUEUE_DRIVER_LOW, low(q?.driverArea));
    store(R.QUEUE_DRIVER_HIGH, high(q?.driverArea));
    store(R.QUEUE_DEVICE_LOW, low(q?.deviceArea));
    store(R.QUEUE_DEVICE_HIGH, high(q?.deviceArea));
    store(R.STATUS, this.#status);
    store(R.SHM_SEL, this.#shmSel);
    // §4.2.2: a non-existent shared memory region reads as length -1; libos has none.
    store(R.SHM_LEN_LOW, 0xffff_ffff);
    store(R.SHM_LEN_HIGH, 0xffff_ffff);
    store(R.SHM_BASE_LOW, 0xffff_ffff);
    store(R.SHM_BASE_HIGH, 0xffff_ffff);
  }

  #violation(code: DriverViolationCode, offset: number, value: number, message: string): void {
    const violation: DriverViolation = { code, offset, value, message };
    this.#violationCount++;
    this.#lastViolation = violation;
    const report = this.#handlers.onViolation;
    if (report !== undefined) this.#callModel(() => report(violation));
  }

  /** Runs a model callback; if it throws, the device needs a reset (§2.1.2). */
  #callModel<T>(fn: () => T, fallback?: T): T | undefined {
    try {
      return fn();
    } catch (error) {
      this.markNeedsReset(`device model failed: ${String(error)}`);
      return fallback;
    }
  }

  #notifyCountOffset(queue: number): number {
    return MmioDoorbell.NOTIFY_COUNTS + 4 * queue;
  }

  #load(offset: number): number {
    return this.memory.atomicLoadU32(this.base + offset);
  }
}
