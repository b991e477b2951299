import type { FrameFiller, FrameReceiver, NetDeviceCapabilities } from '@libos/net';
import type { GsoFrameReceiver, GsoNetPort } from './gso-net-port.js';
import { ETHERNET_HEADER_BYTES } from './net-constants.js';
import { preparePartialChecksum } from './partial-checksum.js';
import { TSO_MAX_FRAME, tcpIpv4HeaderLength, writeTcpSegment } from './tcp-segmentation.js';

/**
 * Options of {@link createOffloadLink}.
 *
 * @example
 * ```ts
 * import type { OffloadLinkOptions } from '@libos/virtio';
 * const options: OffloadLinkOptions = { maxTransmitUnit: 9000, queueFrames: 16 };
 * ```
 */
export interface OffloadLinkOptions {
  /** L3 MTU of the link (ordinary frames up to MTU + 14). Default 1500. */
  readonly maxTransmitUnit?: number;
  /** Frames each direction buffers before `transmit` returns false. Default 64. */
  readonly queueFrames?: number;
  /** MAC of the first endpoint. Default 02:00:00:00:00:01. */
  readonly macA?: Uint8Array;
  /** MAC of the second endpoint. Default 02:00:00:00:00:02. */
  readonly macB?: Uint8Array;
}

/**
 * Counters of one {@link OffloadLinkEndpoint} (live, updated in place).
 *
 * @example
 * ```ts
 * const { transmitted, gsoTransmitted } = endpoint.stats;
 * ```
 */
export interface OffloadLinkStats {
  /** Frames this endpoint queued for the peer (GSO frames count once). */
  transmitted: number;
  /** Of those, GSO frames (carried whole). */
  gsoTransmitted: number;
  /** Frames delivered to this endpoint's receiver (each segment counts once). */
  received: number;
  /** `transmit` calls refused because the queue towards the peer was full. */
  refused: number;
  /** Frames discarded: an oversized plain `transmit` that was not TCP/IPv4, or a GSO frame `receive` could not segment. */
  dropped: number;
}

/**
 * One direction: a bounded ring of frame slots. A slot grows to 64 KiB the first time a
 * GSO frame lands in it (at most `frames` such allocations over the link's life).
 */
class GsoFrameQueue {
  readonly #slots: Uint8Array[];
  readonly #lengths: Int32Array;
  readonly #gsoSizes: Int32Array;
  readonly #segment: Uint8Array;
  #head = 0;
  #count = 0;
  // Plain `receive` of a GSO frame: the head frame's next segment.
  #segOffset = 0;
  #segIndex = 0;

  constructor(frames: number, frameBytes: number) {
    this.#slots = Array.from({ length: frames }, () => new Uint8Array(frameBytes));
    this.#lengths = new Int32Array(frames);
    this.#gsoSizes = new Int32Array(frames);
    this.#segment = new Uint8Array(frameBytes);
  }

  get full(): boolean {
    return this.#count === this.#slots.length;
  }

  /** A view of the next slot, grown to `length` bytes if needed. */
  reserve(length: number): Uint8Array {
    const i = (this.#head + this.#count) % this.#slots.length;
    let slot = this.#slots[i]!;
    if (slot.length < length) {
      slot = new Uint8Array(TSO_MAX_FRAME);
      this.#slots[i] = slot;
    }
    return slot.subarray(0, length);
  }

  /** Commits the slot handed out by `reserve`. */
  commit(length: number, gsoSize: number): void {
    const i = (this.#head + this.#count) % this.#slots.length;
    this.#lengths[i] = length;
    this.#gsoSizes[i] = gsoSize;
    this.#count++;
  }

  /** Delivers the head frame whole (GSO frames with their size). */
  popWhole(onFrame: GsoFrameReceiver): boolean {
    if (this.#count === 0) return false;
    if (this.#segOffset !== 0) return false; // a frame half-delivered as segments: see popSegment
    const i = this.#head;
    this.#advance();
    const gso = this.#gsoSizes[i]!;
    onFrame(this.#slots[i]!.subarray(0, this.#lengths[i]), gso, gso > 0);
    return true;
  }

  /** Delivers the head frame, or its next segment when it is a GSO frame; -1 = dropped. */
  popSegment(onFrame: FrameReceiver): number {
    if (this.#count === 0) return 0;
    const i = this.#head;
    const frame = this.#slots[i]!.subarray(0, this.#lengths[i]);
    const gso = this.#gsoSizes[i]!;
    if (gso === 0) {
      this.#advance();
      onFrame(frame, false);
      return 1;
    }
    const headerLength = tcpIpv4HeaderLength(frame, frame.length);
    const mss = Math.min(gso, this.#segment.length - headerLength);
    if (headerLength < 0 || mss < 1) {
      this.#advance();
      return -1;
    }
    const payload = frame.length - headerLength;
    const n = Math.min(mss, payload - this.#segOffset);
    const last = this.#segOffset + n >= payload;
    const segment = this.#segment.subarray(0, headerLength + n);
    writeTcpSegment(segment, frame, headerLength, this.#segOffset, this.#segIndex, last);
    if (last) this.#advance();
    else {
      this.#segOffset += n;
      this.#segIndex++;
    }
    onFrame(segment, false);
    return 1;
  }

  /** Whether the head frame is half-delivered as segments. */
  get segmenting(): boolean {
    return this.#segOffset !== 0;
  }

  #advance(): void {
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#count--;
    this.#segOffset = 0;
    this.#segIndex = 0;
  }
}

/**
 * One end of an in-process cable that carries TSO frames **whole** (a
 * {@link GsoNetPort}): what a vhost switch port is to two guests. Plug two
 * {@link VirtioNetDeviceModel}s into the two ends and a TSO request from one driver
 * (HOST_TSO4) reaches the other driver unsegmented when it negotiated GUEST_TSO4, or
 * as MSS-sized segments (cut by the receiving device model) when it did not.
 *
 * As a plain `NetDevice` it has segmentation offload (`transmit` takes TCP/IPv4 frames
 * up to 65535 + 14, carried whole with the MSS of the link's MTU) and `receive`
 * delivers GSO frames as ordinary segments with complete checksums.
 *
 * @example
 * ```ts
 * import { createOffloadLink } from '@libos/virtio';
 * const [a, b] = createOffloadLink({ maxTransmitUnit: 1500 });
 * a.transmitGso(big.length, 1460, (buf) => buf.set(big));
 * b.receiveGso((frame, gsoSize) => console.log(frame.length, gsoSize), 1); // 65014 1460
 * ```
 */
export class OffloadLinkEndpoint implements GsoNetPort {
  /** MTU and burst size; segmentation offload, no checksum offload. */
  readonly capabilities: NetDeviceCapabilities;
  /** This end's MAC address. */
  readonly macAddress: Uint8Array;
  /** Largest GSO frame carried: 65535 + 14 bytes. */
  readonly maxGsoFrame = TSO_MAX_FRAME;
  /** Counters for this end. */
  readonly stats: OffloadLinkStats = {
    transmitted: 0,
    gsoTransmitted: 0,
    received: 0,
    refused: 0,
    dropped: 0,
  };
  readonly #outgoing: GsoFrameQueue;
  readonly #incoming: GsoFrameQueue;
  readonly #maxFrame: number;

  /**
   * Use {@link createOffloadLink}.
   *
   * @param capabilities - shared by both ends
   * @param macAddress - this end's MAC
   * @param outgoing - the queue towards the peer
   * @param incoming - the queue from the peer
   */
  private constructor(
    capabilities: NetDeviceCapabilities,
    macAddress: Uint8Array,
    outgoing: GsoFrameQueue,
    incoming: GsoFrameQueue,
  ) {
    this.capabilities = capabilities;
    this.macAddress = macAddress;
    this.#outgoing = outgoing;
    this.#incoming = incoming;
    this.#maxFrame = capabilities.maxTransmitUnit + ETHERNET_HEADER_BYTES;
  }

  /**
   * Delivers up to `budget` frames from the peer, oldest first; a GSO frame becomes
   * consecutive segments (each counts towards `budget`).
   *
   * @param onFrame - called once per frame or segment
   * @param budget - most frames to deliver
   * @returns frames delivered
   */
  receive(onFrame: FrameReceiver, budget: number): number {
    let n = 0;
    while (n < budget) {
      const r = this.#incoming.popSegment(onFrame);
      if (r === 0) break;
      if (r < 0) this.stats.dropped++;
      else n++;
    }
    this.stats.received += n;
    return n;
  }

  /**
   * Delivers up to `budget` frames from the peer, GSO frames whole.
   *
   * @param onFrame - called once per frame
   * @param budget - most frames to deliver
   * @returns frames delivered
   */
  receiveGso(onFrame: GsoFrameReceiver, budget: number): number {
    let n = 0;
    // A frame `receive` began to segment is finished as segments first.
    const asSegment: FrameReceiver = (frame, verified) => onFrame(frame, 0, verified);
    while (n < budget && this.#incoming.segmenting) {
      if (this.#incoming.popSegment(asSegment) <= 0) break;
      n++;
    }
    while (n < budget && this.#incoming.popWhole(onFrame)) n++;
    this.stats.received += n;
    return n;
  }

  /**
   * Queues one frame for the peer. A frame above MTU + 14 (up to 65535 + 14) must be an
   * untagged, unfragmented TCP/IPv4 frame: it is carried whole as a GSO frame with the
   * MSS of this link's MTU; one that is not is discarded after `fill` (false).
   *
   * @param length - frame length
   * @param fill - writes the frame
   * @returns false when the queue is full, `length` is out of range, or an oversized
   *   frame is not TCP/IPv4
   */
  transmit(length: number, fill: FrameFiller): boolean {
    if (!Number.isInteger(length) || length < ETHERNET_HEADER_BYTES || length > TSO_MAX_FRAME) {
      return false;
    }
    if (this.#outgoing.full) {
      this.stats.refused++;
      return false;
    }
    const frame = this.#outgoing.reserve(length);
    fill(frame);
    let gsoSize = 0;
    if (length > this.#maxFrame) {
      // The frame becomes a GSO frame: partial TCP checksum, MSS from the MTU.
      const headerLength = tcpIpv4HeaderLength(frame, length);
      const at = headerLength < 0 ? -1 : preparePartialChecksum(frame, length);
      gsoSize = this.#maxFrame - headerLength;
      if (at < 0 || gsoSize < 1) {
        this.stats.dropped++;
        return false;
      }
      this.stats.gsoTransmitted++;
    }
    this.#outgoing.commit(length, gsoSize);
    this.stats.transmitted++;
    return true;
  }

  /**
   * Queues one GSO frame for the peer, carried whole.
   *
   * @param length - frame length, 14..65535 + 14
   * @param gsoSize - payload bytes per segment, 1..65535
   * @param fill - writes the frame (TCP checksum field: the pseudo-header sum)
   * @returns false, without calling `fill`, when the queue is full or an argument is
   *   out of range
   */
  transmitGso(length: number, gsoSize: number, fill: FrameFiller): boolean {
    if (!Number.isInteger(length) || length < ETHERNET_HEADER_BYTES || length > TSO_MAX_FRAME) {
      return false;
    }
    if (!Number.isInteger(gsoSize) || gsoSize < 1 || gsoSize > 65535) return false;
    if (this.#outgoing.full) {
      this.stats.refused++;
      return false;
    }
    fill(this.#outgoing.reserve(length));
    this.#outgoing.commit(length, gsoSize);
    this.stats.transmitted++;
    this.stats.gsoTransmitted++;
    return true;
  }

  /** @internal Builds both ends of a cable. */
  static pair(options: OffloadLinkOptions): [OffloadLinkEndpoint, OffloadLinkEndpoint] {
    const mtu = options.maxTransmitUnit ?? 1500;
    const frames = options.queueFrames ?? 64;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new RangeError(`MTU ${mtu} is outside 68..65535`);
    }
    if (!Number.isInteger(frames) || frames < 1) {
      throw new RangeError(`queue of ${frames} frames is not a positive integer`);
    }
    const macA = options.macA ?? Uint8Array.of(2, 0, 0, 0, 0, 1);
    const macB = options.macB ?? Uint8Array.of(2, 0, 0, 0, 0, 2);
    for (const mac of [macA, macB]) {
      if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, not ${mac.length}`);
    }
    const capabilities: NetDeviceCapabilities = {
      maxTransmitUnit: mtu,
      maxBurstSize: frames,
      checksumOffload: { transmit: false, receive: false },
      segmentationOffload: true,
    };
    const frameBytes = mtu + ETHERNET_HEADER_BYTES;
    const aToB = new GsoFrameQueue(frames, frameBytes);
    const bToA = new GsoFrameQueue(frames, frameBytes);
    return [
      new OffloadLinkEndpoint(capabilities, macA.slice(), aToB, bToA),
      new OffloadLinkEndpoint(capabilities, macB.slice(), bToA, aToB),
    ];
  }
}

/**
 * Creates an in-process cable whose two ends are {@link OffloadLinkEndpoint}s: like
 * `createLink()` from `@libos/net`, plus TSO frames carried whole with their GSO size
 * (a {@link GsoNetPort} on each end).
 *
 * @param options - MTU, queue depth, MACs
 * @returns the two ends
 * @throws RangeError for an MTU outside 68..65535, a non-positive queue or a bad MAC
 * @example
 * ```ts
 * import { createOffloadLink, VirtioNetDeviceModel } from '@libos/virtio';
 * const [left, right] = createOffloadLink();
 * // new VirtioNetDeviceModel(placementA, left); new VirtioNetDeviceModel(placementB, right);
 * ```
 */
export function createOffloadLink(
  options: OffloadLinkOptions = {},
): [OffloadLinkEndpoint, OffloadLinkEndpoint] {
  return OffloadLinkEndpoint.pair(options);
}
