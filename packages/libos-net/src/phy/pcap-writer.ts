/**
 * A device wrapper that records the frames it passes to a pcap file.
 */
import type { Clock } from '@libos/sched';
import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';
import { PcapFile, type PcapSink } from './pcap-file.js';
import { PhyError } from './phy-error.js';

/**
 * Which directions a wrapper records: received frames, transmitted frames or both.
 *
 * @example
 * ```ts
 * import type { CaptureDirections } from '@libos/net';
 * const onlyIncoming: CaptureDirections = 'rx';
 * ```
 */
export type CaptureDirections = 'rx' | 'tx' | 'both';

/**
 * Options of {@link PcapWriter}: give either a `sink` (a new {@link PcapFile} is
 * started on it) or a shared `file` (several devices logging into one capture).
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import type { PcapWriterOptions } from '@libos/net';
 * const options: PcapWriterOptions = { clock: new VirtualClock(), sink: () => {} };
 * ```
 */
export interface PcapWriterOptions {
  /** Timestamps of the records (µs). */
  readonly clock: Clock;
  /** Where a new capture file is written. */
  readonly sink?: PcapSink;
  /** An existing capture file to append to (instead of `sink`). */
  readonly file?: PcapFile;
  /** Longest stored part of a frame when a new file is started. Default 65535. */
  readonly snapLength?: number;
  /** What to record. Default `'both'`. */
  readonly directions?: CaptureDirections;
}

/**
 * A {@link NetDevice} wrapper that records every frame received from and transmitted
 * through the inner device to a {@link PcapFile}, timestamped by the clock. Frames are
 * recorded after `fill` on transmit (only if the inner device accepted the frame) and
 * before the caller's callback on receive. Open the capture with tcpdump or Wireshark.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createLink, PcapWriter } from '@libos/net';
 * const chunks: Uint8Array[] = [];
 * const [a, b] = createLink();
 * const traced = new PcapWriter(a, { clock: new VirtualClock(), sink: (c) => chunks.push(c.slice()) });
 * traced.transmit(60, (f) => f.set(b.macAddress, 0)); // recorded
 * ```
 */
export class PcapWriter implements NetDevice {
  /** The wrapped device. */
  readonly inner: NetDevice;
  /** The capture file records go to. */
  readonly file: PcapFile;
  readonly #clock: Clock;
  readonly #rx: boolean;
  readonly #tx: boolean;
  #onFrame: FrameReceiver | undefined;
  #fill: FrameFiller | undefined;
  readonly #rxTap = (frame: Uint8Array, checksumVerified: boolean): void => {
    this.file.writePacket(frame, this.#clock.now());
    this.#onFrame!(frame, checksumVerified);
  };
  readonly #txTap = (buffer: Uint8Array): void => {
    this.#fill!(buffer);
    this.file.writePacket(buffer, this.#clock.now());
  };

  /**
   * @param inner The device to record.
   * @param options Clock, output and directions.
   * @throws {@link PhyError} `INVALID_OPTION` unless exactly one of `sink` and `file` is given.
   */
  constructor(inner: NetDevice, options: PcapWriterOptions) {
    if ((options.sink === undefined) === (options.file === undefined)) {
      throw new PhyError('INVALID_OPTION', 'PcapWriter needs exactly one of sink and file');
    }
    this.inner = inner;
    this.#clock = options.clock;
    this.file =
      options.file ??
      new PcapFile(
        options.sink!,
        options.snapLength === undefined ? {} : { snapLength: options.snapLength },
      );
    const directions = options.directions ?? 'both';
    this.#rx = directions !== 'tx';
    this.#tx = directions !== 'rx';
  }

  /** The inner device's capabilities. */
  get capabilities(): NetDeviceCapabilities {
    return this.inner.capabilities;
  }

  /** The inner device's MAC. */
  get macAddress(): Uint8Array {
    return this.inner.macAddress;
  }

  /** Receives from the inner device, recording each frame first. */
  receive(onFrame: FrameReceiver, budget: number): number {
    if (!this.#rx) return this.inner.receive(onFrame, budget);
    const outer = this.#onFrame;
    this.#onFrame = onFrame;
    try {
      return this.inner.receive(this.#rxTap, budget);
    } finally {
      this.#onFrame = outer;
    }
  }

  /** Transmits through the inner device, recording the frame once filled. */
  transmit(length: number, fill: FrameFiller): boolean {
    if (!this.#tx) return this.inner.transmit(length, fill);
    const outer = this.#fill;
    this.#fill = fill;
    try {
      return this.inner.transmit(length, this.#txTap);
    } finally {
      this.#fill = outer;
    }
  }
}
