import type { GuestMemory } from '@libos/mem';
import type { TransportLink } from './transport-link.js';

/**
 * Callbacks through which {@link MmioDriverTransport} reports interrupts (§4.2.2
 * InterruptStatus). They run in the interrupt path and must not throw.
 *
 * @example
 * ```ts
 * import type { MmioDriverHandlers } from '@libos/virtio';
 * const handlers: MmioDriverHandlers = {
 *   onUsedBuffer: () => queue.drainUsed(),
 *   onNeedsReset: () => scheduleReinit(),
 * };
 * ```
 */
export interface MmioDriverHandlers {
  /** The device used buffers in at least one queue (InterruptStatus bit 0). */
  readonly onUsedBuffer?: () => void;
  /** The configuration space changed (InterruptStatus bit 1, DEVICE_NEEDS_RESET clear). */
  readonly onConfigChange?: () => void;
  /**
   * The device set DEVICE_NEEDS_RESET (§2.1.2: signalled by a configuration change
   * interrupt once DRIVER_OK is set). Reset and re-initialise to recover.
   */
  readonly onNeedsReset?: () => void;
}

/**
 * Where the driver finds its device and how patient it is.
 *
 * @example
 * ```ts
 * import { InlineLink, type MmioDriverOptions } from '@libos/virtio';
 * const options: MmioDriverOptions = { memory, base: 0x1000, link: new InlineLink(memory), timeoutMs: 500 };
 * ```
 */
export interface MmioDriverOptions {
  /** Guest memory holding the device's register block. */
  readonly memory: GuestMemory;
  /** Guest address of the register block. */
  readonly base: number;
  /** How the driver side rings doorbells and waits for acknowledgements. */
  readonly link: TransportLink;
  /** Longest wait for the device to acknowledge one register write (default 1000 ms). */
  readonly timeoutMs?: number;
  /** Config space reads attempted before giving up with `CONFIG_UNSTABLE` (default 64). */
  readonly configRetries?: number;
  /** Interrupt callbacks. */
  readonly handlers?: MmioDriverHandlers;
}
