import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';
import {
  checkMacAddress,
  checkMaxTransmitUnit,
  checkQueueFrames,
  ETHERNET_HEADER_BYTES,
  isValidFrameLength,
  plainCapabilities,
} from './ethernet-frame.js';
import { FrameRing } from './frame-ring.js';

/**
 * Options of {@link createLink}.
 *
 * @example
 * ```ts
 * import { createLink, type LinkOptions } from '@libos/net';
 * const options: LinkOptions = { maxTransmitUnit: 9000, queueFrames: 256 };
 * const [a, b] = createLink(options);
 * ```
 */
export interface LinkOptions {
  /** L3 MTU of the link. Default 1500. */
  readonly maxTransmitUnit?: number;
  /** Frames each direction buffers before `transmit` returns false. Default 64. */
  readonly queueFrames?: number;
  /** MAC of the first endpoint. Default 02:00:00:00:00:01. */
  readonly macA?: Uint8Array;
  /** MAC of the second endpoint. Default 02:00:00:00:00:02. */
  readonly macB?: Uint8Array;
}

/**
 * Counters of one {@link LinkEndpoint}.
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * const [a] = createLink();
 * console.log(a.stats.transmitted, a.stats.refused);
 * ```
 */
export interface LinkEndpointStats {
  /** Frames this endpoint transmitted (queued for the peer). */
  transmitted: number;
  /** Frames this endpoint delivered to its receiver. */
  received: number;
  /** `transmit` calls refused because the queue towards the peer was full. */
  refused: number;
}

/**
 * One end of an in-process Ethernet cable made by {@link createLink}: a
 * {@link NetDevice} whose transmitted frames arrive, in order, at the other end.
 * Buffers are preallocated; a full queue refuses `transmit` (back-pressure, no drop).
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * const [a, b] = createLink();
 * a.transmit(60, (buf) => buf.fill(0xff, 0, 6));
 * b.receive((frame) => console.log(frame.length), 8); // 60
 * ```
 */
export class LinkEndpoint implements NetDevice {
  /** MTU and burst size; no offloads. */
  readonly capabilities: NetDeviceCapabilities;
  /** This end's MAC address. */
  readonly macAddress: Uint8Array;
  /** Counters for this end. */
  readonly stats: LinkEndpointStats = { transmitted: 0, received: 0, refused: 0 };
  readonly #outgoing: FrameRing;
  readonly #incoming: FrameRing;

  /**
   * Use {@link createLink} to make a connected pair.
   *
   * @param capabilities Link capabilities.
   * @param macAddress This end's MAC address.
   * @param outgoing Queue towards the peer.
   * @param incoming Queue from the peer.
   */
  private constructor(
    capabilities: NetDeviceCapabilities,
    macAddress: Uint8Array,
    outgoing: FrameRing,
    incoming: FrameRing,
  ) {
    this.capabilities = capabilities;
    this.macAddress = macAddress;
    this.#outgoing = outgoing;
    this.#incoming = incoming;
  }

  /** Delivers up to `budget` frames from the peer, oldest first. */
  receive(onFrame: FrameReceiver, budget: number): number {
    let n = 0;
    while (n < budget && this.#incoming.shift(onFrame)) n++;
    this.stats.received += n;
    return n;
  }

  /** Queues one frame of `length` bytes for the peer, filled by `fill`. */
  transmit(length: number, fill: FrameFiller): boolean {
    const max = this.capabilities.maxTransmitUnit + ETHERNET_HEADER_BYTES;
    if (!isValidFrameLength(length, max)) return false;
    if (this.#outgoing.full) {
      this.stats.refused++;
      return false;
    }
    this.#outgoing.push(length, fill);
    this.stats.transmitted++;
    return true;
  }

  /** @internal Builds both ends of a cable. */
  static pair(options: LinkOptions): [LinkEndpoint, LinkEndpoint] {
    const mtu = checkMaxTransmitUnit(options.maxTransmitUnit ?? 1500);
    const frames = checkQueueFrames(options.queueFrames ?? 64);
    const capabilities = plainCapabilities(mtu, frames);
    const aToB = new FrameRing(frames, mtu + ETHERNET_HEADER_BYTES);
    const bToA = new FrameRing(frames, mtu + ETHERNET_HEADER_BYTES);
    const macA = checkMacAddress(options.macA ?? Uint8Array.of(2, 0, 0, 0, 0, 1));
    const macB = checkMacAddress(options.macB ?? Uint8Array.of(2, 0, 0, 0, 0, 2));
    return [
      new LinkEndpoint(capabilities, macA, aToB, bToA),
      new LinkEndpoint(capabilities, macB, bToA, aToB),
    ];
  }
}

/**
 * Makes an in-process Ethernet cable: two connected {@link NetDevice}s. Frames one end
 * transmits are received, byte for byte and in order, by the other. The reference
 * `NetDevice` for tests and simulations, and the peer the conformance suite uses.
 *
 * @throws {@link PhyError} (a `RangeError`, code `INVALID_OPTION`) for an MTU outside
 *   68..65535, a non-positive queue size or a MAC
 *   that is not 6 bytes.
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * const [host, guest] = createLink({ maxTransmitUnit: 1500 });
 * host.transmit(64, (frame) => frame.set(guest.macAddress, 0));
 * guest.receive((frame) => console.log('got', frame.length), 1);
 * ```
 */
export function createLink(options: LinkOptions = {}): [LinkEndpoint, LinkEndpoint] {
  return LinkEndpoint.pair(options);
}
