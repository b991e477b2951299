import type { DmaAllocator, GuestMemory } from '@libos/mem';
import { FeatureBit, featureMask, hasFeature, negotiateFeatures } from '../feature-bits.js';
import { dropUnmetFeatures, type FeatureDependency } from '../feature-dependencies.js';
import { allocateSplitQueue, freeSplitQueue } from '../queue/queue-memory.js';
import { SplitQueueDriver } from '../queue/split-queue-driver.js';
import type { SplitQueueAddresses } from '../queue/split-queue-options.js';
import type { VirtqueueError } from '../queue/virtqueue-error.js';
import { initializeDevice } from '../transport/driver-init.js';
import { MmioDriverTransport } from '../transport/driver-transport.js';
import { TransportError } from '../transport/transport-error.js';
import type { TransportLink } from '../transport/transport-link.js';

/**
 * What a driver asks for when it opens a device; see {@link DriverCore.open}.
 *
 * @example
 * ```ts
 * import { DeviceType, type DriverCoreOptions } from '@libos/virtio';
 * const options: Omit<DriverCoreOptions, 'memory' | 'dma' | 'base' | 'link'> = {
 *   deviceId: DeviceType.ENTROPY,
 *   features: 0n,
 *   queueSizes: [64],
 * };
 * ```
 */
export interface DriverCoreOptions {
  /** Guest memory shared with the device. */
  readonly memory: GuestMemory;
  /** Where queue rings and indirect tables are allocated. */
  readonly dma: DmaAllocator;
  /** Guest address of the device's 4 KiB register block. */
  readonly base: number;
  /** Doorbells between the two sides (inline or Atomics). */
  readonly link: TransportLink;
  /** The device ID the driver expects (§5); anything else fails with WRONG_DEVICE. */
  readonly deviceId: number;
  /** Device-specific features the driver supports (VERSION_1, EVENT_IDX, INDIRECT_DESC are added). */
  readonly features: bigint;
  /**
   * Prerequisites among the device-specific features (e.g. virtio-net HOST_TSO4 needs
   * CSUM, §5.1.3.1): after intersecting with the offer, a feature whose prerequisites
   * are not all there is not accepted (see {@link dropUnmetFeatures}). Default none.
   */
  readonly featureDependencies?: readonly FeatureDependency[];
  /** Size of each queue to set up (power of two, at most the device's QUEUE_NUM_MAX). */
  readonly queueSizes: readonly number[];
  /** Use VIRTIO_F_EVENT_IDX when offered (default true). */
  readonly eventIdx?: boolean;
  /** Use VIRTIO_F_INDIRECT_DESC when offered (default true). */
  readonly indirect?: boolean;
  /** Called when the device reported used buffers (an interrupt). */
  readonly onUsedBuffers?: () => void;
  /** Called when the device configuration changed. */
  readonly onConfigChange?: () => void;
  /** Called once when the driver stops being usable (device needs reset, queue failure). */
  readonly onFailure?: (error: Error) => void;
  /** Milliseconds to wait for the device to acknowledge a register write (default 1000). */
  readonly timeoutMs?: number;
}

/**
 * The part every driver shares: probe and initialise the device through an
 * {@link MmioDriverTransport} (§3.1.1), allocate and set up its split queues, negotiate
 * EVENT_IDX and INDIRECT_DESC, ring the doorbell only when the device wants it
 * (§2.7.10), and turn DEVICE_NEEDS_RESET or a hostile used ring into one failure.
 * Device drivers (net, blk, rng, console) build on it.
 *
 * @example
 * ```ts
 * import { DeviceType, DriverCore } from '@libos/virtio';
 * const core = await DriverCore.open({ memory, dma, base: 0x1000, link,
 *   deviceId: DeviceType.ENTROPY, features: 0n, queueSizes: [64] });
 * const q = core.queue(0);
 * q.addBuffer(addr, 64, true, 1);
 * core.kick(0);
 * ```
 */
export class DriverCore {
  /** The driver side of the transport. */
  readonly transport: MmioDriverTransport;
  /** Features both sides agreed on. */
  readonly negotiatedFeatures: bigint;
  readonly #queues: SplitQueueDriver<number>[];
  readonly #addresses: SplitQueueAddresses[];
  readonly #dma: DmaAllocator;
  readonly #onFailure: ((error: Error) => void) | undefined;
  #failure: Error | null = null;

  private constructor(
    transport: MmioDriverTransport,
    negotiated: bigint,
    queues: SplitQueueDriver<number>[],
    addresses: SplitQueueAddresses[],
    dma: DmaAllocator,
    onFailure: ((error: Error) => void) | undefined,
  ) {
    this.transport = transport;
    this.negotiatedFeatures = negotiated;
    this.#queues = queues;
    this.#addresses = addresses;
    this.#dma = dma;
    this.#onFailure = onFailure;
  }

  /**
   * Opens the device: probe, reset, negotiate, set up every queue, DRIVER_OK.
   *
   * @throws {@link TransportError} when the device is absent, of the wrong type, refuses
   *   the features or a queue, or (`BAD_ARGUMENT`) when the rings cannot be allocated.
   */
  static async open(options: DriverCoreOptions): Promise<DriverCore> {
    const sizes = options.queueSizes;
    const addresses: SplitQueueAddresses[] = [];
    const release = (): void => {
      for (const a of addresses) freeSplitQueue(options.dma, a);
    };
    for (const size of sizes) {
      const a = allocateSplitQueue(options.dma, size);
      if (a === null) {
        release();
        throw new TransportError('BAD_ARGUMENT', `no DMA memory for a queue of ${size}`);
      }
      addresses.push(a);
    }
    let core: DriverCore | null = null;
    const transport = new MmioDriverTransport({
      memory: options.memory,
      base: options.base,
      link: options.link,
      timeoutMs: options.timeoutMs ?? 1000,
      handlers: {
        onUsedBuffer: () => options.onUsedBuffers?.(),
        onConfigChange: () => options.onConfigChange?.(),
        onNeedsReset: () =>
          core?.fail(new TransportError('DEVICE_NEEDS_RESET', 'the device needs a reset')),
      },
    });
    const core64 = featureMask(FeatureBit.VERSION_1);
    const optional =
      (options.eventIdx === false ? 0n : featureMask(FeatureBit.EVENT_IDX)) |
      (options.indirect === false ? 0n : featureMask(FeatureBit.INDIRECT_DESC));
    const dependencies = options.featureDependencies ?? [];
    let result: Awaited<ReturnType<typeof initializeDevice>>;
    transport.start();
    try {
      result = await initializeDevice(transport, {
        expectedDeviceId: options.deviceId,
        supportedFeatures: options.features | core64 | optional,
        // §2.2.1: never accept a feature whose prerequisite was not accepted.
        selectFeatures: (offered, supported) =>
          dropUnmetFeatures(negotiateFeatures(offered, supported), dependencies),
        queues: sizes.map((size, index) => ({
          index,
          size,
          descriptorArea: addresses[index]!.desc,
          driverArea: addresses[index]!.avail,
          deviceArea: addresses[index]!.used,
        })),
      });
    } catch (e) {
      transport.stop();
      release();
      throw e;
    }
    const negotiated = result.negotiatedFeatures;
    const queues = sizes.map(
      (size, index) =>
        new SplitQueueDriver<number>(options.memory, size, addresses[index]!, {
          eventIdx: hasFeature(negotiated, FeatureBit.EVENT_IDX),
          indirect: hasFeature(negotiated, FeatureBit.INDIRECT_DESC),
          indirectAllocator: options.dma,
          onError: (e: VirtqueueError) => core?.fail(e),
        }),
    );
    core = new DriverCore(transport, negotiated, queues, addresses, options.dma, options.onFailure);
    return core;
  }

  /** Queue `index` (driver side). */
  queue(index: number): SplitQueueDriver<number> {
    const q = this.#queues[index];
    if (!q) throw new TransportError('BAD_ARGUMENT', `no queue ${index}`);
    return q;
  }

  /** The first failure (device needs reset, hostile used ring), or null while healthy. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Whether `feature` was negotiated. */
  has(feature: number): boolean {
    return hasFeature(this.negotiatedFeatures, feature);
  }

  /** Publishes queue `index`'s new chains and notifies the device if it wants to be. */
  kick(index: number): void {
    const q = this.queue(index);
    q.publish();
    if (q.kickNeeded()) this.transport.notify(index);
  }

  /** Handles a pending interrupt, if any (inline links deliver them by themselves). */
  poll(): void {
    this.transport.handleInterrupt();
  }

  /** Records the first failure and tells the owner. */
  fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#onFailure?.(error);
  }

  /** Stops the device (status 0) and frees the rings. The driver is unusable after. */
  async close(): Promise<void> {
    this.transport.stop();
    try {
      await this.transport.reset();
    } finally {
      for (const a of this.#addresses) freeSplitQueue(this.#dma, a);
      this.#addresses.length = 0;
    }
  }
}
