import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';
import type { FramePortError } from './frame-port-error.js';
import { type FramePortStats, zeroFramePortStats } from './frame-port-stats.js';
import { ReceivedFrameQueue } from './received-frame-queue.js';

/** Length of an Ethernet II header: destination, source, EtherType. */
export const ETHERNET_HEADER_BYTES = 14;
/** Extra room a receiver allows beyond MTU + header: one IEEE 802.1Q tag. */
const VLAN_TAG_BYTES = 4;

/**
 * Options shared by every host frame port.
 *
 * @example
 * ```ts
 * import type { HostFramePortOptions } from '@libos/net/node';
 * const options: HostFramePortOptions = { maxTransmitUnit: 1500, receiveQueueFrames: 256 };
 * ```
 */
export interface HostFramePortOptions {
  /** The port's own Ethernet address. Default 02:00:00:00:00:01 (locally administered). */
  readonly macAddress?: Uint8Array;
  /**
   * L3 MTU. Frames up to MTU + 14 are sent; frames up to MTU + 18 (one VLAN tag) are
   * received, longer ones are a protocol error. Default 1500.
   */
  readonly maxTransmitUnit?: number;
  /** Received frames buffered until `receive` takes them. Default 256. */
  readonly receiveQueueFrames?: number;
  /** Most frames one `receive` call should be asked for (`maxBurstSize`). Default 64. */
  readonly maxBurstSize?: number;
}

const DEFAULT_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x01]);

/**
 * What host frame ports have in common: the {@link NetDevice} receive side over a
 * bounded queue filled from a socket, counters, a way to sleep until frames arrive, and
 * the close lifecycle. {@link StreamFramePort} and {@link DgramFramePort} extend it.
 *
 * @example
 * ```ts
 * import type { HostFramePort } from '@libos/net/node';
 * async function pollOnce(port: HostFramePort): Promise<number> {
 *   await port.waitForFrame(100);
 *   return port.receive((frame) => console.log(frame.length), 64);
 * }
 * ```
 */
export abstract class HostFramePort implements NetDevice {
  /** {@inheritDoc NetDevice.capabilities} */
  readonly capabilities: NetDeviceCapabilities;
  /** {@inheritDoc NetDevice.macAddress} */
  readonly macAddress: Uint8Array;
  /** Counters; read them at any time. */
  readonly stats: FramePortStats = zeroFramePortStats();
  /** Resolves once the port has closed (normally or because of {@link error}). */
  readonly closed: Promise<void>;
  /** Largest frame accepted from the peer; a longer one closes the port. */
  protected readonly maxReceiveLength: number;
  /** Largest frame `transmit` accepts. */
  protected readonly maxTransmitLength: number;
  /** Frames received but not yet handed to `receive`. */
  protected readonly queue: ReceivedFrameQueue;
  #error: FramePortError | undefined;
  #isClosed = false;
  #resolveClosed: () => void = () => {};
  #waiters: ((pending: boolean) => void)[] = [];

  /** @param options - see {@link HostFramePortOptions} */
  protected constructor(options: HostFramePortOptions) {
    const mtu = options.maxTransmitUnit ?? 1500;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new RangeError(`maxTransmitUnit must be an integer in [68, 65535], not ${mtu}`);
    }
    const mac = options.macAddress ?? DEFAULT_MAC;
    if (mac.length !== 6) throw new RangeError(`macAddress must have 6 bytes, not ${mac.length}`);
    this.macAddress = Uint8Array.from(mac);
    const burst = options.maxBurstSize ?? 64;
    if (!Number.isInteger(burst) || burst < 1) {
      throw new RangeError(`maxBurstSize must be a positive integer, not ${burst}`);
    }
    this.capabilities = {
      maxTransmitUnit: mtu,
      maxBurstSize: burst,
      checksumOffload: { transmit: false, receive: false },
      segmentationOffload: false,
    };
    this.maxTransmitLength = mtu + ETHERNET_HEADER_BYTES;
    this.maxReceiveLength = mtu + ETHERNET_HEADER_BYTES + VLAN_TAG_BYTES;
    this.queue = new ReceivedFrameQueue(options.receiveQueueFrames ?? 256);
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Why the port closed abnormally; undefined while open or after a clean close. */
  get error(): FramePortError | undefined {
    return this.#error;
  }

  /** True once the port is closed (frames already queued can still be received). */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Frames waiting to be received. */
  get pendingFrames(): number {
    return this.queue.length;
  }

  /** {@inheritDoc NetDevice.receive} */
  receive(onFrame: FrameReceiver, budget: number): number {
    let delivered = 0;
    while (delivered < budget) {
      const frame = this.queue.shift() ?? this.refill();
      if (frame === undefined) break;
      this.stats.framesReceived++;
      this.stats.bytesReceived += frame.length;
      delivered++;
      onFrame(frame, false);
    }
    if (delivered > 0) this.queueDrained();
    return delivered;
  }

  /** {@inheritDoc NetDevice.transmit} */
  abstract transmit(length: number, fill: FrameFiller): boolean;

  /**
   * Resolves true as soon as at least one frame is waiting (at once if one already is),
   * false when the port closes with nothing pending or after `timeoutMs`.
   *
   * @param timeoutMs - longest wait; default: no limit other than the port closing
   */
  waitForFrame(timeoutMs?: number): Promise<boolean> {
    if (this.queue.length > 0) return Promise.resolve(true);
    if (this.#isClosed) return Promise.resolve(false);
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
          resolve(this.queue.length > 0);
        }, timeoutMs);
      }
    });
  }

  /** Closes the socket. Queued received frames stay receivable. Idempotent. */
  abstract close(): Promise<void>;

  /**
   * Subclasses call this with each frame read from the socket. Returns false when the
   * queue is full (the frame was not stored); runts are counted and swallowed.
   *
   * @param frame - the frame; kept by reference until received
   */
  protected enqueue(frame: Uint8Array): boolean {
    if (frame.length < ETHERNET_HEADER_BYTES) {
      this.stats.runts++;
      return true;
    }
    if (!this.queue.push(frame)) return false;
    if (this.#waiters.length > 0) this.#wake(true);
    return true;
  }

  /** Subclasses may supply one more frame when the queue runs dry inside `receive`. */
  protected refill(): Uint8Array | undefined {
    return undefined;
  }

  /** Called after `receive` took frames, so a paused source can resume. */
  protected queueDrained(): void {}

  /**
   * Marks the port closed (once): records `error`, wakes waiters, resolves
   * {@link closed}.
   *
   * @param error - why, for an abnormal close
   */
  protected markClosed(error?: FramePortError): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#error = error;
    this.#wake(this.queue.length > 0);
    this.#resolveClosed();
  }

  #wake(pending: boolean): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(pending);
  }
}
