/**
 * The guest's end of a user-mode network: a {@link NetDevice} over one end of an
 * in-process link that tells the gateway when the guest sent or took frames, and lets
 * the guest's driver sleep until the gateway sends it one.
 */
import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../../net-device.js';
import type { LinkEndpoint } from '../../phy/link.js';

/**
 * A {@link NetDevice} that reports activity: the gateway side and the guest side of a
 * user-mode network each wrap their link end in one, so each side is woken when the
 * other transmits or makes room.
 *
 * @example
 * ```ts
 * import { createUserNetwork } from '@libos/net/node';
 * const net = await createUserNetwork();
 * const port = net.guestPort; // an ObservedDevice with waitForFrame
 * await port.waitForFrame(100);
 * port.receive((frame) => console.log(frame.length), 64);
 * await net.close();
 * ```
 */
export class ObservedDevice implements NetDevice {
  /** {@inheritDoc NetDevice.capabilities} */
  readonly capabilities: NetDeviceCapabilities;
  /** {@inheritDoc NetDevice.macAddress} */
  readonly macAddress: Uint8Array;
  readonly #inner: LinkEndpoint;
  readonly #peer: LinkEndpoint;
  readonly #onActivity: () => void;
  #waiters: ((pending: boolean) => void)[] = [];
  #closed = false;

  /**
   * @param inner This side's link end.
   * @param peer The other side's link end (to tell how many frames wait for us).
   * @param onActivity Called after this side transmitted or received frames.
   */
  constructor(inner: LinkEndpoint, peer: LinkEndpoint, onActivity: () => void) {
    this.capabilities = inner.capabilities;
    this.macAddress = inner.macAddress;
    this.#inner = inner;
    this.#peer = peer;
    this.#onActivity = onActivity;
  }

  /** Frames the other side queued that this side has not received yet. */
  get pendingFrames(): number {
    return this.#peer.stats.transmitted - this.#inner.stats.received;
  }

  /** {@inheritDoc NetDevice.receive} */
  receive(onFrame: FrameReceiver, budget: number): number {
    const n = this.#inner.receive(onFrame, budget);
    if (n > 0) this.#onActivity();
    return n;
  }

  /** {@inheritDoc NetDevice.transmit} */
  transmit(length: number, fill: FrameFiller): boolean {
    const sent = this.#inner.transmit(length, fill);
    if (sent) this.#onActivity();
    return sent;
  }

  /**
   * Resolves true once a frame waits for this side, or false after `timeoutMs` without
   * one (or once closed). Always resolves on a later event-loop turn (never in the
   * same microtask run), so a driver looping on it lets timers and I/O run.
   *
   * @param timeoutMs Longest wait; default: until a frame arrives or the network closes.
   */
  waitForFrame(timeoutMs?: number): Promise<boolean> {
    // Even when the answer is known, resolve on a later event-loop turn: a driver looping
    // on this must not starve the gateway, which runs from timers and I/O callbacks.
    if (this.pendingFrames > 0 || this.#closed) {
      return new Promise((resolve) => setImmediate(() => resolve(this.pendingFrames > 0)));
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = (pending: boolean): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(pending);
      };
      this.#waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          resolve(this.pendingFrames > 0);
        }, timeoutMs);
      }
    });
  }

  /** @internal The other side queued a frame: wake waiters. */
  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(true);
  }

  /** @internal The network closed: pending and future waits resolve false. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(this.pendingFrames > 0);
  }
}
