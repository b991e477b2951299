import type { FrameFiller, FrameReceiver, NetDevice, NetDeviceCapabilities } from '@libos/net';
import type { FrameChannel, FrameChannelSide } from './frame-channel.js';
import { FrameChannelLayout as L } from './frame-channel-layout.js';

/** Length of an Ethernet II header. */
const ETHERNET_HEADER_BYTES = 14;

/**
 * What a {@link FrameChannelPort} reports as a `NetDevice`.
 *
 * @example
 * ```ts
 * import type { FrameChannelPortIdentity } from '@libos/virtio';
 * const identity: FrameChannelPortIdentity = { macAddress: Uint8Array.of(2, 0, 0, 0, 0, 1), maxTransmitUnit: 1500 };
 * ```
 */
export interface FrameChannelPortIdentity {
  /** The MAC address of the port (6 bytes). */
  readonly macAddress: Uint8Array;
  /** L3 MTU; frames up to MTU + 14 bytes (and at most the slot size) are carried. */
  readonly maxTransmitUnit: number;
}

/**
 * One thread's end of a {@link FrameChannel}: a `NetDevice` whose `transmit` copies the
 * frame into the next free slot of the outgoing ring and whose `receive` lends frames
 * from the incoming ring in order. A full outgoing ring refuses `transmit`
 * (back-pressure, nothing dropped). Every push and pop bumps the other side's signal
 * word and wakes it (`Atomics.notify`), so a side that waits on
 * {@link FrameChannelPort.waitAddress} learns both "a frame arrived" and "a slot was
 * freed".
 *
 * @example
 * ```ts
 * import { FrameChannel } from '@libos/virtio';
 * const channel = FrameChannel.create({ slots: 8, slotBytes: 1514 });
 * const id = { macAddress: Uint8Array.of(2, 0, 0, 0, 0, 1), maxTransmitUnit: 1500 };
 * const a = channel.port('parent', id);
 * const b = channel.port('worker', id);
 * a.transmit(60, (buf) => buf.fill(0xff, 0, 6));
 * b.receive((frame) => console.log(frame.length), 8); // 60
 * ```
 */
export class FrameChannelPort implements NetDevice {
  /** MTU and burst size; no offloads. */
  readonly capabilities: NetDeviceCapabilities;
  /** This port's MAC address. */
  readonly macAddress: Uint8Array;
  /** Byte offset (in the channel buffer) of the word this side waits on. */
  readonly waitAddress: number;

  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #slots: number;
  readonly #stride: number;
  readonly #maxFrame: number;
  readonly #inTail: number;
  readonly #inHead: number;
  readonly #inSlots: number;
  readonly #outTail: number;
  readonly #outHead: number;
  readonly #outSlots: number;
  readonly #peerSignal: number;

  /**
   * Use {@link FrameChannel.port}.
   *
   * @param channel - the channel
   * @param side - which rings this port sends and receives on
   * @param identity - MAC and MTU
   */
  constructor(channel: FrameChannel, side: FrameChannelSide, identity: FrameChannelPortIdentity) {
    if (identity.macAddress.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    const mtu = identity.maxTransmitUnit;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new RangeError(`MTU ${mtu} is outside 68..65535`);
    }
    const buffer = channel.buffer;
    this.#words = new Int32Array(buffer);
    this.#bytes = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
    this.#slots = channel.slots;
    this.#stride = L.stride(channel.slotBytes);
    this.#maxFrame = Math.min(mtu + ETHERNET_HEADER_BYTES, channel.slotBytes);
    const ringBytes = channel.slots * this.#stride;
    const toWorker = { ctl: L.RING_TO_WORKER, slots: L.SLOTS_BASE };
    const toParent = { ctl: L.RING_TO_PARENT, slots: L.SLOTS_BASE + ringBytes };
    const [out, inc] = side === 'parent' ? [toWorker, toParent] : [toParent, toWorker];
    this.#outTail = (out.ctl + L.TAIL) / 4;
    this.#outHead = (out.ctl + L.HEAD) / 4;
    this.#outSlots = out.slots;
    this.#inTail = (inc.ctl + L.TAIL) / 4;
    this.#inHead = (inc.ctl + L.HEAD) / 4;
    this.#inSlots = inc.slots;
    this.waitAddress = side === 'parent' ? L.PARENT_SIGNAL : L.WORKER_SIGNAL;
    this.#peerSignal = (side === 'parent' ? L.WORKER_SIGNAL : L.PARENT_SIGNAL) / 4;
    this.macAddress = identity.macAddress.slice();
    this.capabilities = {
      maxTransmitUnit: this.#maxFrame - ETHERNET_HEADER_BYTES,
      maxBurstSize: channel.slots,
      checksumOffload: { transmit: false, receive: false },
      segmentationOffload: false,
    };
  }

  /** Frames waiting in the incoming ring. */
  get pending(): number {
    const w = this.#words;
    return (Atomics.load(w, this.#inTail) - Atomics.load(w, this.#inHead)) >>> 0;
  }

  /** Free slots in the outgoing ring (how many `transmit` calls would succeed now). */
  get freeSlots(): number {
    const w = this.#words;
    return this.#slots - ((Atomics.load(w, this.#outTail) - Atomics.load(w, this.#outHead)) >>> 0);
  }

  /**
   * The current value of this side's signal word (to wait on it with `Atomics.waitAsync`).
   *
   * @returns the word's value
   * @example
   * ```ts
   * const seen = port.signal();
   * if (port.pending === 0) await Atomics.waitAsync(new Int32Array(channel.buffer), port.waitAddress / 4, seen, 10).value;
   * ```
   */
  signal(): number {
    return Atomics.load(this.#words, this.waitAddress / 4);
  }

  /**
   * Lends up to `budget` frames from the incoming ring, oldest first.
   *
   * @param onFrame - called once per frame with a view of the slot (valid during the call)
   * @param budget - the most frames to deliver
   * @returns frames delivered
   * @example
   * ```ts
   * port.receive((frame) => frames.push(frame.slice()), 64);
   * ```
   */
  receive(onFrame: FrameReceiver, budget: number): number {
    const w = this.#words;
    let head = Atomics.load(w, this.#inHead);
    const tail = Atomics.load(w, this.#inTail);
    let n = 0;
    while (n < budget && head !== tail) {
      const at = this.#inSlots + ((head >>> 0) % this.#slots) * this.#stride;
      const length = this.#view.getUint32(at, true);
      onFrame(this.#bytes.subarray(at + 4, at + 4 + Math.min(length, this.#maxFrame)), false);
      head = (head + 1) | 0;
      Atomics.store(w, this.#inHead, head);
      n++;
    }
    if (n > 0) this.#wakePeer();
    return n;
  }

  /**
   * Copies the next incoming frames into `target` while it accepts them: a frame the
   * target refuses stays in the ring (nothing is lost).
   *
   * @param target - where the frames go (e.g. the real backend)
   * @param budget - the most frames to move
   * @returns frames moved
   * @example
   * ```ts
   * port.forwardTo(backend, 64);
   * ```
   */
  forwardTo(target: NetDevice, budget: number): number {
    const w = this.#words;
    let head = Atomics.load(w, this.#inHead);
    const tail = Atomics.load(w, this.#inTail);
    let n = 0;
    while (n < budget && head !== tail) {
      const at = this.#inSlots + ((head >>> 0) % this.#slots) * this.#stride;
      const length = Math.min(this.#view.getUint32(at, true), this.#maxFrame);
      const frame = this.#bytes.subarray(at + 4, at + 4 + length);
      if (!target.transmit(length, (buf) => buf.set(frame))) break;
      head = (head + 1) | 0;
      Atomics.store(w, this.#inHead, head);
      n++;
    }
    if (n > 0) this.#wakePeer();
    return n;
  }

  /**
   * Fills the next free outgoing slot with one frame and publishes it.
   *
   * @param length - frame length, 14..MTU + 14
   * @param fill - writes the frame into the lent slot
   * @returns false, without calling `fill`, when the ring is full or `length` is out of range
   * @example
   * ```ts
   * port.transmit(frame.length, (buf) => buf.set(frame));
   * ```
   */
  transmit(length: number, fill: FrameFiller): boolean {
    if (!Number.isInteger(length) || length < ETHERNET_HEADER_BYTES || length > this.#maxFrame) {
      return false;
    }
    const w = this.#words;
    const tail = Atomics.load(w, this.#outTail);
    if ((tail - Atomics.load(w, this.#outHead)) >>> 0 >= this.#slots) return false;
    const at = this.#outSlots + ((tail >>> 0) % this.#slots) * this.#stride;
    fill(this.#bytes.subarray(at + 4, at + 4 + length));
    this.#view.setUint32(at, length, true);
    Atomics.store(w, this.#outTail, (tail + 1) | 0);
    this.#wakePeer();
    return true;
  }

  #wakePeer(): void {
    Atomics.add(this.#words, this.#peerSignal, 1);
    Atomics.notify(this.#words, this.#peerSignal);
  }
}
