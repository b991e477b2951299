import { GuestMemory } from '@libos/mem';
import type { NetDevice } from '@libos/net';
import { AtomicsLink, FrameChannel, type FrameChannelPort, type LinkWatch } from '../index.js';

/**
 * The parent-thread half of a worker virtio-net: moves frames between the real backend
 * `NetDevice` and the parent end of a {@link FrameChannel} whose worker end is the
 * worker model's backend. It pumps by itself whenever the worker signals (a frame
 * transmitted, a slot freed); frames the backend receives from its own peer are picked
 * up by {@link NetFrameBridge.pump}, which the run loop calls.
 *
 * ```text
 *  driver ⇄ virtqueues ⇄ [worker: VirtioNetDeviceModel ⇄ worker port]
 *                                       ⇅ FrameChannel (SharedArrayBuffer)
 *                         [parent: parent port ⇄ NetFrameBridge ⇄ backend NetDevice] ⇄ wire
 * ```
 *
 * @example
 * ```ts
 * import { NetFrameBridge } from '@libos/virtio/node';
 * const bridge = new NetFrameBridge(backend, 256);
 * // post bridge.channel.buffer to the worker …
 * bridge.start();
 * bridge.pump();
 * bridge.stop();
 * ```
 */
export class NetFrameBridge {
  /** The channel (its buffer goes to the worker). */
  readonly channel: FrameChannel;
  /** The real backend. */
  readonly backend: NetDevice;
  /** The parent end of the channel. */
  readonly port: FrameChannelPort;
  /** Frames the backend delivered that did not fit a slot (never with a matching MTU). */
  dropped = 0;
  readonly #link: AtomicsLink;
  #watch: LinkWatch | null = null;

  /**
   * @param backend - the real backend port
   * @param slots - frame slots per direction
   */
  constructor(backend: NetDevice, slots: number) {
    const mtu = backend.capabilities.maxTransmitUnit;
    this.backend = backend;
    this.channel = FrameChannel.create({ slots, slotBytes: mtu + 14 });
    this.port = this.channel.port('parent', {
      macAddress: backend.macAddress,
      maxTransmitUnit: mtu,
    });
    this.#link = new AtomicsLink(new GuestMemory(this.channel.buffer));
  }

  /**
   * Starts pumping whenever the worker signals.
   *
   * @example
   * ```ts
   * bridge.start();
   * ```
   */
  start(): void {
    this.#watch ??= this.#link.watch(this.port.waitAddress, () => {
      this.pump();
    });
  }

  /**
   * Stops pumping on signals (`pump` still works).
   *
   * @example
   * ```ts
   * bridge.stop();
   * ```
   */
  stop(): void {
    this.#watch?.stop();
    this.#watch = null;
  }

  /**
   * Moves what can move now: worker → backend (a frame the backend refuses stays in the
   * channel), then backend → worker (at most as many frames as there are free slots, so
   * none is lost).
   *
   * @returns frames moved
   * @example
   * ```ts
   * while (bridge.pump() > 0);
   * ```
   */
  pump(): number {
    const port = this.port;
    let moved = port.forwardTo(this.backend, port.capabilities.maxBurstSize);
    const room = port.freeSlots;
    if (room > 0) {
      moved += this.backend.receive((frame) => {
        if (!port.transmit(frame.length, (buf) => buf.set(frame))) this.dropped++;
      }, room);
    }
    return moved;
  }
}
