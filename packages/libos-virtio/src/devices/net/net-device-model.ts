import type { FrameFiller, FrameReceiver, NetDevice } from '@libos/net';
import type { DeviceModelPlacement } from '../../core/device-model-core.js';
import { DeviceModelCore } from '../../core/device-model-core.js';
import { DeviceType } from '../../device-type.js';
import { featureMask, hasFeature } from '../../feature-bits.js';
import { DescriptorChain } from '../../queue/descriptor-chain.js';
import type { SplitQueueDevice } from '../../queue/split-queue-device.js';
import { copyFromChain, copyToChain } from './chain-copy.js';
import { type GsoFrameReceiver, type GsoNetPort, isGsoNetPort } from './gso-net-port.js';
import { encodeVirtioNetConfig, readLe16, writeLe16 } from './net-config.js';
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
  VIRTIO_NET_HDR_SIZE,
  VirtioNetConfigOffset,
  VirtioNetFeature,
  VirtioNetGsoType,
  VirtioNetHeaderFlag,
  VirtioNetStatus,
} from './net-constants.js';
import { completePartialChecksum } from './partial-checksum.js';
import {
  TCP_CHECKSUM_OFFSET,
  TSO_MAX_FRAME,
  tcpIpv4HeaderLength,
  writeTcpSegment,
} from './tcp-segmentation.js';
import { VirtioNetError } from './virtio-net-error.js';

/**
 * Options of a {@link VirtioNetDeviceModel}.
 *
 * @example
 * ```ts
 * import type { VirtioNetDeviceModelOptions } from '@libos/virtio';
 * const options: VirtioNetDeviceModelOptions = {
 *   mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
 *   mergeableRxBuffers: true,
 * };
 * ```
 */
export interface VirtioNetDeviceModelOptions {
  /** MAC address in the configuration space (VIRTIO_NET_F_MAC). Default 52:54:00:12:34:56. */
  readonly mac?: Uint8Array;
  /**
   * MTU in the configuration space (VIRTIO_NET_F_MTU), 68..65535. Default: the backend's.
   * Transmitted frames longer than the backend accepts are dropped (`txDropped`).
   */
  readonly mtu?: number;
  /** Maximum size of the receive and transmit queues (power of two). Default 256. */
  readonly queueSize?: number;
  /** Offer VIRTIO_NET_F_MRG_RXBUF. Default true. */
  readonly mergeableRxBuffers?: boolean;
  /** Offer VIRTIO_NET_F_CSUM and VIRTIO_NET_F_GUEST_CSUM. Default true. */
  readonly checksumOffload?: boolean;
  /**
   * Offer VIRTIO_NET_F_HOST_TSO4: the driver may hand over TCP/IPv4 frames of up to
   * 65535 + 14 bytes, which the model splits into MSS-sized segments (§5.1.6.2). Only
   * offered together with CSUM (§5.1.3.1), so ignored when `checksumOffload` is false.
   * Default true. Costs one 64 KiB staging buffer. When the backend is a
   * {@link GsoNetPort}, TSO requests are not segmented here but handed over whole.
   */
  readonly segmentationOffload?: boolean;
  /**
   * Offer VIRTIO_NET_F_GUEST_TSO4 when the backend is a {@link GsoNetPort} (which can
   * deliver GSO frames) and `checksumOffload` is on (GUEST_TSO4 needs GUEST_CSUM,
   * §5.1.3.1). Default true. Costs one 64 KiB staging buffer.
   */
  readonly guestSegmentationOffload?: boolean;
  /** Initial link state (`status` LINK_UP). Default true. */
  readonly linkUp?: boolean;
  /** Most frames moved from the backend into the receive queue per serve. Default 64. */
  readonly receiveBudget?: number;
}

/**
 * Counters of a {@link VirtioNetDeviceModel} since construction (live, updated in place).
 *
 * @example
 * ```ts
 * const { txFrames, txDropped, rxDropped } = model.stats;
 * ```
 */
export interface VirtioNetDeviceStats {
  /** Frames handed to the backend (each TSO segment counts as one). */
  txFrames: number;
  /** Bytes of those frames (without the virtio-net header). */
  txBytes: number;
  /** Well-formed transmit chains whose frame was invalid (size, checksum range, GSO) and not sent. */
  txDropped: number;
  /** Times the backend refused a frame (back-pressure); the chain was kept and retried. */
  txDeferred: number;
  /** Partial checksums completed for NEEDS_CSUM frames (and TCP checksums of TSO segments). */
  txChecksums: number;
  /** TSO (gso_type TCPV4) chains fully segmented and sent; their segments are in `txFrames`. */
  txSegmented: number;
  /** Frames written into the receive queue. */
  rxFrames: number;
  /** Bytes of those frames (without the virtio-net header). */
  rxBytes: number;
  /** Receive chains used (more than `rxFrames` when frames span several buffers). */
  rxBuffers: number;
  /** Backend frames dropped: longer than MTU + 14, or than a receive buffer without MRG_RXBUF; malformed GSO frames. */
  rxDropped: number;
  /** TSO chains handed to a {@link GsoNetPort} backend whole (not segmented; also in `txFrames`). */
  txGsoForwarded: number;
  /** GSO frames from the backend written whole into the receive queue (GUEST_TSO4; also in `rxFrames`). */
  rxGsoFrames: number;
  /** GSO frames from the backend cut into segments here (no GUEST_TSO4, or too large for the buffers); each segment is in `rxFrames`. */
  rxSegmented: number;
}

/** Outcome of writing one frame into receive chains. */
type Placement = 'placed' | 'needs-buffers' | 'too-large';

const DEFAULT_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const DEFAULT_QUEUE_SIZE = 256;
const DEFAULT_RECEIVE_BUDGET = 64;

/**
 * The device (hypervisor) side of virtio-net (virtio 1.2 §5.1): a {@link DeviceModelCore}
 * with one receive and one transmit queue whose frames go to and come from a **backend
 * port**, any `NetDevice` (`@libos/net`) on the host side (e.g. one end of `createLink()`).
 *
 * Offers MAC, STATUS, MTU, and (by default) CSUM, GUEST_CSUM, HOST_TSO4 and MRG_RXBUF;
 * GUEST_TSO4 too when the backend is a {@link GsoNetPort} (e.g. {@link createOffloadLink}),
 * the only kind of backend that delivers frames larger than MTU + 14.
 *
 * **Transmit** (queue 1, on every notification and {@link VirtioNetDeviceModel.poll}):
 * each chain is `virtio_net_hdr` (12 bytes) + frame, device-readable only. The header is
 * stripped; NEEDS_CSUM checksums are completed (the backend interface carries no
 * offload request, so the model always computes them); the frame goes to
 * `backend.transmit`. When the backend refuses (full), the chain is **kept** and retried
 * on the next serve or poll — never dropped.
 *
 * **TCP segmentation** (HOST_TSO4, §5.1.6.2): a chain with `gso_type` TCPV4 carries a
 * TCP/IPv4 frame of up to 65535 + 14 bytes. It is staged, validated, and sent as
 * `ceil(payload / gso_size)` segments, each a full frame with its own IPv4 length,
 * identification and header checksum, TCP sequence number, flags and checksum. If the
 * backend refuses a segment, the chain is kept with its position: the next serve
 * resumes at that segment (none lost, none sent twice); the chain is returned once all
 * have gone. When the backend is a {@link GsoNetPort}, the validated request is not
 * segmented: it goes whole to `backend.transmitGso` with its `gso_size` (a vhost
 * switch's pass-through; the receiving side segments only if it must).
 *
 * **Receive** (queue 0): a frame is pulled from `backend.receive` only once a receive
 * chain is in hand, so when the driver's ring is empty frames **wait in the backend**
 * (which then applies its own back-pressure) — none are lost. Each frame is written as
 * header + frame; with MRG_RXBUF it may span several chains (`num_buffers` set in the
 * first header, §5.1.6.4); a frame that does not fit the chains available yet is staged
 * (one frame, bounded) until the driver posts more.
 *
 * **Large receive** (GUEST_TSO4, §5.1.6.4): a GSO frame from a {@link GsoNetPort}
 * backend reaches a driver that negotiated GUEST_TSO4 whole, with gso_type TCPV4,
 * `gso_size` (at most this MTU − the frame's headers), `hdr_len`, and NEEDS_CSUM with
 * `csum_start` at the TCP header and `csum_offset` 16 — the TCP checksum field holds
 * the pseudo-header sum only (§5.1.6.4.1: a partial checksum the driver need not
 * verify). With MRG_RXBUF it spans as many buffers as needed (`num_buffers`); without,
 * it needs one buffer of 12 + the frame (§5.1.6.3.1 asks such drivers for 65562-byte
 * buffers). A GSO frame that the driver cannot take whole — no GUEST_TSO4, a buffer too
 * small, or a whole ring too small — is cut here into MSS-sized segments with complete
 * checksums (DATA_VALID with GUEST_CSUM), so nothing is lost for want of an offload.
 *
 * **Hostile driver input never throws** out of the device loop:
 * - structural errors — a transmit chain with device-writable descriptors or fewer than
 *   12 readable bytes, a receive chain with device-readable descriptors or fewer than 12
 *   writable bytes (§5.1.6.4.1), a receive ring that cannot hold one MTU-sized frame
 *   (§5.1.4.2) — are queue violations: the queue stops and DEVICE_NEEDS_RESET is set;
 * - frame-level errors — frame shorter than 14 bytes or longer than MTU + 14, a
 *   `csum_start + csum_offset + 2` past the frame, a GSO type other than NONE (or than
 *   TCPV4 with HOST_TSO4), a TSO request that is malformed (no NEEDS_CSUM, `gso_size` 0,
 *   `hdr_len` past the frame, not TCP/IPv4, checksum position not the TCP checksum, a
 *   segment above MTU + 14) — drop
 *   the frame, count it in `txDropped` and return the chain (used length 0).
 *
 * ```text
 *  guest driver ── transmitq1 ──► [strip hdr, csum] ──► backend.transmit ──► wire
 *  guest driver ◄── receiveq1 ◄── [hdr + frame]     ◄── backend.receive  ◄── wire
 * ```
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { createLink } from '@libos/net';
 * import { InlineLink, VirtioNetDeviceModel } from '@libos/virtio';
 * const memory = new GuestMemory(4 << 20);
 * const [backend, wire] = createLink();
 * const model = new VirtioNetDeviceModel({ memory, base: 0x1000, link: new InlineLink(memory) }, backend);
 * model.start();
 * // … a driver opens the device; then, from the run loop:
 * model.poll();
 * ```
 */
export class VirtioNetDeviceModel {
  /** The shared device-model machinery (transport, queues). */
  readonly core: DeviceModelCore;
  /** The host-side port frames are forwarded to and from. */
  readonly backend: NetDevice;
  /** The MTU in the configuration space. */
  readonly mtu: number;
  /** The MAC address in the configuration space. */
  readonly macAddress: Uint8Array;
  /** Counters, updated in place. */
  readonly stats: VirtioNetDeviceStats = {
    txFrames: 0,
    txBytes: 0,
    txDropped: 0,
    txDeferred: 0,
    txChecksums: 0,
    txSegmented: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxBuffers: 0,
    rxDropped: 0,
    txGsoForwarded: 0,
    rxGsoFrames: 0,
    rxSegmented: 0,
  };

  readonly #guest: Uint8Array;
  readonly #maxFrame: number;
  readonly #backendMaxFrame: number;
  readonly #receiveBudget: number;
  /** The backend as a GSO port, or null when it carries only MTU-sized frames. */
  readonly #gsoPort: GsoNetPort | null;
  #linkUp: boolean;

  // Negotiated, fixed at DRIVER_OK.
  #mergeable = false;
  #guestCsum = false;
  #hostTso = false;
  #guestTso = false;

  // Transmit: one validated chain may wait for the backend.
  readonly #txChain: DescriptorChain;
  readonly #txHeader = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  #txHeld = false;
  #txFrameLength = 0;
  #txCsumStart = -1;
  #txCsumOffset = 0;
  readonly #fillTx: FrameFiller;

  // TSO: the held chain's frame staged whole, and the segment to send next.
  readonly #gsoStage: Uint8Array | null;
  #gsoHeaderLength = -1; // -1: the held chain is not a TSO request
  #gsoSize = 0;
  #gsoPayloadLength = 0;
  #gsoOffset = 0;
  #gsoIndex = 0;
  readonly #fillSegment: FrameFiller;
  readonly #fillGso: FrameFiller;

  // Receive: chains popped for the frame in progress, the frame's progress, one staged frame.
  readonly #rxChains: DescriptorChain[];
  readonly #rxHeader = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  readonly #rxNumBuffers = new Uint8Array(2);
  readonly #rxStage: Uint8Array;
  #rxQueue: SplitQueueDevice | null = null;
  #rxHeld = 0;
  #rxCursor = 0;
  #rxChainOffset = 0;
  #rxPacketOffset = 0;
  #rxStagedLength = -1;
  #rxStagedVerified = false;
  #rxStagedGso = false; // the staged frame is the GSO frame in #rxLargeStage
  readonly #onBackendFrame: FrameReceiver;
  readonly #onBackendGso: GsoFrameReceiver;

  // Large receive: one GSO frame (staged whole, or being cut into segments).
  readonly #rxLargeStage: Uint8Array | null;
  #rxGsoSize = 0; // gso_size of the GSO frame being placed whole; 0 = an ordinary frame
  #rxGsoHeaderLength = 0;
  #rxGsoCsumStart = 0;
  #rxSegLength = 0; // length of the frame in #rxLargeStage being segmented
  #rxSegHeaderLength = -1; // -1: no segmentation in progress
  #rxSegSize = 0;
  #rxSegOffset = 0;
  #rxSegIndex = 0;

  /**
   * @param placement - memory, register block and doorbells (the same shape a worker
   *   thread would pass)
   * @param backend - the host-side port
   * @param options - configuration and offered features
   * @throws {@link VirtioNetError} `BAD_OPTION` for an MTU outside 68..65535, a MAC that is
   *   not 6 bytes, or a bad queue size or budget
   */
  constructor(
    placement: DeviceModelPlacement,
    backend: NetDevice,
    options: VirtioNetDeviceModelOptions = {},
  ) {
    const mtu = options.mtu ?? backend.capabilities.maxTransmitUnit;
    const mac = options.mac ?? DEFAULT_MAC;
    const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    const budget = options.receiveBudget ?? DEFAULT_RECEIVE_BUDGET;
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new VirtioNetError('BAD_OPTION', `MTU ${mtu} is outside 68..65535`); // §5.1.4.1
    }
    if (mac.length !== 6) throw new VirtioNetError('BAD_OPTION', 'a MAC address has 6 bytes');
    if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 32768) {
      throw new VirtioNetError('BAD_OPTION', `queue size ${queueSize} is outside 1..32768`);
    }
    if (!Number.isInteger(budget) || budget < 1) {
      throw new VirtioNetError('BAD_OPTION', `receive budget ${budget} is not a positive integer`);
    }
    this.backend = backend;
    this.mtu = mtu;
    this.macAddress = mac.slice();
    this.#guest = placement.memory.u8;
    this.#maxFrame = mtu + ETHERNET_HEADER_BYTES;
    this.#backendMaxFrame = backend.capabilities.maxTransmitUnit + ETHERNET_HEADER_BYTES;
    this.#receiveBudget = budget;
    this.#linkUp = options.linkUp ?? true;
    this.#txChain = new DescriptorChain(placement.memory);
    this.#rxChains = Array.from({ length: queueSize }, () => new DescriptorChain(placement.memory));
    this.#rxStage = new Uint8Array(this.#maxFrame);
    this.#fillTx = (buffer) => this.#fillTransmit(buffer);
    this.#fillSegment = (buffer) => this.#fillTcpSegment(buffer);
    this.#fillGso = (buffer) => this.#fillGsoFrame(buffer);
    this.#onBackendFrame = (frame, verified) => this.#receiveFrame(frame, verified);
    this.#onBackendGso = (frame, gsoSize, verified) =>
      gsoSize === 0 ? this.#receiveFrame(frame, verified) : this.#receiveGso(frame, gsoSize);
    this.#gsoPort = isGsoNetPort(backend) ? backend : null;

    const offload = options.checksumOffload ?? true;
    const tso = offload && (options.segmentationOffload ?? true); // §5.1.3.1: needs CSUM
    this.#gsoStage = tso ? new Uint8Array(TSO_MAX_FRAME) : null;
    // §5.1.3.1: GUEST_TSO4 needs GUEST_CSUM; only a GSO port delivers large frames.
    const guestTso =
      offload && this.#gsoPort !== null && (options.guestSegmentationOffload ?? true);
    this.#rxLargeStage = this.#gsoPort !== null ? new Uint8Array(TSO_MAX_FRAME) : null;
    const features =
      featureMask(VirtioNetFeature.MAC, VirtioNetFeature.STATUS, VirtioNetFeature.MTU) |
      (offload ? featureMask(VirtioNetFeature.CSUM, VirtioNetFeature.GUEST_CSUM) : 0n) |
      (tso ? featureMask(VirtioNetFeature.HOST_TSO4) : 0n) |
      (guestTso ? featureMask(VirtioNetFeature.GUEST_TSO4) : 0n) |
      ((options.mergeableRxBuffers ?? true) ? featureMask(VirtioNetFeature.MRG_RXBUF) : 0n);
    this.core = new DeviceModelCore(placement, {
      deviceId: DeviceType.NET,
      features,
      queueMaxSizes: [queueSize, queueSize],
      config: encodeVirtioNetConfig({
        mac,
        status: this.#linkUp ? VirtioNetStatus.LINK_UP : 0,
        maxVirtqueuePairs: 1,
        mtu,
      }),
      serve: (index, queue) => (index === RX_QUEUE ? this.#serveRx(queue) : this.#serveTx(queue)),
      onReset: () => this.#reset(),
      onDriverOk: () => {
        const negotiated = this.core.transport.negotiatedFeatures ?? 0n;
        this.#mergeable = hasFeature(negotiated, VirtioNetFeature.MRG_RXBUF);
        this.#guestCsum = hasFeature(negotiated, VirtioNetFeature.GUEST_CSUM);
        this.#hostTso =
          hasFeature(negotiated, VirtioNetFeature.HOST_TSO4) &&
          hasFeature(negotiated, VirtioNetFeature.CSUM);
        this.#guestTso =
          hasFeature(negotiated, VirtioNetFeature.GUEST_TSO4) &&
          hasFeature(negotiated, VirtioNetFeature.GUEST_CSUM);
      },
    });
  }

  /** Starts watching the doorbells. */
  start(): void {
    this.core.start();
  }

  /** Stops watching the doorbells. */
  stop(): void {
    this.core.stop();
  }

  /** Whether the configuration reports the link up. */
  get linkUp(): boolean {
    return this.#linkUp;
  }

  /**
   * Sets the link state in the configuration space and sends a configuration change
   * notification (virtio 1.2 §5.1.4, VIRTIO_NET_F_STATUS).
   *
   * @param up - the new state
   * @example
   * ```ts
   * model.setLinkUp(false); // the driver's linkUp becomes false at its next interrupt
   * ```
   */
  setLinkUp(up: boolean): void {
    this.#linkUp = up;
    const status = new Uint8Array(2);
    writeLe16(status, 0, up ? VirtioNetStatus.LINK_UP : 0);
    this.core.transport.updateConfig(VirtioNetConfigOffset.STATUS, status);
  }

  /**
   * Moves frames both ways: backend → receive queue (up to the receive budget), and
   * transmit queue → backend (retrying a chain the backend refused earlier). Publishes
   * used buffers and interrupts the driver if it asked for it. Call from the run loop
   * (notifications also serve the queues by themselves). Does nothing before DRIVER_OK
   * or on a broken queue. Never throws for anything the driver wrote.
   *
   * @returns frames moved (received + transmitted + dropped) by this call
   * @example
   * ```ts
   * while (model.poll() > 0);
   * ```
   */
  poll(): number {
    const s = this.stats;
    const before = s.rxFrames + s.rxDropped + s.txFrames + s.txDropped;
    this.core.serveQueue(RX_QUEUE);
    this.core.serveQueue(TX_QUEUE);
    return s.rxFrames + s.rxDropped + s.txFrames + s.txDropped - before;
  }

  // ── transmit (virtio 1.2 §5.1.6.2) ───────────────────────────────────────────────

  #serveTx(queue: SplitQueueDevice): boolean {
    const chain = this.#txChain;
    for (;;) {
      if (!this.#txHeld) {
        if (queue.popAvailable(chain) === null) return true;
        if (!this.#parseTransmit(queue, chain)) {
          if (queue.broken) return true;
          this.stats.txDropped++;
          queue.pushUsed(chain, 0);
          continue;
        }
        this.#txHeld = true;
      }
      if (this.#gsoHeaderLength >= 0) {
        const port = this.#gsoPort;
        const whole = this.#gsoHeaderLength + this.#gsoPayloadLength;
        if (port !== null && this.#gsoIndex === 0 && whole <= port.maxGsoFrame) {
          if (!this.#forwardGso(port)) return false;
        } else {
          if (!this.#sendSegments()) return false;
          this.stats.txSegmented++;
        }
        this.#txHeld = false;
        queue.pushUsed(chain, 0);
        continue;
      }
      if (!this.backend.transmit(this.#txFrameLength, this.#fillTx)) {
        // Back-pressure: keep the chain and retry on the next serve or poll.
        this.stats.txDeferred++;
        return false;
      }
      this.#txHeld = false;
      this.stats.txFrames++;
      this.stats.txBytes += this.#txFrameLength;
      queue.pushUsed(chain, 0); // §2.7.8.1: the device wrote nothing
    }
  }

  /** Validates a transmit chain; `false` = drop it (or the queue is now broken). */
  #parseTransmit(queue: SplitQueueDevice, chain: DescriptorChain): boolean {
    // §5.1.6.2: transmit buffers are device-readable: header, then the frame.
    if (chain.writableCount !== 0) {
      queue.reportViolation(
        'BAD_REQUEST',
        `virtio-net: transmit chain ${chain.head} has device-writable descriptors`,
      );
      return false;
    }
    if (chain.readableLength < VIRTIO_NET_HDR_SIZE) {
      queue.reportViolation(
        'BAD_REQUEST',
        `virtio-net: transmit chain ${chain.head} has ${chain.readableLength} bytes, less than the 12-byte header`,
      );
      return false;
    }
    const length = chain.readableLength - VIRTIO_NET_HDR_SIZE;
    const header = this.#txHeader;
    copyFromChain(this.#guest, chain, 0, header);
    this.#gsoHeaderLength = -1;
    const gsoType = header[HDR_GSO_TYPE];
    if (gsoType === VirtioNetGsoType.TCPV4 && this.#hostTso) {
      return this.#parseSegmentation(chain, header, length);
    }
    // §5.1.6.2.2: only GSO_NONE without TSO (and ECN, UDP, TCPV6 are never offered).
    if (gsoType !== VirtioNetGsoType.NONE) return false;
    if (length < ETHERNET_HEADER_BYTES || length > this.#maxFrame) return false;
    if (length > this.#backendMaxFrame) return false; // the backend would refuse it forever
    this.#txFrameLength = length;
    // §5.1.6.2.2: unknown flag bits are ignored.
    if ((header[HDR_FLAGS]! & VirtioNetHeaderFlag.NEEDS_CSUM) !== 0) {
      const start = readLe16(header, HDR_CSUM_START);
      const offset = readLe16(header, HDR_CSUM_OFFSET);
      if (start + offset + 2 > length) return false;
      this.#txCsumStart = start;
      this.#txCsumOffset = offset;
    } else {
      this.#txCsumStart = -1;
    }
    return true;
  }

  /**
   * Validates a TSO request (§5.1.6.2, HOST_TSO4) and stages its frame. Dropped (false)
   * unless: NEEDS_CSUM with `csum_start` at the TCP header and `csum_offset` 16; an
   * untagged, unfragmented TCP/IPv4 frame of at most 65535 + 14 bytes whose IPv4 total
   * length matches; `hdr_len` (a hint, §5.1.6.2.1) within the frame; `gso_size` ≥ 1 and
   * every segment within MTU + 14 and what the backend accepts.
   */
  #parseSegmentation(chain: DescriptorChain, header: Uint8Array, length: number): boolean {
    const stage = this.#gsoStage;
    if (stage === null || length > TSO_MAX_FRAME) return false;
    if ((header[HDR_FLAGS]! & VirtioNetHeaderFlag.NEEDS_CSUM) === 0) return false;
    const gsoSize = readLe16(header, HDR_GSO_SIZE);
    if (gsoSize === 0 || readLe16(header, HDR_HDR_LEN) > length) return false;
    copyFromChain(this.#guest, chain, VIRTIO_NET_HDR_SIZE, stage.subarray(0, length));
    const headerLength = tcpIpv4HeaderLength(stage, length);
    if (headerLength < 0) return false;
    const l4 = ETHERNET_HEADER_BYTES + (stage[ETHERNET_HEADER_BYTES]! & 0x0f) * 4;
    if (readLe16(header, HDR_CSUM_START) !== l4) return false;
    if (readLe16(header, HDR_CSUM_OFFSET) !== TCP_CHECKSUM_OFFSET) return false;
    const payload = length - headerLength;
    const largest = headerLength + Math.min(gsoSize, payload);
    if (largest > this.#maxFrame || largest > this.#backendMaxFrame) return false;
    this.#gsoHeaderLength = headerLength;
    this.#gsoSize = gsoSize;
    this.#gsoPayloadLength = payload;
    this.#gsoOffset = 0;
    this.#gsoIndex = 0;
    return true;
  }

  /**
   * Sends the held TSO request's remaining segments. When the backend refuses one, the
   * position is kept (segments already sent are not sent again) and false returned: the
   * rest goes on the next serve or poll, so no segment is lost or duplicated.
   */
  #sendSegments(): boolean {
    // A request with no payload is still one (header-only) segment.
    do {
      const n = Math.min(this.#gsoSize, this.#gsoPayloadLength - this.#gsoOffset);
      const frameLength = this.#gsoHeaderLength + n;
      if (!this.backend.transmit(frameLength, this.#fillSegment)) {
        this.stats.txDeferred++;
        return false;
      }
      this.#gsoOffset += n;
      this.#gsoIndex++;
      this.stats.txFrames++;
      this.stats.txBytes += frameLength;
      this.stats.txChecksums++;
    } while (this.#gsoOffset < this.#gsoPayloadLength);
    this.#gsoHeaderLength = -1;
    return true;
  }

  /**
   * Hands the held TSO request whole to a GSO backend (virtio 1.2 §5.1.6.2 pass-through:
   * the frame keeps its partial checksum and travels with `gso_size`). False when the
   * backend refuses it (kept for the next serve or poll).
   */
  #forwardGso(port: GsoNetPort): boolean {
    const length = this.#gsoHeaderLength + this.#gsoPayloadLength;
    if (!port.transmitGso(length, this.#gsoSize, this.#fillGso)) {
      this.stats.txDeferred++;
      return false;
    }
    this.#gsoHeaderLength = -1;
    this.stats.txFrames++;
    this.stats.txBytes += length;
    this.stats.txGsoForwarded++;
    return true;
  }

  /** Fills the backend's buffer with the staged TSO frame (runs inside `transmitGso`). */
  #fillGsoFrame(buffer: Uint8Array): void {
    buffer.set(this.#gsoStage!.subarray(0, buffer.length));
  }

  /** Fills the backend's buffer with the next TSO segment (runs inside `backend.transmit`). */
  #fillTcpSegment(buffer: Uint8Array): void {
    const n = buffer.length - this.#gsoHeaderLength;
    const last = this.#gsoOffset + n >= this.#gsoPayloadLength;
    writeTcpSegment(
      buffer,
      this.#gsoStage!,
      this.#gsoHeaderLength,
      this.#gsoOffset,
      this.#gsoIndex,
      last,
    );
  }

  /** Fills the backend's buffer with the held chain's frame (runs inside `backend.transmit`). */
  #fillTransmit(buffer: Uint8Array): void {
    copyFromChain(this.#guest, this.#txChain, VIRTIO_NET_HDR_SIZE, buffer);
    if (this.#txCsumStart >= 0) {
      completePartialChecksum(buffer, this.#txFrameLength, this.#txCsumStart, this.#txCsumOffset);
      this.stats.txChecksums++;
    }
  }

  // ── receive (virtio 1.2 §5.1.6.4, §5.1.6.5) ──────────────────────────────────────

  #serveRx(queue: SplitQueueDevice): boolean {
    this.#rxQueue = queue;
    // A frame staged earlier (and the rest of a segmented GSO frame) goes first: order is kept.
    if (!this.#flushPending(queue)) return false;
    const port = this.#gsoPort;
    for (let n = 0; n < this.#receiveBudget && !queue.broken; n++) {
      // Pull a frame from the backend only with a buffer in hand: otherwise it waits there.
      if (this.#rxHeld === 0 && !this.#popReceive(queue)) break;
      const got =
        port !== null
          ? port.receiveGso(this.#onBackendGso, 1)
          : this.backend.receive(this.#onBackendFrame, 1);
      if (got === 0) break;
      if (!this.#flushPending(queue)) break; // waiting for more buffers
    }
    return false; // chains left available on purpose: they wait for frames
  }

  /**
   * Places the staged frame, then the remaining segments of a GSO frame being cut here.
   * False while the driver has not posted enough buffers (progress is kept).
   */
  #flushPending(queue: SplitQueueDevice): boolean {
    for (;;) {
      if (this.#rxStagedLength >= 0) {
        const length = this.#rxStagedLength;
        const gso = this.#rxStagedGso;
        const source = gso ? this.#rxLargeStage! : this.#rxStage;
        const frame = source.subarray(0, length);
        const outcome = this.#place(queue, frame, this.#rxStagedVerified, gso);
        if (outcome === 'needs-buffers') return false;
        this.#rxStagedLength = -1;
        this.#rxStagedGso = false;
        if (outcome === 'too-large') this.#startSegmenting(frame); // already in the large stage
      }
      if (this.#rxSegHeaderLength < 0 || queue.broken) return true;
      this.#stageNextSegment();
    }
  }

  #receiveFrame(frame: Uint8Array, verified: boolean): void {
    const queue = this.#rxQueue;
    if (queue === null || queue.broken) return;
    if (frame.length > this.#maxFrame) {
      this.stats.rxDropped++; // §5.1.6.5.1: never pass frames above MTU + 14
      return;
    }
    if (this.#place(queue, frame, verified, false) === 'needs-buffers') {
      this.#rxStage.set(frame);
      this.#rxStagedLength = frame.length;
      this.#rxStagedVerified = verified;
      this.#rxStagedGso = false;
    }
  }

  /**
   * A GSO frame from the backend (see {@link GsoFrameReceiver}): whole to a GUEST_TSO4
   * driver (§5.1.6.4), else cut into segments here. Malformed ones are dropped.
   */
  #receiveGso(frame: Uint8Array, gsoSize: number): void {
    const queue = this.#rxQueue;
    const stage = this.#rxLargeStage;
    if (queue === null || queue.broken || stage === null) return;
    const length = frame.length;
    const headerLength = tcpIpv4HeaderLength(frame, length);
    // Segments must fit this MTU: the MSS shrinks when the sender's link was wider.
    const mss = Math.min(gsoSize, this.#maxFrame - headerLength);
    if (length > stage.length || headerLength < 0 || mss < 1) {
      this.stats.rxDropped++;
      return;
    }
    if (this.#guestTso) {
      this.#rxGsoSize = mss;
      this.#rxGsoHeaderLength = headerLength;
      this.#rxGsoCsumStart = ETHERNET_HEADER_BYTES + (frame[ETHERNET_HEADER_BYTES]! & 0x0f) * 4;
      const outcome = this.#place(queue, frame, true, true);
      if (outcome === 'placed') return;
      stage.set(frame);
      if (outcome === 'needs-buffers') {
        this.#rxStagedLength = length;
        this.#rxStagedVerified = true;
        this.#rxStagedGso = true;
        return;
      }
      this.#startSegmenting(stage.subarray(0, length));
      return;
    }
    stage.set(frame);
    this.#rxGsoSize = mss;
    this.#startSegmenting(stage.subarray(0, length));
  }

  /** Begins cutting the GSO frame in the large stage into segments of `#rxGsoSize`. */
  #startSegmenting(frame: Uint8Array): void {
    this.#rxSegLength = frame.length;
    this.#rxSegHeaderLength = tcpIpv4HeaderLength(frame, frame.length);
    this.#rxSegSize = this.#rxGsoSize;
    this.#rxSegOffset = 0;
    this.#rxSegIndex = 0;
    this.stats.rxSegmented++;
  }

  /** Writes the next segment into the ordinary stage (complete checksums) and stages it. */
  #stageNextSegment(): void {
    const headerLength = this.#rxSegHeaderLength;
    const payload = this.#rxSegLength - headerLength;
    const n = Math.min(this.#rxSegSize, payload - this.#rxSegOffset);
    const last = this.#rxSegOffset + n >= payload;
    const length = headerLength + n;
    const source = this.#rxLargeStage!;
    writeTcpSegment(
      this.#rxStage.subarray(0, length),
      source,
      headerLength,
      this.#rxSegOffset,
      this.#rxSegIndex,
      last,
    );
    this.#rxSegOffset += n;
    this.#rxSegIndex++;
    if (last) this.#rxSegHeaderLength = -1;
    this.#rxStagedLength = length;
    this.#rxStagedVerified = true; // checksums computed just now
    this.#rxStagedGso = false;
  }

  /** Pops a receive chain into the next free slot; checks it is device-writable and ≥ 12 bytes. */
  #popReceive(queue: SplitQueueDevice): boolean {
    const chain = this.#rxChains[this.#rxHeld]!;
    if (queue.popAvailable(chain) === null) return false;
    // §5.1.6.4: receive buffers are device-writable and hold at least the header.
    if (chain.readableCount !== 0 || chain.writableLength < VIRTIO_NET_HDR_SIZE) {
      queue.reportViolation(
        'BAD_REQUEST',
        `virtio-net: receive chain ${chain.head} must be device-writable with at least 12 bytes`,
      );
      return false;
    }
    this.#rxHeld++;
    return true;
  }

  /**
   * Writes header + frame into receive chains. Returns `true` when the frame is done
   * (delivered, or dropped), `false` when more chains are needed (progress is kept).
   *
   * ```text
   *  chain 0                       chain 1 …               chain n-1
   *  ├ hdr (num_buffers = n) ┼ frame… ┤ ├ …frame… (full) ┤ ├ …frame ┼ unused ┤
   * ```
   */
  #place(queue: SplitQueueDevice, frame: Uint8Array, verified: boolean, gso: boolean): Placement {
    const length = frame.length;
    const total = VIRTIO_NET_HDR_SIZE + length;
    this.#writeReceiveHeader(verified, gso);
    const header = this.#rxHeader;
    if (!this.#mergeable) {
      if (this.#rxHeld === 0 && !this.#popReceive(queue)) return 'needs-buffers';
      const chain = this.#rxChains[0]!;
      if (chain.writableLength < total) {
        if (gso) return 'too-large'; // §5.1.6.3.1 asks for 65562 bytes: segment instead
        this.stats.rxDropped++; // the buffer stays for the next frame
        return 'placed';
      }
      writeLe16(header, HDR_NUM_BUFFERS, 1); // §5.1.6.5.1: num_buffers is 1
      copyToChain(this.#guest, chain, 0, header, 0, VIRTIO_NET_HDR_SIZE);
      copyToChain(this.#guest, chain, VIRTIO_NET_HDR_SIZE, frame, 0, length);
      queue.pushUsed(chain, total);
      this.#rxHeld = 0;
      this.#received(length, 1, gso);
      return 'placed';
    }
    for (;;) {
      if (this.#rxCursor === this.#rxHeld) {
        if (this.#rxHeld === queue.size) {
          if (gso) {
            // The whole ring cannot hold it: start over with these chains, as segments.
            this.#rxCursor = 0;
            this.#rxChainOffset = 0;
            this.#rxPacketOffset = 0;
            return 'too-large';
          }
          // §5.1.4.2: the driver must supply enough buffers for one MTU-sized frame.
          queue.reportViolation(
            'BAD_REQUEST',
            `virtio-net: ${queue.size} receive buffers cannot hold a ${length}-byte frame`,
          );
          return 'placed';
        }
        if (!this.#popReceive(queue)) return 'needs-buffers';
        this.#rxChainOffset = 0;
      }
      const chain = this.#rxChains[this.#rxCursor]!;
      if (this.#rxPacketOffset === 0) {
        copyToChain(this.#guest, chain, 0, header, 0, VIRTIO_NET_HDR_SIZE); // num_buffers: below
        this.#rxChainOffset = VIRTIO_NET_HDR_SIZE;
        this.#rxPacketOffset = VIRTIO_NET_HDR_SIZE;
      }
      const n = Math.min(chain.writableLength - this.#rxChainOffset, total - this.#rxPacketOffset);
      if (n > 0) {
        const from = this.#rxPacketOffset - VIRTIO_NET_HDR_SIZE;
        copyToChain(this.#guest, chain, this.#rxChainOffset, frame, from, from + n);
        this.#rxChainOffset += n;
        this.#rxPacketOffset += n;
      }
      if (this.#rxPacketOffset === total) break;
      this.#rxCursor++; // this chain is full (§5.1.6.5.1: all but the last used completely)
      this.#rxChainOffset = 0;
    }
    const used = this.#rxCursor + 1;
    writeLe16(this.#rxNumBuffers, 0, used);
    copyToChain(this.#guest, this.#rxChains[0]!, HDR_NUM_BUFFERS, this.#rxNumBuffers, 0, 2);
    for (let i = 0; i < this.#rxCursor; i++) {
      const c = this.#rxChains[i]!;
      queue.pushUsed(c, c.writableLength);
    }
    queue.pushUsed(this.#rxChains[this.#rxCursor]!, this.#rxChainOffset);
    // Chains popped beyond this frame (after a 'too-large' restart) move to the front.
    const chains = this.#rxChains;
    const done = this.#rxCursor + 1;
    for (let i = done; i < this.#rxHeld; i++) {
      const spare = chains[i - done]!;
      chains[i - done] = chains[i]!;
      chains[i] = spare;
    }
    this.#rxHeld -= done;
    this.#rxCursor = 0;
    this.#rxChainOffset = 0;
    this.#rxPacketOffset = 0;
    this.#received(length, used, gso);
    return 'placed';
  }

  /**
   * The receive header (virtio 1.2 §5.1.6.4): flags 0 unless GUEST_CSUM lets us report
   * DATA_VALID; a GSO frame (GUEST_TSO4) carries gso_type TCPV4, `hdr_len`, `gso_size`
   * and NEEDS_CSUM with the TCP checksum position (§5.1.6.4.1). `num_buffers` is set later.
   */
  #writeReceiveHeader(verified: boolean, gso: boolean): void {
    const header = this.#rxHeader;
    header.fill(0);
    if (gso) {
      header[HDR_FLAGS] = VirtioNetHeaderFlag.NEEDS_CSUM;
      header[HDR_GSO_TYPE] = VirtioNetGsoType.TCPV4;
      writeLe16(header, HDR_HDR_LEN, this.#rxGsoHeaderLength);
      writeLe16(header, HDR_GSO_SIZE, this.#rxGsoSize);
      writeLe16(header, HDR_CSUM_START, this.#rxGsoCsumStart);
      writeLe16(header, HDR_CSUM_OFFSET, TCP_CHECKSUM_OFFSET);
      return;
    }
    header[HDR_FLAGS] = verified && this.#guestCsum ? VirtioNetHeaderFlag.DATA_VALID : 0;
  }

  #received(length: number, buffers: number, gso: boolean): void {
    if (gso) this.stats.rxGsoFrames++;
    this.stats.rxFrames++;
    this.stats.rxBytes += length;
    this.stats.rxBuffers += buffers;
  }

  #reset(): void {
    this.#txHeld = false;
    this.#gsoHeaderLength = -1;
    this.#hostTso = false;
    this.#rxQueue = null;
    this.#rxHeld = 0;
    this.#rxCursor = 0;
    this.#rxChainOffset = 0;
    this.#rxPacketOffset = 0;
    this.#rxStagedLength = -1;
    this.#rxStagedGso = false;
    this.#rxSegHeaderLength = -1;
    this.#mergeable = false;
    this.#guestCsum = false;
    this.#guestTso = false;
  }
}
