import type { GuestMemory } from '@libos/mem';
import { DeviceStatus } from '../device-status.js';
import { MMIO_MAGIC_VALUE, MMIO_VERSION, MmioInterrupt, MmioRegister } from '../mmio-registers.js';
import { MAX_SPLIT_QUEUE_SIZE } from '../split-ring-layout.js';
import { atomicClearU32 } from './atomic-bits.js';
import {
  MMIO_BLOCK_SIZE,
  MMIO_CONFIG_CAPACITY,
  MMIO_MAX_QUEUES,
  MmioDoorbell,
} from './block-layout.js';
import { initializeDevice, type MmioInitOptions, type MmioInitResult } from './driver-init.js';
import type { MmioDriverHandlers, MmioDriverOptions } from './driver-options.js';
import { TransportError } from './transport-error.js';
import type { LinkWatch, TransportLink } from './transport-link.js';

const R = MmioRegister;
const TWO_POW_64 = 1n << 64n;
/** Wake-ups tolerated while waiting for one acknowledgement before reporting `TIMEOUT`. */
const MAX_ACK_WAITS = 16;

/**
 * Identity registers of a virtio-mmio device (§4.2.2).
 *
 * @example
 * ```ts
 * const { deviceId, vendorId } = driver.probe();
 * ```
 */
export interface MmioDeviceIdentity {
  /** DeviceID (§5). */
  readonly deviceId: number;
  /** VendorID. */
  readonly vendorId: number;
}

/**
 * Where the driver placed one virtqueue (§4.2.3.2). Addresses are guest-physical,
 * numbers (safe integers) or exact 64-bit bigints.
 *
 * @example
 * ```ts
 * import type { MmioQueueSetup } from '@libos/virtio';
 * const setup: MmioQueueSetup = { index: 0, size: 64, descriptorArea: 0x10000, driverArea: 0x10400, deviceArea: 0x10600 };
 * ```
 */
export interface MmioQueueSetup {
  /** Queue index (written to QueueSel). */
  readonly index: number;
  /** Queue size: a power of two no larger than QueueNumMax. */
  readonly size: number;
  /** Descriptor table address (16-byte aligned). */
  readonly descriptorArea: number | bigint;
  /** Driver area (available ring) address (2-byte aligned). */
  readonly driverArea: number | bigint;
  /** Device area (used ring) address (4-byte aligned). */
  readonly deviceArea: number | bigint;
}

function toU64(value: number | bigint, what: string): bigint {
  const ok =
    typeof value === 'bigint'
      ? value >= 0n && value < TWO_POW_64
      : Number.isSafeInteger(value) && value >= 0;
  if (!ok)
    throw new TransportError('BAD_ARGUMENT', `${what} ${value} is not a 64-bit guest address`);
  return BigInt(value);
}

/**
 * The driver side of the libos virtio-mmio transport: register reads are atomic loads
 * of the shared block; register writes with side effects go through the trap protocol
 * ({@link MmioDoorbell}) and are `async` because a worker device acknowledges them
 * asynchronously. Writes are serialised: at most one trap is in flight. Queue
 * notifications are posted (no acknowledgement); interrupts arrive on the interrupt
 * line and are acknowledged by clearing their InterruptStatus bits atomically
 * (the effect of an InterruptACK write, without a round trip).
 *
 * @example
 * ```ts
 * import { FeatureBit, featureMask, InlineLink, MmioDriverTransport } from '@libos/virtio';
 * const driver = new MmioDriverTransport({ memory, base: 0, link, handlers: { onUsedBuffer: drain } });
 * driver.start();
 * const { negotiatedFeatures } = await driver.initialize({
 *   supportedFeatures: featureMask(FeatureBit.VERSION_1),
 *   queues: [{ index: 0, size: 64, descriptorArea: 0x10000, driverArea: 0x10400, deviceArea: 0x10600 }],
 * });
 * driver.notify(0);
 * ```
 */
export class MmioDriverTransport {
  /** Guest memory holding the block. */
  readonly memory: GuestMemory;
  /** Guest address of the register block. */
  readonly base: number;

  readonly #link: TransportLink;
  readonly #timeoutMs: number;
  readonly #configRetries: number;
  readonly #handlers: MmioDriverHandlers;
  #tail: Promise<void> = Promise.resolve();
  #watch: LinkWatch | null = null;
  #interruptCount = 0;

  /**
   * @param options - block location, link, timeouts and interrupt callbacks
   * @throws TransportError `BAD_ARGUMENT` for a block outside guest memory or
   *   misaligned, or a non-positive timeout / retry count
   */
  constructor(options: MmioDriverOptions) {
    const { memory, base } = options;
    if (!Number.isSafeInteger(base) || base % 4 !== 0 || !memory.contains(base, MMIO_BLOCK_SIZE)) {
      throw new TransportError(
        'BAD_ARGUMENT',
        `register block at ${base} is not 4-byte aligned inside guest memory`,
      );
    }
    const timeoutMs = options.timeoutMs ?? 1000;
    const configRetries = options.configRetries ?? 64;
    if (!(timeoutMs > 0) || !Number.isInteger(configRetries) || configRetries < 1) {
      throw new TransportError('BAD_ARGUMENT', 'timeoutMs and configRetries must be positive');
    }
    this.memory = memory;
    this.base = base;
    this.#link = options.link;
    this.#timeoutMs = timeoutMs;
    this.#configRetries = configRetries;
    this.#handlers = options.handlers ?? {};
  }

  // ── registers ─────────────────────────────────────────────────────────────────────

  /**
   * Reads a 32-bit register (an atomic load of the shared block).
   *
   * @param offset - a {@link MmioRegister} offset
   * @returns the register value
   * @throws TransportError `BAD_ARGUMENT` unless `offset` is a multiple of 4 below 0x100
   * @example
   * ```ts
   * driver.readRegister(MmioRegister.QUEUE_NUM_MAX);
   * ```
   */
  readRegister(offset: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset >= R.CONFIG || offset % 4 !== 0) {
      throw new TransportError('BAD_ARGUMENT', `0x${offset.toString(16)} is not a register offset`);
    }
    return this.memory.atomicLoadU32(this.base + offset);
  }

  /**
   * Writes a 32-bit register through the trap protocol and waits for the device to
   * apply it.
   *
   * @param offset - a {@link MmioRegister} offset
   * @param value - the value (stored modulo 2^32)
   * @throws TransportError `BAD_ARGUMENT` for a bad offset; `TIMEOUT` if the device does
   *   not acknowledge within `timeoutMs`
   * @example
   * ```ts
   * await driver.writeRegister(MmioRegister.QUEUE_SEL, 1);
   * ```
   */
  writeRegister(offset: number, value: number): Promise<void> {
    if (!Number.isInteger(offset) || offset < 0 || offset >= R.CONFIG || offset % 4 !== 0) {
      return Promise.reject(
        new TransportError('BAD_ARGUMENT', `0x${offset.toString(16)} is not a register offset`),
      );
    }
    return this.#trap(offset, value, 4);
  }

  /**
   * The device status register (§2.1).
   *
   * @example
   * ```ts
   * describeDeviceStatus(driver.status);
   * ```
   */
  get status(): number {
    return this.readRegister(R.STATUS);
  }

  /**
   * Whether the device has set DEVICE_NEEDS_RESET (§2.1).
   *
   * @example
   * ```ts
   * if (driver.needsReset) await driver.reset();
   * ```
   */
  get needsReset(): boolean {
    return (this.status & DeviceStatus.DEVICE_NEEDS_RESET) !== 0;
  }

  /**
   * Number of interrupts handled so far (each may carry several causes).
   *
   * @example
   * ```ts
   * const before = driver.interruptCount;
   * ```
   */
  get interruptCount(): number {
    return this.#interruptCount;
  }

  /**
   * Throws if the device needs a reset; call before operations that assume a live device.
   *
   * @throws TransportError `DEVICE_NEEDS_RESET`
   * @example
   * ```ts
   * driver.checkDevice();
   * ```
   */
  checkDevice(): void {
    if (this.needsReset) {
      throw new TransportError(
        'DEVICE_NEEDS_RESET',
        'the device set DEVICE_NEEDS_RESET; reset and re-initialise it',
      );
    }
  }

  // ── identity, status, features ────────────────────────────────────────────────────

  /**
   * Checks MagicValue and Version, then reads DeviceID and VendorID (§4.2.3.1.1: the
   * driver MUST check MagicValue and Version first and abort on DeviceID 0).
   *
   * @param expectedDeviceId - if given, the DeviceID the caller can drive
   * @returns the device's identity
   * @throws TransportError `NOT_VIRTIO`, `UNSUPPORTED_VERSION`, `NO_DEVICE`, `WRONG_DEVICE`
   * @example
   * ```ts
   * driver.probe(DeviceType.BLOCK);
   * ```
   */
  probe(expectedDeviceId?: number): MmioDeviceIdentity {
    const magic = this.readRegister(R.MAGIC_VALUE);
    if (magic !== MMIO_MAGIC_VALUE) {
      throw new TransportError(
        'NOT_VIRTIO',
        `MagicValue 0x${magic.toString(16)} is not 0x74726976`,
      );
    }
    const version = this.readRegister(R.VERSION);
    if (version !== MMIO_VERSION) {
      throw new TransportError(
        'UNSUPPORTED_VERSION',
        `virtio-mmio version ${version} (only 2 is supported)`,
      );
    }
    const deviceId = this.readRegister(R.DEVICE_ID);
    if (deviceId === 0) throw new TransportError('NO_DEVICE', 'DeviceID 0: no device here');
    if (expectedDeviceId !== undefined && deviceId !== expectedDeviceId) {
      throw new TransportError(
        'WRONG_DEVICE',
        `DeviceID ${deviceId}, expected ${expectedDeviceId}`,
      );
    }
    return { deviceId, vendorId: this.readRegister(R.VENDOR_ID) };
  }

  /**
   * Resets the device (§2.4: write 0 to Status) and checks that Status reads 0 before
   * anything else happens (§2.4.2).
   *
   * @throws TransportError `TIMEOUT` if the device does not acknowledge or does not reset
   * @example
   * ```ts
   * await driver.reset();
   * ```
   */
  async reset(): Promise<void> {
    await this.writeRegister(R.STATUS, 0);
    const status = this.status;
    if (status !== 0)
      throw new TransportError('TIMEOUT', `Status still reads ${status} after reset`);
  }

  /**
   * Sets status bits, keeping the ones already set (§2.1.2: the driver never clears bits).
   *
   * @param bits - {@link DeviceStatus} bits to add
   * @returns the status register as read back after the device applied the write
   * @example
   * ```ts
   * await driver.addStatus(DeviceStatus.ACKNOWLEDGE);
   * ```
   */
  async addStatus(bits: number): Promise<number> {
    await this.writeRegister(R.STATUS, this.status | bits);
    return this.status;
  }

  /**
   * Reads both 32-bit words of the device's features (§4.2.2 DeviceFeaturesSel 0 and 1).
   *
   * @returns the offered 64-bit feature set
   * @example
   * ```ts
   * const offered = await driver.readDeviceFeatures();
   * ```
   */
  async readDeviceFeatures(): Promise<bigint> {
    await this.writeRegister(R.DEVICE_FEATURES_SEL, 0);
    const low = this.readRegister(R.DEVICE_FEATURES);
    await this.writeRegister(R.DEVICE_FEATURES_SEL, 1);
    const high = this.readRegister(R.DEVICE_FEATURES);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /**
   * Writes both 32-bit words of the driver's accepted features (§4.2.2
   * DriverFeaturesSel 0 and 1).
   *
   * @param features - the accepted 64-bit set
   * @throws TransportError `BAD_ARGUMENT` if `features` is not a 64-bit set
   * @example
   * ```ts
   * await driver.writeDriverFeatures(negotiateFeatures(offered, supported));
   * ```
   */
  async writeDriverFeatures(features: bigint): Promise<void> {
    if (features < 0n || features >= TWO_POW_64) {
      throw new TransportError('BAD_ARGUMENT', 'driver features are not a 64-bit set');
    }
    await this.writeRegister(R.DRIVER_FEATURES_SEL, 0);
    await this.writeRegister(R.DRIVER_FEATURES, Number(features & 0xffff_ffffn));
    await this.writeRegister(R.DRIVER_FEATURES_SEL, 1);
    await this.writeRegister(R.DRIVER_FEATURES, Number(features >> 32n));
  }

  /**
   * Configures and enables one virtqueue, following §4.2.3.2.
   *
   * @param setup - queue index, size and ring addresses
   * @throws TransportError `QUEUE_IN_USE`, `QUEUE_UNAVAILABLE`, `BAD_QUEUE_SIZE`,
   *   `QUEUE_TOO_LARGE`, `QUEUE_REJECTED`, `DEVICE_NEEDS_RESET`, `BAD_ARGUMENT`, `TIMEOUT`
   * @example
   * ```ts
   * await driver.setupQueue({ index: 0, size: 64, descriptorArea: 0x10000, driverArea: 0x10400, deviceArea: 0x10600 });
   * ```
   */
  async setupQueue(setup: MmioQueueSetup): Promise<void> {
    const { index, size } = setup;
    if (!Number.isInteger(index) || index < 0 || index > 0xffff_ffff) {
      throw new TransportError('BAD_ARGUMENT', `queue index ${index} is not a u32`);
    }
    const areas = [
      [R.QUEUE_DESC_LOW, toU64(setup.descriptorArea, 'descriptor area')],
      [R.QUEUE_DRIVER_LOW, toU64(setup.driverArea, 'driver area')],
      [R.QUEUE_DEVICE_LOW, toU64(setup.deviceArea, 'device area')],
    ] as const;
    this.checkDevice();
    await this.writeRegister(R.QUEUE_SEL, index); // step 1
    // step 2: the queue must not be in use already
    if (this.readRegister(R.QUEUE_READY) !== 0) {
      throw new TransportError('QUEUE_IN_USE', `queue ${index} is already ready`);
    }
    const max = this.readRegister(R.QUEUE_NUM_MAX); // step 3
    if (max === 0) throw new TransportError('QUEUE_UNAVAILABLE', `queue ${index} is not available`);
    // §2.7: split queue sizes are powers of two up to 32768
    if (
      !Number.isInteger(size) ||
      size <= 0 ||
      (size & (size - 1)) !== 0 ||
      size > MAX_SPLIT_QUEUE_SIZE
    ) {
      throw new TransportError(
        'BAD_QUEUE_SIZE',
        `queue size ${size} is not a power of two up to ${MAX_SPLIT_QUEUE_SIZE}`,
      );
    }
    // §4.2.2.2: QueueNum MUST NOT exceed QueueNumMax
    if (size > max)
      throw new TransportError(
        'QUEUE_TOO_LARGE',
        `queue ${index}: size ${size} > QueueNumMax ${max}`,
      );
    await this.writeRegister(R.QUEUE_NUM, size); // step 5
    for (const [low, address] of areas) {
      // step 6: Queue{Desc,Driver,Device}{Low,High}
      await this.writeRegister(low, Number(address & 0xffff_ffffn));
      await this.writeRegister(low + 4, Number(address >> 32n));
    }
    await this.writeRegister(R.QUEUE_READY, 1); // step 7
    if (this.readRegister(R.QUEUE_READY) !== 1) {
      this.checkDevice();
      throw new TransportError(
        'QUEUE_REJECTED',
        `the device refused queue ${index}'s configuration`,
      );
    }
  }

  /**
   * Runs the whole §3.1.1 initialisation; see {@link initializeDevice}.
   *
   * @param options - expected device, supported features, queues
   * @returns the device identity and the negotiated features
   * @example
   * ```ts
   * await driver.initialize({ supportedFeatures: featureMask(FeatureBit.VERSION_1), queues: [] });
   * ```
   */
  initialize(options: MmioInitOptions): Promise<MmioInitResult> {
    return initializeDevice(this, options);
  }

  // ── configuration space ───────────────────────────────────────────────────────────

  /**
   * Reads `length` bytes of configuration space consistently (§2.5.1 / §4.2.2): reads
   * ConfigGeneration, the bytes, then ConfigGeneration again, and retries until both
   * agree. An odd generation means the device is mid-update (libos devices write config
   * as a seqlock) and also causes a retry.
   *
   * @param offset - byte offset in configuration space
   * @param length - number of bytes
   * @returns a copy of the bytes
   * @throws TransportError `CONFIG_UNSTABLE` after `configRetries` attempts,
   *   `DEVICE_NEEDS_RESET`, `BAD_ARGUMENT` for a range beyond the config area
   * @example
   * ```ts
   * const mac = driver.readConfig(0, 6);
   * ```
   */
  readConfig(offset: number, length: number): Uint8Array {
    if (
      !Number.isInteger(offset) ||
      !Number.isInteger(length) ||
      offset < 0 ||
      length < 0 ||
      length > MMIO_CONFIG_CAPACITY - offset
    ) {
      throw new TransportError(
        'BAD_ARGUMENT',
        `config range ${offset}+${length} is outside the config area`,
      );
    }
    this.checkDevice();
    const out = new Uint8Array(length);
    const generation = this.base + R.CONFIG_GENERATION;
    for (let attempt = 0; attempt < this.#configRetries; attempt++) {
      const before = this.memory.atomicLoadU32(generation);
      if ((before & 1) !== 0) continue;
      this.memory.read(this.base + R.CONFIG + offset, out);
      if (this.memory.atomicLoadU32(generation) === before) return out;
    }
    throw new TransportError(
      'CONFIG_UNSTABLE',
      `ConfigGeneration changed over ${this.#configRetries} reads`,
    );
  }

  /**
   * Writes 1, 2 or 4 bytes of configuration space through the trap protocol.
   *
   * @param offset - byte offset in configuration space, a multiple of `width`
   * @param width - access width in bytes
   * @param value - the value, little-endian
   * @throws TransportError `BAD_ARGUMENT`, `DEVICE_NEEDS_RESET`, `TIMEOUT`
   * @example
   * ```ts
   * await driver.writeConfig(8, 1, 1); // e.g. virtio-blk writeback
   * ```
   */
  async writeConfig(offset: number, width: 1 | 2 | 4, value: number): Promise<void> {
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      offset % width !== 0 ||
      offset + width > MMIO_CONFIG_CAPACITY
    ) {
      throw new TransportError('BAD_ARGUMENT', `config write at ${offset} of ${width} bytes`);
    }
    this.checkDevice();
    await this.#trap(R.CONFIG + offset, value, width);
  }

  // ── notifications and interrupts ──────────────────────────────────────────────────

  /**
   * Notifies the device that queue `queue` has new buffers (§4.2.2 QueueNotify), as a
   * posted doorbell: bump the queue's counter and the notify sequence word, ring it.
   * Never waits.
   *
   * @param queue - queue index
   * @throws TransportError `BAD_ARGUMENT` for an index of {@link MMIO_MAX_QUEUES} or more
   * @example
   * ```ts
   * driver.notify(0);
   * ```
   */
  notify(queue: number): void {
    if (!Number.isInteger(queue) || queue < 0 || queue >= MMIO_MAX_QUEUES) {
      throw new TransportError('BAD_ARGUMENT', `queue ${queue} has no doorbell`);
    }
    this.memory.atomicAddU32(this.base + MmioDoorbell.NOTIFY_COUNTS + 4 * queue, 1);
    this.memory.atomicAddU32(this.base + MmioDoorbell.NOTIFY_SEQ, 1);
    this.#link.ring(this.base + MmioDoorbell.NOTIFY_SEQ);
  }

  /**
   * Starts listening on the interrupt line; each interrupt runs
   * {@link MmioDriverTransport.handleInterrupt}.
   *
   * @example
   * ```ts
   * driver.start();
   * ```
   */
  start(): void {
    if (this.#watch !== null) return;
    this.#watch = this.#link.watch(this.base + MmioDoorbell.INTERRUPT_SEQ, () => {
      this.handleInterrupt();
    });
  }

  /**
   * Stops listening on the interrupt line.
   *
   * @example
   * ```ts
   * driver.stop();
   * ```
   */
  stop(): void {
    this.#watch?.stop();
    this.#watch = null;
  }

  /**
   * Handles pending interrupt causes: reads InterruptStatus (ignoring undefined bits,
   * §4.2.2.2), acknowledges them by clearing those bits atomically, then reports
   * DEVICE_NEEDS_RESET / a configuration change / used buffers to the callbacks.
   *
   * @returns the {@link MmioInterrupt} bits handled (0 if none were pending)
   * @example
   * ```ts
   * const causes = driver.handleInterrupt();
   * ```
   */
  handleInterrupt(): number {
    const statusAddr = this.base + R.INTERRUPT_STATUS;
    const bits =
      this.memory.atomicLoadU32(statusAddr) &
      (MmioInterrupt.USED_BUFFER | MmioInterrupt.CONFIG_CHANGE);
    if (bits === 0) return 0;
    atomicClearU32(this.memory, statusAddr, bits);
    this.#interruptCount++;
    const { onConfigChange, onNeedsReset, onUsedBuffer } = this.#handlers;
    if ((bits & MmioInterrupt.CONFIG_CHANGE) !== 0) {
      if (this.needsReset) onNeedsReset?.();
      else onConfigChange?.();
    }
    if ((bits & MmioInterrupt.USED_BUFFER) !== 0) onUsedBuffer?.();
    return bits;
  }

  // ── the trap protocol, driver side ────────────────────────────────────────────────

  /** Queues a trapped write behind any in flight (one mailbox, one trap at a time). */
  #trap(offset: number, value: number, width: number): Promise<void> {
    const run = this.#tail.then(() => this.#postTrap(offset, value, width));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #postTrap(offset: number, value: number, width: number): Promise<void> {
    const at = (o: number): number => this.base + o;
    const request = at(MmioDoorbell.TRAP_REQUEST);
    const ack = at(MmioDoorbell.TRAP_ACK);
    const seq = (this.memory.atomicLoadU32(request) + 1) >>> 0;
    this.memory.atomicStoreU32(at(MmioDoorbell.TRAP_OFFSET), offset);
    this.memory.atomicStoreU32(at(MmioDoorbell.TRAP_VALUE), value >>> 0);
    this.memory.atomicStoreU32(at(MmioDoorbell.TRAP_WIDTH), width);
    this.memory.atomicStoreU32(request, seq);
    this.#link.ring(request);
    for (let waits = 0; waits < MAX_ACK_WAITS; waits++) {
      const seen = this.memory.atomicLoadU32(ack);
      if (seen === seq) return;
      const outcome = await this.#link.waitForChange(ack, seen, this.#timeoutMs);
      if (outcome === 'timed-out') break;
    }
    if (this.memory.atomicLoadU32(ack) === seq) return;
    throw new TransportError(
      'TIMEOUT',
      `the device did not acknowledge the write of 0x${(value >>> 0).toString(16)} to 0x${offset.toString(16)}`,
    );
  }
}
