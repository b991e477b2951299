import type { DmaAllocator, GuestMemory, PoolBuffer } from '@libos/mem';
import { BufferPool } from '@libos/mem';
import type { FrameFiller, FrameReceiver, NetDevice, NetDeviceCapabilities } from '@libos/net';
import { DriverCore } from '../../core/driver-core.js';
import { DeviceType } from '../../device-type.js';
import { featureMask } from '../../feature-bits.js';
import type { FeatureDependency } from '../../feature-dependencies.js';
import type { SplitQueueDriver } from '../../queue/split-queue-driver.js';
import type { TransportLink } from '../../transport/transport-link.js';
import { decodeVirtioNetConfig, readLe16, writeLe16 } from './net-config.js';
import {
  ETHERNET_HEADER_BYTES,
  HDR_CSUM_OFFSET,
  HDR_CSUM_START,
  HDR_FLAGS,
  HDR_GSO_SIZE,
  HDR_GSO_TYPE,
  HDR_HDR_LEN,
  HDR_NUM_BUFFERS,
  RX_QUEUE,
  TX_QUEUE,
  VIRTIO_NET_FEATURE_DEPENDENCIES,
  VIRTIO_NET_HDR_SIZE,
  VirtioNetConfigOffset,
  VirtioNetFeature,
  VirtioNetGsoType,
  VirtioNetHeaderFlag,
  VirtioNetStatus,
} from './net-constants.js';
import { preparePartialChecksum } from './partial-checksum.js';
import { TSO_MAX_FRAME, tcpIpv4HeaderLength } from './tcp-segmentation.js';
import { VirtioNetError } from './virtio-net-error.js';

/**
 * Options of {@link VirtioNetDriver.open}.
 *
 * @example
 * ```ts
 * import type { VirtioNetDriverOptions } from '@libos/virtio';
 * const options: VirtioNetDriverOptions = { memory, dma, base: 0x1000, link, queueSize: 128 };
 * ```
 */
export interface VirtioNetDriverOptions {
  /** Guest memory shared with the device. */
  readonly memory: GuestMemory;
  /** Where rings and the receive/transmit buffer pools are allocated. */
  readonly dma: DmaAllocator;
  /** Guest address of the device's 4 KiB register block. */
  readonly base: number;
  /** Doorbells between the two sides. */
  readonly link: TransportLink;
  /** Size of the receive and transmit queues (power of two ≤ the device's maximum). Default 256. */
  readonly queueSize?: number;
  /**
   * Bytes per receive buffer (header included). Default: 2048 with MRG_RXBUF, else
   * 12 + MTU + 14 rounded up to 64. Without MRG_RXBUF it must hold 12 + MTU + 14 bytes;
   * with it, at least 12, and the ring must hold one MTU-sized frame (§5.1.6.4.1).
   */
  readonly rxBufferSize?: number;
  /** Negotiate VIRTIO_NET_F_MRG_RXBUF when offered. Default true. */
  readonly mergeableRxBuffers?: boolean;
  /** Negotiate VIRTIO_NET_F_CSUM and VIRTIO_NET_F_GUEST_CSUM when offered. Default true. */
  readonly checksumOffload?: boolean;
  /**
   * Negotiate VIRTIO_NET_F_HOST_TSO4 when offered (only together with CSUM, §5.1.3.1, so
   * ignored when `checksumOffload` is false). Default true. When negotiated,
   * `capabilities.segmentationOffload` is true and `transmit` accepts TCP/IPv4 frames of
   * up to 65535 + 14 bytes, sent from a separate pool of `largeTxBuffers` 64 KiB buffers.
   */
  readonly segmentationOffload?: boolean;
  /**
   * Negotiate VIRTIO_NET_F_GUEST_TSO4 when offered: `receive` may then lend TCP/IPv4
   * frames of up to 65535 + 14 bytes (see {@link VirtioNetDriver.receiveSegmentationOffload}).
   * Default false, because a `NetDevice` consumer expects frames up to MTU + 14 unless
   * it asked for more. Accepted only with GUEST_CSUM (§5.1.3.1) **and MRG_RXBUF**: this
   * driver never posts the 65562-byte buffers §5.1.6.3.1 asks for without MRG_RXBUF
   * (16 MiB for a 256-entry ring); such large frames arrive spread over ordinary
   * buffers instead. Costs one 64 KiB reassembly buffer.
   */
  readonly receiveSegmentationOffload?: boolean;
  /**
   * Frames `transmit` queues before it notifies the device (1..queue size). Default 1:
   * every frame is published and the device notified if it asked (EVENT_IDX). With
   * more, frames are published and the doorbell rung once per `transmitBatch` frames,
   * and also by `flush`, `poll`, `receive`, `close` and whenever `transmit` runs out of
   * buffers — so a run loop that calls `receive` or `poll` never leaves frames behind.
   * Fewer doorbells and device wake-ups per frame; a frame may wait until then.
   */
  readonly transmitBatch?: number;
  /** Number of 64 KiB transmit buffers for TSO frames (1..queue size). Default 4. */
  readonly largeTxBuffers?: number;
  /** MAC address to use when the device offers none (VIRTIO_NET_F_MAC). Default 02:00 + base. */
  readonly fallbackMac?: Uint8Array;
  /** Use VIRTIO_F_EVENT_IDX when offered (default true). */
  readonly eventIdx?: boolean;
  /** Milliseconds to wait for the device to acknowledge a register write (default 1000). */
  readonly timeoutMs?: number;
  /** Called once when the driver stops being usable (device needs reset, hostile used ring). */
  readonly onFailure?: (error: Error) => void;
}

/**
 * Counters of a {@link VirtioNetDriver} since it was opened (live, updated in place).
 *
 * @example
 * ```ts
 * const { rxFrames, txFrames, rxErrors } = driver.stats;
 * ```
 */
export interface VirtioNetDriverStats {
  /** Frames lent to `receive` callers. */
  rxFrames: number;
  /** Frames the device returned malformed (shorter than a header + 14 bytes, bad `num_buffers`, too long, a GSO type not negotiated): dropped. */
  rxErrors: number;
  /** Of `rxFrames`, GSO frames (gso_type TCPV4, GUEST_TSO4) lent whole. */
  rxLargeFrames: number;
  /** Frames queued by `transmit`. */
  txFrames: number;
  /** `transmit` calls refused for lack of a free buffer (back-pressure). */
  txRefused: number;
  /** Frames sent with NEEDS_CSUM (checksum completed by the device). */
  txChecksumOffloads: number;
  /** Frames above MTU + 14 sent as TSO requests (gso_type TCPV4, segmented by the device). */
  txSegmentationOffloads: number;
  /** Frames above MTU + 14 refused after `fill` because they are not segmentable TCP/IPv4. */
  txOversizeRejected: number;
}

const DEFAULT_QUEUE_SIZE = 256;
const MERGEABLE_RX_BUFFER = 2048;
const DEFAULT_MTU = 1500;
const DEFAULT_LARGE_TX_BUFFERS = 4;
/** §5.1.3.1, plus this driver's rule: GUEST_TSO4 only with MRG_RXBUF (see the option). */
const DRIVER_FEATURE_DEPENDENCIES: readonly FeatureDependency[] = [
  ...VIRTIO_NET_FEATURE_DEPENDENCIES,
  { feature: VirtioNetFeature.GUEST_TSO4, requires: [VirtioNetFeature.MRG_RXBUF] },
];

function roundUp64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/**
 * The guest-side virtio-net driver (virtio 1.2 §5.1): a `NetDevice` (`@libos/net`) over a
 * virtio-net device, on {@link DriverCore}.
 *
 * - **Capabilities** come from negotiation: MTU from the configuration (VIRTIO_NET_F_MTU,
 *   else 1500), transmit checksum offload = CSUM, receive = GUEST_CSUM, segmentation
 *   offload = HOST_TSO4 (negotiated only with CSUM). Feature dependencies (§5.1.3.1)
 *   are enforced at negotiation: a device offering HOST_TSO4 without CSUM does not get
 *   HOST_TSO4. `macAddress` from the configuration (VIRTIO_NET_F_MAC).
 * - **Receive**: the receive queue is kept full of `BufferPool` (`@libos/mem`) buffers. `receive`
 *   reclaims used buffers, lends each frame (`buffer[12, len)`, a view cached per buffer
 *   and length) with `checksumVerified` = DATA_VALID or NEEDS_CSUM (a partial checksum
 *   from an in-host sender: trusted, not verified), and re-posts the buffer; one
 *   doorbell per call. With MRG_RXBUF a frame spanning several buffers is reassembled
 *   into a scratch buffer first.
 * - **Large receive** (GUEST_TSO4, opt-in with `receiveSegmentationOffload`, only with
 *   MRG_RXBUF): TCP/IPv4 frames up to 65535 + 14 with gso_type TCPV4 are reassembled
 *   into a 64 KiB scratch buffer and lent whole; a GSO type that was not negotiated is
 *   dropped (`rxErrors`).
 * - **Transmit**: `transmit` takes a free transmit buffer (reclaiming completed ones
 *   when none is free), lends `fill` the frame area after a 12-byte header, and queues
 *   it. With CSUM, TCP/UDP over IPv4 (unfragmented) or IPv6 (no extension headers)
 *   frames go out with NEEDS_CSUM: the driver writes the pseudo-header sum and the
 *   device completes the checksum, so the stack may leave the field as it likes.
 * - **TSO** (HOST_TSO4): a TCP/IPv4 frame above MTU + 14 (up to 65535 + 14) is written
 *   into one of a few separate 64 KiB transmit buffers (`largeTxBuffers`, one descriptor
 *   each) and sent as one GSO request (gso_type TCPV4, `gso_size` = the MSS); the device
 *   segments it. Frames up to MTU + 14 take the small-buffer path, allocation-free.
 * - **Failure** (DEVICE_NEEDS_RESET, a hostile used ring): `transmit` returns false,
 *   `receive` returns 0, and {@link VirtioNetDriver.failure} says why.
 *
 * ```text
 *  pool buffer (receive and transmit)
 *  ├ virtio_net_hdr (12) ┼ Ethernet frame (≤ MTU + 14) ┼ unused ┤
 *  large transmit buffer (TSO, 65600 bytes)
 *  ├ virtio_net_hdr (12, gso_type TCPV4) ┼ TCP/IPv4 frame (≤ 65535 + 14) ┼ unused ┤
 * ```
 *
 * @example
 * ```ts
 * import { VirtioNetDriver } from '@libos/virtio';
 * const nic = await VirtioNetDriver.open({ memory, dma, base: 0x1000, link });
 * nic.transmit(60, (frame) => frame.fill(0xff, 0, 6));
 * nic.receive((frame) => console.log(frame.length), 32);
 * ```
 */
export class VirtioNetDriver implements NetDevice {
  /** MTU, burst size and offloads, from the negotiated features and configuration. */
  readonly capabilities: NetDeviceCapabilities;
  /** The device's MAC address (6 bytes). */
  readonly macAddress: Uint8Array;
  /** The shared driver machinery (transport, queues). */
  readonly core: DriverCore;
  /** Counters, updated in place. */
  readonly stats: VirtioNetDriverStats = {
    rxFrames: 0,
    rxErrors: 0,
    rxLargeFrames: 0,
    txFrames: 0,
    txRefused: 0,
    txChecksumOffloads: 0,
    txSegmentationOffloads: 0,
    txOversizeRejected: 0,
  };

  readonly #dma: DmaAllocator;
  readonly #rxq: SplitQueueDriver<number>;
  readonly #txq: SplitQueueDriver<number>;
  readonly #rxPool: BufferPool;
  readonly #txPool: BufferPool;
  /** 64 KiB transmit buffers for TSO frames (tokens `txPool.count + index`), or null. */
  readonly #largePool: BufferPool | null;
  readonly #mtu: number;
  readonly #maxFrame: number;
  readonly #mergeable: boolean;
  readonly #checksumTx: boolean;
  readonly #checksumRx: boolean;
  readonly #guestTso: boolean;
  readonly #hasStatus: boolean;
  #linkUp = true;
  /** Frames per transmit doorbell, and frames added since the last one. */
  #txBatch = 1;
  #txUnkicked = 0;
  /** Set by `close`: the rings and pools are freed, so nothing may touch them again. */
  #closed = false;

  // Per-buffer views, rebuilt only when a frame length changes.
  readonly #rxViews: Uint8Array[];
  readonly #rxViewLengths: Int32Array;
  readonly #txViews: Uint8Array[];
  readonly #txViewLengths: Int32Array;

  // State of one `receive` call, read by the prebuilt used-buffer callbacks.
  #onFrame: FrameReceiver | null = null;
  #receiving = false;
  #delivered = 0;
  #reposted = 0;
  readonly #onRxUsed: (token: number, len: number) => void;
  readonly #onTxUsed: (token: number) => void;

  // MRG_RXBUF reassembly of a frame spanning several buffers.
  readonly #scratch: Uint8Array;
  #mergeRemaining = 0;
  #mergeLength = 0;
  #mergeVerified = false;
  #mergeBroken = false;
  #mergeGso = false;
  #mergeLimit = 0;

  private constructor(
    core: DriverCore,
    dma: DmaAllocator,
    rxPool: BufferPool,
    txPool: BufferPool,
    largePool: BufferPool | null,
    mtu: number,
    mac: Uint8Array,
    queueSize: number,
  ) {
    this.core = core;
    this.#dma = dma;
    this.#rxq = core.queue(RX_QUEUE);
    this.#txq = core.queue(TX_QUEUE);
    this.#rxPool = rxPool;
    this.#txPool = txPool;
    this.#largePool = largePool;
    this.#mtu = mtu;
    this.#maxFrame = mtu + ETHERNET_HEADER_BYTES;
    this.#mergeable = core.has(VirtioNetFeature.MRG_RXBUF);
    this.#checksumTx = core.has(VirtioNetFeature.CSUM);
    this.#checksumRx = core.has(VirtioNetFeature.GUEST_CSUM);
    // Negotiated only with GUEST_CSUM and MRG_RXBUF (see the option).
    this.#guestTso = core.has(VirtioNetFeature.GUEST_TSO4);
    this.#hasStatus = core.has(VirtioNetFeature.STATUS);
    this.macAddress = mac;
    this.capabilities = {
      maxTransmitUnit: mtu,
      maxBurstSize: queueSize,
      checksumOffload: { transmit: this.#checksumTx, receive: this.#checksumRx },
      segmentationOffload: largePool !== null,
    };
    this.#rxViews = rxPool.buffers.map((b) => b.bytes);
    this.#rxViewLengths = new Int32Array(rxPool.count).fill(-1);
    this.#txViews = txPool.buffers.map((b) => b.bytes);
    this.#txViewLengths = new Int32Array(txPool.count).fill(-1);
    this.#scratch = new Uint8Array(this.#guestTso ? TSO_MAX_FRAME : this.#maxFrame);
    this.#onRxUsed = this.#mergeable
      ? (token, len) => this.#rxUsedMerged(token, len)
      : (token, len) => this.#rxUsed(token, len);
    const small = txPool.count;
    this.#onTxUsed = (token) => {
      if (token < small) txPool.free(txPool.buffers[token]!);
      else largePool?.free(largePool.buffers[token - small]!);
    };
  }

  /**
   * Opens a virtio-net device: initialises it (§5.1.5), reads MAC / MTU / status, carves
   * the buffer pools from `dma` and fills the receive queue.
   *
   * @param options - where the device is and what to negotiate
   * @returns the driver, ready to send and receive
   * @throws {@link VirtioNetError} `BAD_OPTION` (queue or receive buffer size),
   *   `NO_MEMORY` (pools); `TransportError` when the device is absent, not a network
   *   card, or refuses the features or queues
   * @example
   * ```ts
   * const nic = await VirtioNetDriver.open({ memory, dma, base: 0x1000, link, rxBufferSize: 512 });
   * ```
   */
  static async open(options: VirtioNetDriverOptions): Promise<VirtioNetDriver> {
    const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 32768) {
      throw new VirtioNetError('BAD_OPTION', `queue size ${queueSize} is outside 1..32768`);
    }
    const rxSize = options.rxBufferSize;
    if (rxSize !== undefined && (!Number.isInteger(rxSize) || rxSize < VIRTIO_NET_HDR_SIZE)) {
      throw new VirtioNetError(
        'BAD_OPTION',
        `receive buffers of ${rxSize} bytes cannot hold a header`,
      );
    }
    const batch = options.transmitBatch ?? 1;
    if (!Number.isInteger(batch) || batch < 1 || batch > queueSize) {
      throw new VirtioNetError('BAD_OPTION', `transmit batch ${batch}: not 1..${queueSize}`);
    }
    const large = options.largeTxBuffers ?? DEFAULT_LARGE_TX_BUFFERS;
    if (!Number.isInteger(large) || large < 1 || large > queueSize) {
      throw new VirtioNetError(
        'BAD_OPTION',
        `${large} large transmit buffers: not 1..${queueSize}`,
      );
    }
    const fallback = options.fallbackMac;
    if (fallback !== undefined && fallback.length !== 6) {
      throw new VirtioNetError('BAD_OPTION', 'a MAC address has 6 bytes');
    }
    const checksum = options.checksumOffload ?? true;
    const features =
      featureMask(VirtioNetFeature.MAC, VirtioNetFeature.STATUS, VirtioNetFeature.MTU) |
      (checksum ? featureMask(VirtioNetFeature.CSUM, VirtioNetFeature.GUEST_CSUM) : 0n) |
      // §5.1.3.1: HOST_TSO4 requires CSUM, GUEST_TSO4 GUEST_CSUM (also enforced below).
      (checksum && (options.segmentationOffload ?? true)
        ? featureMask(VirtioNetFeature.HOST_TSO4)
        : 0n) |
      (checksum && options.receiveSegmentationOffload === true
        ? featureMask(VirtioNetFeature.GUEST_TSO4)
        : 0n) |
      ((options.mergeableRxBuffers ?? true) ? featureMask(VirtioNetFeature.MRG_RXBUF) : 0n);
    let driver: VirtioNetDriver | null = null;
    const core = await DriverCore.open({
      memory: options.memory,
      dma: options.dma,
      base: options.base,
      link: options.link,
      deviceId: DeviceType.NET,
      features,
      queueSizes: [queueSize, queueSize],
      featureDependencies: DRIVER_FEATURE_DEPENDENCIES,
      ...(options.eventIdx === undefined ? {} : { eventIdx: options.eventIdx }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      onConfigChange: () => {
        if (driver !== null) driver.#readStatus();
      },
      ...(options.onFailure === undefined ? {} : { onFailure: options.onFailure }),
    });
    const pools: BufferPool[] = [];
    try {
      const config = decodeVirtioNetConfig(
        core.transport.readConfig(0, VirtioNetConfigOffset.SIZE),
      );
      // §5.1.4.1: a device MTU outside 68..65535 is invalid; fall back to Ethernet's.
      const mtu = core.has(VirtioNetFeature.MTU) && config.mtu >= 68 ? config.mtu : DEFAULT_MTU;
      const mac = core.has(VirtioNetFeature.MAC)
        ? config.mac
        : (fallback?.slice() ??
          Uint8Array.of(0x02, 0x00, ...[24, 16, 8, 0].map((s) => (options.base >>> s) & 0xff)));
      const packet = VIRTIO_NET_HDR_SIZE + mtu + ETHERNET_HEADER_BYTES;
      const mergeable = core.has(VirtioNetFeature.MRG_RXBUF);
      const bufferSize = rxSize ?? (mergeable ? MERGEABLE_RX_BUFFER : roundUp64(packet));
      // §5.1.6.4.1 / §5.1.4.2: the ring must be able to hold one MTU-sized packet.
      if (mergeable ? bufferSize * queueSize < packet : bufferSize < packet) {
        throw new VirtioNetError(
          'BAD_OPTION',
          `receive buffers of ${bufferSize} bytes cannot hold a ${packet}-byte packet`,
        );
      }
      pools.push(makePool(options.dma, queueSize, bufferSize));
      pools.push(makePool(options.dma, queueSize, roundUp64(packet)));
      const tso = core.has(VirtioNetFeature.HOST_TSO4) && core.has(VirtioNetFeature.CSUM);
      // Only worth it when a TSO frame can be larger than an MTU-sized one.
      if (tso && mtu + ETHERNET_HEADER_BYTES < TSO_MAX_FRAME) {
        pools.push(makePool(options.dma, large, roundUp64(VIRTIO_NET_HDR_SIZE + TSO_MAX_FRAME)));
      }
      driver = new VirtioNetDriver(
        core,
        options.dma,
        pools[0]!,
        pools[1]!,
        pools[2] ?? null,
        mtu,
        mac,
        queueSize,
      );
    } catch (e) {
      for (const p of pools) options.dma.free(p.addr);
      await core.close().catch(() => {});
      throw e;
    }
    driver.#txBatch = batch;
    driver.#readStatus();
    // Transmit buffers are reclaimed lazily when the pool runs dry: no interrupts needed.
    driver.#txq.disableInterrupts();
    driver.#fillReceiveQueue();
    return driver;
  }

  /**
   * Whether GUEST_TSO4 was negotiated: `receive` may lend TCP/IPv4 frames above MTU + 14
   * (up to 65535 + 14), delivered whole as the peer's stack sent them. Such a frame's
   * TCP checksum field holds only the pseudo-header sum (the device sent it with
   * NEEDS_CSUM, §5.1.6.4): it is lent with `checksumVerified` true, meaning "the
   * payload was produced in-host and is trusted; do not verify", and a consumer that
   * forwards it elsewhere must complete the checksum first.
   */
  get receiveSegmentationOffload(): boolean {
    return this.#guestTso;
  }

  /** The first failure (device needs reset, hostile used ring), or null while healthy. */
  get failure(): Error | null {
    return this.core.failure;
  }

  /** Whether the link is up (configuration `status`, VIRTIO_NET_F_STATUS; else always true). */
  get linkUp(): boolean {
    return this.#linkUp;
  }

  /**
   * Lends up to `budget` received frames to `onFrame`, oldest first, then re-posts their
   * buffers and notifies the device once. Frames the device returned malformed are
   * dropped and counted in `stats.rxErrors`.
   *
   * @param onFrame - called with each frame (a view valid only during the call)
   * @param budget - most frames to deliver
   * @returns frames delivered; 0 when none is pending, after a failure or `close`, or
   *   when called from inside `onFrame`
   */
  receive(onFrame: FrameReceiver, budget: number): number {
    if (this.#closed || this.#receiving || this.core.failure !== null || this.#rxq.failed) {
      return 0;
    }
    this.flush();
    this.#receiving = true;
    this.#onFrame = onFrame;
    this.#delivered = 0;
    this.#reposted = 0;
    try {
      if (!this.#mergeable) {
        this.#rxq.pollUsed(this.#onRxUsed, budget);
      } else {
        // A frame takes ≥ 1 buffer, so reclaiming ≤ budget − delivered buffers per
        // round never completes more than `budget` frames.
        while (this.#delivered < budget) {
          if (this.#rxq.pollUsed(this.#onRxUsed, budget - this.#delivered) === 0) break;
        }
      }
    } finally {
      this.#onFrame = null;
      this.#receiving = false;
      if (this.#reposted > 0 && !this.#rxq.failed) this.core.kick(RX_QUEUE);
    }
    return this.#delivered;
  }

  /**
   * Lends `fill` a transmit buffer of exactly `length` bytes and queues the frame.
   *
   * With segmentation offload (`capabilities.segmentationOffload`), a frame longer than
   * MTU + 14 (up to 65535 + 14) goes to the device as one TSO request (virtio 1.2
   * §5.1.6.2): it must be an untagged, unfragmented TCP/IPv4 frame whose IPv4 total
   * length is `length − 14`; the driver sets gso_type TCPV4, `gso_size` = MTU − IPv4
   * header − TCP header, `hdr_len`, and NEEDS_CSUM with the pseudo-header sum. Such a
   * frame that turns out (after `fill`) not to be segmentable is refused: `transmit`
   * returns false and counts it in `stats.txOversizeRejected`.
   *
   * @param length - frame length, 14..MTU + 14 (…65535 + 14 with segmentation offload)
   * @param fill - writes the frame (called at most once, synchronously)
   * @returns false, without calling `fill`, when no buffer is free, `length` is out of
   *   range, the device failed, or the driver was closed; false after `fill` for an
   *   oversized frame that is not TCP/IPv4
   */
  transmit(length: number, fill: FrameFiller): boolean {
    if (!(length >= ETHERNET_HEADER_BYTES && length <= this.#maxFrame)) {
      return length > this.#maxFrame && this.#transmitLarge(length, fill);
    }
    if (!Number.isInteger(length) || this.core.failure !== null || this.#txq.failed) return false;
    if (this.#closed) return false;
    const pool = this.#txPool;
    if (pool.available === 0 || this.#txq.freeCount === 0) {
      this.flush(); // frames still unannounced hold buffers the device cannot return
      this.#txq.pollUsed(this.#onTxUsed);
      if (this.#txq.failed) return false; // a hostile used ring, seen just now
    }
    if (pool.available === 0 || this.#txq.freeCount === 0) {
      this.stats.txRefused++;
      return false;
    }
    const buffer = pool.alloc()!;
    const i = buffer.index;
    let view = this.#txViews[i]!;
    if (this.#txViewLengths[i] !== length) {
      view = buffer.bytes.subarray(VIRTIO_NET_HDR_SIZE, VIRTIO_NET_HDR_SIZE + length);
      this.#txViews[i] = view;
      this.#txViewLengths[i] = length;
    }
    try {
      fill(view);
    } catch (e) {
      pool.free(buffer);
      throw e;
    }
    this.#writeTransmitHeader(buffer.bytes, view, length);
    // One descriptor per buffer and no more buffers than descriptors: always room.
    if (!this.#txq.addBuffer(buffer.addr, VIRTIO_NET_HDR_SIZE + length, false, i)) {
      pool.free(buffer);
      this.stats.txRefused++;
      return false;
    }
    this.stats.txFrames++;
    if (++this.#txUnkicked >= this.#txBatch) this.flush();
    return true;
  }

  /**
   * Publishes the frames `transmit` queued since the last doorbell and notifies the
   * device if it asked (virtio 1.2 §2.7.13, EVENT_IDX). Only needed with
   * `transmitBatch` > 1, and even then `receive` and `poll` do it.
   *
   * @example
   * ```ts
   * for (const f of frames) nic.transmit(f.length, (b) => b.set(f));
   * nic.flush();
   * ```
   */
  flush(): void {
    if (this.#txUnkicked === 0) return;
    this.#txUnkicked = 0;
    if (this.#closed || this.#txq.failed) return;
    this.core.kick(TX_QUEUE);
  }

  /**
   * Handles a pending interrupt (configuration change, device needs reset). Inline links
   * deliver interrupts by themselves; worker links need a call from the run loop.
   *
   * @example
   * ```ts
   * nic.poll();
   * if (nic.failure) console.error(nic.failure);
   * ```
   */
  poll(): void {
    this.flush();
    this.core.poll();
  }

  /**
   * Resets the device and gives the rings and buffer pools back to the allocator. The
   * driver is unusable afterwards (`transmit` returns false, `receive` 0); a second call
   * does nothing.
   *
   * @example
   * ```ts
   * await nic.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    try {
      await this.core.close();
    } finally {
      this.#dma.free(this.#rxPool.addr);
      this.#dma.free(this.#txPool.addr);
      if (this.#largePool !== null) this.#dma.free(this.#largePool.addr);
    }
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #readStatus(): void {
    if (!this.#hasStatus) return;
    try {
      const status = this.core.transport.readConfig(VirtioNetConfigOffset.STATUS, 2);
      this.#linkUp = (readLe16(status, 0) & VirtioNetStatus.LINK_UP) !== 0;
    } catch {
      // A device that needs a reset: the failure path reports it.
    }
  }

  #fillReceiveQueue(): void {
    const pool = this.#rxPool;
    for (let b = pool.alloc(); b !== null; b = pool.alloc()) {
      if (!this.#rxq.addBuffer(b.addr, pool.bufferSize, true, b.index)) {
        pool.free(b);
        break;
      }
    }
    this.core.kick(RX_QUEUE);
  }

  /** virtio 1.2 §5.1.6.2: header first; NEEDS_CSUM when the device completes the checksum. */
  #writeTransmitHeader(bytes: Uint8Array, frame: Uint8Array, length: number): void {
    bytes.fill(0, 0, VIRTIO_NET_HDR_SIZE); // gso_type NONE, num_buffers 0 (§5.1.6.2.1)
    if (!this.#checksumTx) return;
    const at = preparePartialChecksum(frame, length);
    if (at < 0) return;
    bytes[HDR_FLAGS] = VirtioNetHeaderFlag.NEEDS_CSUM;
    writeLe16(bytes, HDR_CSUM_START, Math.floor(at / 0x10000));
    writeLe16(bytes, HDR_CSUM_OFFSET, at & 0xffff);
    this.stats.txChecksumOffloads++;
  }

  /** A frame above MTU + 14: one TSO request in a 64 KiB buffer (virtio 1.2 §5.1.6.2). */
  #transmitLarge(length: number, fill: FrameFiller): boolean {
    const pool = this.#largePool;
    if (pool === null || length > TSO_MAX_FRAME || !Number.isInteger(length)) return false;
    if (this.#closed || this.core.failure !== null || this.#txq.failed) return false;
    if (pool.available === 0 || this.#txq.freeCount === 0) {
      this.flush(); // frames still unannounced hold buffers the device cannot return
      this.#txq.pollUsed(this.#onTxUsed);
      if (this.#txq.failed) return false;
    }
    if (pool.available === 0 || this.#txq.freeCount === 0) {
      this.stats.txRefused++;
      return false;
    }
    const buffer = pool.alloc()!;
    const bytes = buffer.bytes;
    const frame = bytes.subarray(VIRTIO_NET_HDR_SIZE, VIRTIO_NET_HDR_SIZE + length);
    try {
      fill(frame);
    } catch (e) {
      pool.free(buffer);
      throw e;
    }
    const headerLength = tcpIpv4HeaderLength(frame, length);
    const at = headerLength < 0 ? -1 : preparePartialChecksum(frame, length);
    const mss = this.#mtu - (headerLength - ETHERNET_HEADER_BYTES);
    if (at < 0 || mss < 1) {
      pool.free(buffer);
      this.stats.txOversizeRejected++;
      return false;
    }
    bytes.fill(0, 0, VIRTIO_NET_HDR_SIZE);
    bytes[HDR_FLAGS] = VirtioNetHeaderFlag.NEEDS_CSUM; // §5.1.6.2: TSO needs a partial csum
    bytes[HDR_GSO_TYPE] = VirtioNetGsoType.TCPV4;
    writeLe16(bytes, HDR_HDR_LEN, headerLength);
    writeLe16(bytes, HDR_GSO_SIZE, mss); // the MSS: MTU − IPv4 − TCP headers
    writeLe16(bytes, HDR_CSUM_START, Math.floor(at / 0x10000));
    writeLe16(bytes, HDR_CSUM_OFFSET, at & 0xffff);
    const token = this.#txPool.count + buffer.index;
    if (!this.#txq.addBuffer(buffer.addr, VIRTIO_NET_HDR_SIZE + length, false, token)) {
      pool.free(buffer);
      this.stats.txRefused++;
      return false;
    }
    this.stats.txFrames++;
    this.stats.txSegmentationOffloads++;
    if (++this.#txUnkicked >= this.#txBatch) this.flush();
    return true;
  }

  /** Re-posts receive buffer `token` (a descriptor was just freed, so there is room). */
  #repost(buffer: PoolBuffer): void {
    this.#rxq.addBuffer(buffer.addr, this.#rxPool.bufferSize, true, buffer.index);
    this.#reposted++;
  }

  /** One used receive buffer = one frame (no MRG_RXBUF). */
  #rxUsed(token: number, len: number): void {
    const buffer = this.#rxPool.buffers[token]!;
    try {
      if (len < VIRTIO_NET_HDR_SIZE + ETHERNET_HEADER_BYTES) {
        this.stats.rxErrors++;
        return;
      }
      // GSO frames come only with GUEST_TSO4, which needs MRG_RXBUF here: drop any other.
      if (buffer.bytes[HDR_GSO_TYPE] !== VirtioNetGsoType.NONE) {
        this.stats.rxErrors++;
        return;
      }
      this.#deliver(this.#rxView(buffer, len), this.#verified(buffer.bytes));
    } finally {
      this.#repost(buffer);
    }
  }

  /** One used receive buffer with MRG_RXBUF: a whole frame, or a part of one (§5.1.6.5.2). */
  #rxUsedMerged(token: number, len: number): void {
    const buffer = this.#rxPool.buffers[token]!;
    const bytes = buffer.bytes;
    try {
      if (this.#mergeRemaining === 0) {
        if (len < VIRTIO_NET_HDR_SIZE) {
          this.stats.rxErrors++;
          return;
        }
        const count = readLe16(bytes, HDR_NUM_BUFFERS);
        const verified = this.#verified(bytes);
        // §5.1.6.4: gso_type TCPV4 only with GUEST_TSO4; anything else is malformed.
        const gsoType = bytes[HDR_GSO_TYPE];
        const gso = gsoType === VirtioNetGsoType.TCPV4 && this.#guestTso;
        const badGso = gsoType !== VirtioNetGsoType.NONE && !gso;
        if (count <= 1) {
          const frameLength = len - VIRTIO_NET_HDR_SIZE;
          const tooLong = !gso && frameLength > this.#maxFrame;
          if (count === 0 || badGso || tooLong || frameLength < ETHERNET_HEADER_BYTES) {
            this.stats.rxErrors++;
            return;
          }
          this.#deliver(this.#rxView(buffer, len), verified, gso);
          return;
        }
        this.#mergeRemaining = count - 1;
        this.#mergeVerified = verified;
        this.#mergeLength = 0;
        this.#mergeBroken = badGso; // its buffers are still consumed, then it is dropped
        this.#mergeGso = gso;
        // Only a GSO frame may exceed MTU + 14 (up to 65535 + 14, the scratch size).
        this.#mergeLimit = gso ? this.#scratch.length : this.#maxFrame;
        this.#append(bytes, VIRTIO_NET_HDR_SIZE, len);
        return;
      }
      this.#append(bytes, 0, len);
      if (--this.#mergeRemaining > 0) return;
      if (this.#mergeBroken || this.#mergeLength < ETHERNET_HEADER_BYTES) {
        this.stats.rxErrors++;
        return;
      }
      const frame = this.#scratch.subarray(0, this.#mergeLength);
      this.#deliver(frame, this.#mergeVerified, this.#mergeGso);
    } finally {
      this.#repost(buffer);
    }
  }

  #append(bytes: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.#mergeBroken || this.#mergeLength + n > this.#mergeLimit) {
      this.#mergeBroken = true; // too long for its kind: dropped when complete
      return;
    }
    this.#scratch.set(bytes.subarray(from, to), this.#mergeLength);
    this.#mergeLength += n;
  }

  #rxView(buffer: PoolBuffer, len: number): Uint8Array {
    const i = buffer.index;
    if (this.#rxViewLengths[i] === len) return this.#rxViews[i]!;
    const view = buffer.bytes.subarray(VIRTIO_NET_HDR_SIZE, len);
    this.#rxViews[i] = view;
    this.#rxViewLengths[i] = len;
    return view;
  }

  /**
   * `checksumVerified` for a received header (virtio 1.2 §5.1.6.4): DATA_VALID, or
   * NEEDS_CSUM — a partial checksum from an in-host sender whose payload is trusted.
   */
  #verified(header: Uint8Array): boolean {
    const flags = VirtioNetHeaderFlag.DATA_VALID | VirtioNetHeaderFlag.NEEDS_CSUM;
    return this.#checksumRx && (header[HDR_FLAGS]! & flags) !== 0;
  }

  #deliver(frame: Uint8Array, verified: boolean, gso = false): void {
    if (gso) this.stats.rxLargeFrames++;
    this.stats.rxFrames++;
    this.#delivered++;
    this.#onFrame!(frame, verified);
  }
}

function makePool(dma: DmaAllocator, count: number, size: number): BufferPool {
  try {
    // Frames are written before they are read (by the device on receive, by the driver
    // on transmit): no need to zero — and touch — megabytes of fresh guest memory.
    return BufferPool.fromDma(dma, count, size, 64, false);
  } catch (e) {
    throw new VirtioNetError(
      'NO_MEMORY',
      `no DMA memory for ${count} × ${size}-byte buffers: ${String(e)}`,
    );
  }
}
