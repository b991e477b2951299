/**
 * A device wrapper that reports every frame to a callback.
 */
import type { Clock } from '@libos/sched';
import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';

/**
 * Direction of a traced frame: `'rx'` received from the device, `'tx'` transmitted.
 *
 * @example
 * ```ts
 * import type { FrameDirection } from '@libos/net';
 * const d: FrameDirection = 'tx';
 * ```
 */
export type FrameDirection = 'rx' | 'tx';

/**
 * Called by a {@link Tracer} once per frame. `frame` is lent: valid only during the call.
 *
 * @example
 * ```ts
 * import { formatFrameSummary, type TraceCallback } from '@libos/net';
 * const log: TraceCallback = (direction, frame, now) =>
 *   console.log(now, direction, formatFrameSummary(frame));
 * ```
 */
export type TraceCallback = (direction: FrameDirection, frame: Uint8Array, now: number) => void;

/**
 * Options of {@link Tracer}.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import type { TracerOptions } from '@libos/net';
 * const options: TracerOptions = { clock: new VirtualClock(), onFrame: () => {} };
 * ```
 */
export interface TracerOptions {
  /** Supplies the `now` passed to the callback (µs). */
  readonly clock: Clock;
  /** Called per frame. */
  readonly onFrame: TraceCallback;
}

/**
 * A {@link NetDevice} wrapper calling a {@link TraceCallback} for each frame received
 * (before the caller sees it) and each frame transmitted (after `fill`, only if the inner
 * device accepted it). Pair with {@link formatFrameSummary} for a one-line log.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createLoopback, formatFrameSummary, Tracer } from '@libos/net';
 * const lo = new Tracer(createLoopback(), {
 *   clock: new VirtualClock(),
 *   onFrame: (dir, frame, now) => console.log(now, dir, formatFrameSummary(frame)),
 * });
 * lo.transmit(60, (f) => f.fill(0xff, 0, 6));
 * ```
 */
export class Tracer implements NetDevice {
  /** The wrapped device. */
  readonly inner: NetDevice;
  readonly #clock: Clock;
  readonly #trace: TraceCallback;
  #onFrame: FrameReceiver | undefined;
  #fill: FrameFiller | undefined;
  readonly #rxTap = (frame: Uint8Array, checksumVerified: boolean): void => {
    this.#trace('rx', frame, this.#clock.now());
    this.#onFrame!(frame, checksumVerified);
  };
  readonly #txTap = (buffer: Uint8Array): void => {
    this.#fill!(buffer);
    this.#trace('tx', buffer, this.#clock.now());
  };

  /**
   * @param inner The device to trace.
   * @param options Clock and callback.
   */
  constructor(inner: NetDevice, options: TracerOptions) {
    this.inner = inner;
    this.#clock = options.clock;
    this.#trace = options.onFrame;
  }

  /** The inner device's capabilities. */
  get capabilities(): NetDeviceCapabilities {
    return this.inner.capabilities;
  }

  /** The inner device's MAC. */
  get macAddress(): Uint8Array {
    return this.inner.macAddress;
  }

  /** Receives from the inner device, tracing each frame first. */
  receive(onFrame: FrameReceiver, budget: number): number {
    const outer = this.#onFrame;
    this.#onFrame = onFrame;
    try {
      return this.inner.receive(this.#rxTap, budget);
    } finally {
      this.#onFrame = outer;
    }
  }

  /** Transmits through the inner device, tracing the frame once filled. */
  transmit(length: number, fill: FrameFiller): boolean {
    const outer = this.#fill;
    this.#fill = fill;
    try {
      return this.inner.transmit(length, this.#txTap);
    } finally {
      this.#fill = outer;
    }
  }
}
