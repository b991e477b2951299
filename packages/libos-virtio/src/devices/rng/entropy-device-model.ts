import type { EntropySource } from '@libos/sched';
import { DeviceModelCore, type DeviceModelPlacement } from '../../core/device-model-core.js';
import { DeviceType } from '../../device-type.js';
import { DescriptorChain } from '../../queue/descriptor-chain.js';
import type { SplitQueueDevice } from '../../queue/split-queue-device.js';
import { ENTROPY_REQUEST_QUEUE } from './entropy-constants.js';

/**
 * Options of an {@link EntropyDeviceModel}.
 *
 * @example
 * ```ts
 * import type { EntropyDeviceModelOptions } from '@libos/virtio';
 * const options: EntropyDeviceModelOptions = { queueMaxSize: 64, maxBytesPerRequest: 4096 };
 * ```
 */
export interface EntropyDeviceModelOptions {
  /** QueueNumMax of the requestq (power of two ≤ 32768; default 256). */
  readonly queueMaxSize?: number;
  /**
   * At most this many bytes are written per request (default 65536). The device may use
   * less than the whole buffer (§5.4.6.2); this bounds the work one chain can ask for.
   */
  readonly maxBytesPerRequest?: number;
}

/**
 * Counters of an {@link EntropyDeviceModel} since construction.
 *
 * @example
 * ```ts
 * const { requests, bytes } = device.stats();
 * ```
 */
export interface EntropyDeviceStats {
  /** Requests (chains) answered. */
  readonly requests: number;
  /** Entropy bytes written into guest buffers. */
  readonly bytes: number;
}

/**
 * The device ("hypervisor") side of a virtio entropy device (virtio 1.2 §5.4): one
 * `requestq` whose device-writable chains it fills from an `EntropySource` (@libos/sched)
 * backend (host `crypto.getRandomValues`, or `SeededEntropy` in tests).
 *
 * - Each chain gets `min(writableLength, maxBytesPerRequest)` fresh bytes, drawn from
 *   the backend in one `fill` call, and is returned with that length (§5.4.6.2: the
 *   device may use less than the whole buffer).
 * - **Hostile driver:** a chain with a device-readable descriptor breaks §5.4.6.1; it
 *   is a `BAD_REQUEST` violation: the queue stops, the device sets DEVICE_NEEDS_RESET,
 *   nothing is written and nothing throws. Descriptor-level attacks (loops, bounds,
 *   indirect tables) are caught by {@link SplitQueueDevice} the same way.
 * - **Backend failure:** a backend that throws is the device's own fault, not the
 *   driver's: the device marks itself DEVICE_NEEDS_RESET (§2.1.2) and stops serving.
 *   A chain of zero writable bytes is returned with length 0.
 *
 * The constructor takes `(placement, backend, options)` and touches nothing else, so
 * the model can equally be built inside a worker thread on shared guest memory.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { SeededEntropy } from '@libos/sched';
 * import { EntropyDeviceModel, InlineLink } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const link = new InlineLink(memory);
 * const device = new EntropyDeviceModel({ memory, base: 0x1000, link }, new SeededEntropy(42));
 * device.start();
 * ```
 */
export class EntropyDeviceModel {
  /** The shared device machinery: transport, queues, violation handling. */
  readonly core: DeviceModelCore;
  /** Largest number of bytes written for one request. */
  readonly maxBytesPerRequest: number;

  readonly #backend: EntropySource;
  readonly #scratch: Uint8Array;
  #chain: DescriptorChain | null = null;
  #failed = false;
  #requests = 0;
  #bytes = 0;

  /**
   * @param placement - guest memory, register block address and link
   * @param backend - where the random bytes come from
   * @param options - queue size and per-request cap
   * @throws RangeError for a `maxBytesPerRequest` that is not a positive safe integer
   */
  constructor(
    placement: DeviceModelPlacement,
    backend: EntropySource,
    options: EntropyDeviceModelOptions = {},
  ) {
    const cap = options.maxBytesPerRequest ?? 65536;
    if (!(Number.isSafeInteger(cap) && cap > 0)) {
      throw new RangeError(`maxBytesPerRequest must be a positive integer, not ${cap}`);
    }
    this.maxBytesPerRequest = cap;
    this.#backend = backend;
    this.#scratch = new Uint8Array(cap);
    this.core = new DeviceModelCore(placement, {
      deviceId: DeviceType.ENTROPY, // virtio 1.2 §5.4.1
      features: 0n, // §5.4.3: no device-specific feature bits
      queueMaxSizes: [options.queueMaxSize ?? 256], // §5.4.2: requestq only
      config: new Uint8Array(0), // §5.4.4: no configuration space
      serve: (index, queue) => (index === ENTROPY_REQUEST_QUEUE ? this.#serve(queue) : true),
      onReset: () => {
        this.#failed = false;
      },
    });
  }

  /** Starts watching the doorbells. */
  start(): void {
    this.core.start();
  }

  /** Stops watching the doorbells. */
  stop(): void {
    this.core.stop();
  }

  /**
   * Counters since construction.
   *
   * @returns a fresh snapshot
   * @example
   * ```ts
   * console.log(device.stats().bytes);
   * ```
   */
  stats(): EntropyDeviceStats {
    return { requests: this.#requests, bytes: this.#bytes };
  }

  #serve(queue: SplitQueueDevice): boolean {
    if (this.#failed) return false;
    this.#chain ??= new DescriptorChain(queue.memory);
    const chain = this.#chain;
    while (queue.popAvailable(chain) !== null) {
      // virtio 1.2 §5.4.6.1: the driver MUST NOT place driver-readable buffers here.
      if (chain.readableCount > 0) {
        queue.reportViolation(
          'BAD_REQUEST',
          `entropy request ${chain.head} has ${chain.readableCount} device-readable descriptor(s) (§5.4.6.1)`,
        );
        return true;
      }
      const n = Math.min(chain.writableLength, this.maxBytesPerRequest);
      const bytes = this.#scratch.subarray(0, n);
      if (n > 0) {
        try {
          this.#backend.fill(bytes);
        } catch (error) {
          // The device's own failure (§2.1.2), not the driver's: stop and ask for a reset.
          this.#failed = true;
          this.core.transport.markNeedsReset(`entropy backend failed: ${String(error)}`);
          return false;
        }
        if (!chain.writeWritable(bytes)) return true; // reported as a violation
        bytes.fill(0); // the scratch copy must not outlive the request
      }
      // §5.4.6.2: one or more random bytes; the length tells the driver how many.
      queue.pushUsed(chain, n);
      this.#requests++;
      this.#bytes += n;
    }
    return true;
  }
}
