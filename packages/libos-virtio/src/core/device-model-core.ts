import type { GuestMemory } from '@libos/mem';
import { FeatureBit, hasFeature } from '../feature-bits.js';
import { SplitQueueDevice } from '../queue/split-queue-device.js';
import { MmioDeviceTransport } from '../transport/device-transport.js';
import type { TransportLink } from '../transport/transport-link.js';

/**
 * What a device model declares and how it serves its queues; see {@link DeviceModelCore}.
 *
 * @example
 * ```ts
 * import type { DeviceModelSpec } from '@libos/virtio';
 * const spec: DeviceModelSpec = {
 *   deviceId: 4, // entropy
 *   features: 0n, // VERSION_1, EVENT_IDX and INDIRECT_DESC are added by the core
 *   queueMaxSizes: [256],
 *   config: new Uint8Array(0),
 *   serve: (queueIndex, queue) => true, // pop chains, push used
 * };
 * ```
 */
export interface DeviceModelSpec {
  /** Virtio device ID (§5), e.g. `DeviceType.NET`. */
  readonly deviceId: number;
  /**
   * Device-specific feature bits offered. VERSION_1, EVENT_IDX and INDIRECT_DESC are
   * always offered in addition (the core implements them).
   */
  readonly features: bigint;
  /** Maximum size of each queue (power of two ≤ 32768), by queue index. */
  readonly queueMaxSizes: readonly number[];
  /** Initial device configuration space (§4.2.2 offset 0x100). */
  readonly config: Uint8Array;
  /**
   * Called when the driver notifies queue `queueIndex` (and after DRIVER_OK): pop and
   * serve available chains. Return `false` when chains were deliberately left available
   * (e.g. receive buffers waiting for frames); otherwise the core re-enables
   * notifications and calls again while chains raced in (§2.7.10). Used entries pushed
   * here are published, and an interrupt raised if the driver wants one, afterwards.
   */
  readonly serve: (queueIndex: number, queue: SplitQueueDevice) => boolean | undefined;
  /** Called when the driver resets the device (status 0); drop in-flight work. */
  readonly onReset?: () => void;
  /** Called once the driver has set DRIVER_OK. */
  readonly onDriverOk?: () => void;
  /**
   * Handles a driver write to configuration space (offset relative to 0x100); return
   * `true` to accept it. Without it every config write is refused (§4.2.2: writes to
   * read-only config fields are undefined, so libos refuses them).
   */
  readonly onConfigWrite?: (offset: number, width: 1 | 2 | 4, value: number) => boolean;
}

/**
 * Where a device model's register block lives and how its doorbells are rung.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { type DeviceModelPlacement, InlineLink } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const placement: DeviceModelPlacement = { memory, base: 0x1000, link: new InlineLink(memory) };
 * ```
 */
export interface DeviceModelPlacement {
  /** Guest memory shared with the driver. */
  readonly memory: GuestMemory;
  /** Guest address of the 4 KiB register block. */
  readonly base: number;
  /** Doorbells between the two sides (inline or Atomics). */
  readonly link: TransportLink;
}

/** Bound on serve → re-arm → serve rounds per notification, so a busy driver cannot starve others. */
const MAX_SERVE_ROUNDS = 64;

/** Features every libos device offers on top of its own (§6). */
const CORE_FEATURES =
  (1n << BigInt(FeatureBit.VERSION_1)) |
  (1n << BigInt(FeatureBit.EVENT_IDX)) |
  (1n << BigInt(FeatureBit.INDIRECT_DESC));

/**
 * The part every device model shares: an {@link MmioDeviceTransport}, one
 * {@link SplitQueueDevice} per ready queue (with the negotiated EVENT_IDX / indirect
 * features), and the glue between them:
 * - a queue violation (hostile descriptors) stops the queue, sets DEVICE_NEEDS_RESET
 *   and raises a configuration-change interrupt (§2.1.2) — it never throws;
 * - after `serve` returns, used entries are published and the driver interrupted only
 *   when it asked for it (§2.7.10);
 * - a reset drops every queue.
 * A device model (net, blk, rng, console) supplies only its {@link DeviceModelSpec}.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { DeviceModelCore, DeviceType, InlineLink } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const core = new DeviceModelCore({ memory, base: 0x1000, link: new InlineLink(memory) }, {
 *   deviceId: DeviceType.ENTROPY, features: 0n, queueMaxSizes: [64], config: new Uint8Array(0),
 *   serve: (_q, queue) => {
 *     for (let c = queue.popAvailable(); c !== null; c = queue.popAvailable()) {
 *       queue.pushUsed(c, 0);
 *     }
 *     return true;
 *   },
 * });
 * core.start();
 * ```
 */
export class DeviceModelCore {
  /** The device side of the transport. */
  readonly transport: MmioDeviceTransport;
  readonly #spec: DeviceModelSpec;
  readonly #memory: GuestMemory;
  readonly #queues: (SplitQueueDevice | null)[];

  /**
   * @param placement Memory, register block address and link.
   * @param spec What the device is and how it serves queues.
   */
  constructor(placement: DeviceModelPlacement, spec: DeviceModelSpec) {
    this.#spec = spec;
    this.#memory = placement.memory;
    this.#queues = spec.queueMaxSizes.map(() => null);
    this.transport = new MmioDeviceTransport({
      memory: placement.memory,
      base: placement.base,
      link: placement.link,
      deviceId: spec.deviceId,
      features: spec.features | CORE_FEATURES,
      queueMaxSizes: spec.queueMaxSizes,
      config: spec.config,
      handlers: {
        onReset: () => this.#reset(),
        onQueueReady: (q) => this.#queueReady(q.index),
        onQueueDisabled: (index) => {
          this.#queues[index] = null;
        },
        onDriverOk: () => {
          spec.onDriverOk?.();
          for (let i = 0; i < this.#queues.length; i++) this.serveQueue(i);
        },
        onNotify: (q) => this.serveQueue(q),
        ...(spec.onConfigWrite ? { onConfigWrite: spec.onConfigWrite } : {}),
      },
    });
  }

  /** Starts watching the doorbells. */
  start(): void {
    this.transport.start();
  }

  /** Stops watching the doorbells. */
  stop(): void {
    this.transport.stop();
  }

  /** The device side of queue `index`, or null while it is not ready. */
  queue(index: number): SplitQueueDevice | null {
    return this.#queues[index] ?? null;
  }

  /**
   * Serves queue `index` now (also used by device models whose backend produced work,
   * e.g. a received frame), then publishes used entries and interrupts if wanted.
   * Does nothing before DRIVER_OK or on a broken queue.
   */
  serveQueue(index: number): void {
    const queue = this.#queues[index];
    if (!queue || queue.broken || !this.transport.driverOk) return;
    try {
      queue.disableNotifications();
      for (let round = 0; round < MAX_SERVE_ROUNDS; round++) {
        const drained = this.#spec.serve(index, queue) !== false;
        // Re-arm before sleeping, then re-check: closes the race with a driver that
        // published while we served (§2.7.10).
        if (queue.broken || !queue.enableNotifications() || !drained) break;
      }
    } catch (e) {
      queue.reportViolation('BAD_REQUEST', `device model failed: ${String(e)}`);
      return;
    }
    this.completeQueue(index);
  }

  /** Publishes queue `index`'s used entries and interrupts the driver if it asked to be. */
  completeQueue(index: number): void {
    const queue = this.#queues[index];
    if (!queue || queue.broken) return;
    queue.publishUsed();
    if (queue.shouldInterrupt()) this.transport.signalUsedBuffers();
  }

  #queueReady(index: number): void {
    const addresses = this.transport.ringAddresses(index);
    const features = this.transport.negotiatedFeatures ?? 0n;
    const config = this.transport.queue(index);
    if (addresses === null) return;
    this.#queues[index] = new SplitQueueDevice(this.#memory, config.size, addresses, {
      eventIdx: hasFeature(features, FeatureBit.EVENT_IDX),
      indirect: hasFeature(features, FeatureBit.INDIRECT_DESC),
      onViolation: (v) => this.transport.reportQueueViolation(index, v),
    });
  }

  #reset(): void {
    this.#queues.fill(null);
    this.#spec.onReset?.();
  }
}
