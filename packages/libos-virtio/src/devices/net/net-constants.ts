import type { FeatureDependency } from '../../feature-dependencies.js';

/**
 * virtio-net feature bits (virtio 1.2 §5.1.3): the device-specific bits libos knows.
 * Bits not listed here are never offered by {@link VirtioNetDeviceModel} nor accepted by
 * {@link VirtioNetDriver}.
 *
 * @example
 * ```ts
 * import { featureMask, VirtioNetFeature } from '@libos/virtio';
 * const offered = featureMask(VirtioNetFeature.MAC, VirtioNetFeature.MTU);
 * ```
 */
export const VirtioNetFeature = {
  /** Device handles packets with a partial checksum: TX checksum offload (§5.1.6.2). */
  CSUM: 0,
  /** Driver handles packets with a partial checksum / DATA_VALID: RX checksum offload (§5.1.6.5). */
  GUEST_CSUM: 1,
  /** Device reports its maximum MTU in `mtu` (§5.1.4). */
  MTU: 3,
  /** Device has given a MAC address in `mac` (§5.1.4). */
  MAC: 5,
  /**
   * Driver can receive TSOv4 (TCP/IPv4 frames above MTU + 14 with gso_type TCPV4,
   * §5.1.6.4); requires GUEST_CSUM (§5.1.3.1). Offered by {@link VirtioNetDeviceModel}
   * when its backend is a {@link GsoNetPort}.
   */
  GUEST_TSO4: 7,
  /** Device can receive TSOv4 from the driver and segments it (§5.1.6.2); requires CSUM (§5.1.3.1). */
  HOST_TSO4: 11,
  /** Driver can merge receive buffers: a frame may span several chains (§5.1.6.4). */
  MRG_RXBUF: 15,
  /** Configuration `status` is available (§5.1.4). */
  STATUS: 16,
} as const;

/**
 * The feature dependencies of virtio 1.2 §5.1.3.1 among the bits libos knows: a driver
 * passes them to {@link DriverCore} so that a device offering, say, HOST_TSO4 without
 * CSUM does not get HOST_TSO4 accepted.
 *
 * @example
 * ```ts
 * import { dropUnmetFeatures, featureMask, VIRTIO_NET_FEATURE_DEPENDENCIES, VirtioNetFeature } from '@libos/virtio';
 * const accepted = dropUnmetFeatures(
 *   featureMask(VirtioNetFeature.GUEST_TSO4, VirtioNetFeature.GUEST_CSUM),
 *   VIRTIO_NET_FEATURE_DEPENDENCIES,
 * ); // both kept
 * ```
 */
export const VIRTIO_NET_FEATURE_DEPENDENCIES: readonly FeatureDependency[] = [
  { feature: VirtioNetFeature.GUEST_TSO4, requires: [VirtioNetFeature.GUEST_CSUM] },
  { feature: VirtioNetFeature.HOST_TSO4, requires: [VirtioNetFeature.CSUM] },
];

/**
 * `flags` bits of the virtio-net header (virtio 1.2 §5.1.6).
 *
 * @example
 * ```ts
 * import { VirtioNetHeaderFlag } from '@libos/virtio';
 * const needsChecksum = (header[0]! & VirtioNetHeaderFlag.NEEDS_CSUM) !== 0;
 * ```
 */
export const VirtioNetHeaderFlag = {
  /** TX: the device must complete the checksum at `csum_start` + `csum_offset` (§5.1.6.2). */
  NEEDS_CSUM: 1,
  /** RX: the device has validated the packet's checksum (§5.1.6.5). */
  DATA_VALID: 2,
} as const;

/**
 * `gso_type` values of the virtio-net header (virtio 1.2 §5.1.6).
 *
 * @example
 * ```ts
 * import { VirtioNetGsoType } from '@libos/virtio';
 * if (header[1] !== VirtioNetGsoType.NONE) console.log('a GSO packet');
 * ```
 */
export const VirtioNetGsoType = {
  /** Not a GSO packet. */
  NONE: 0,
  /** TCP over IPv4 segmentation (TSO). */
  TCPV4: 1,
} as const;

/**
 * Bits of the configuration `status` field (virtio 1.2 §5.1.4).
 *
 * @example
 * ```ts
 * import { VirtioNetStatus } from '@libos/virtio';
 * const up = (status & VirtioNetStatus.LINK_UP) !== 0;
 * ```
 */
export const VirtioNetStatus = {
  /** The link is up. */
  LINK_UP: 1,
} as const;

/**
 * Byte offsets of the fields of `struct virtio_net_config` (virtio 1.2 §5.1.4), all
 * little-endian.
 *
 * ```text
 *  0      6        8                     10    12
 *  ├ mac ─┼ status ┼ max_virtqueue_pairs ┼ mtu ┤
 * ```
 *
 * @example
 * ```ts
 * import { VirtioNetConfigOffset } from '@libos/virtio';
 * const mac = driver.transport.readConfig(VirtioNetConfigOffset.MAC, 6);
 * ```
 */
export const VirtioNetConfigOffset = {
  /** `u8 mac[6]`. */
  MAC: 0,
  /** `le16 status`. */
  STATUS: 6,
  /** `le16 max_virtqueue_pairs`. */
  MAX_VIRTQUEUE_PAIRS: 8,
  /** `le16 mtu`. */
  MTU: 10,
  /** Size of the part of the configuration libos uses. */
  SIZE: 12,
} as const;

/**
 * Size of `struct virtio_net_hdr` with VIRTIO_F_VERSION_1: always 12 bytes, `num_buffers`
 * included, whether or not MRG_RXBUF was negotiated (virtio 1.2 §5.1.6).
 *
 * ```text
 *  0       1          2         4          6            8             10            12
 *  ├ flags ┼ gso_type ┼ hdr_len ┼ gso_size ┼ csum_start ┼ csum_offset ┼ num_buffers ┤
 *    u8      u8         le16      le16       le16         le16          le16
 * ```
 *
 * @example
 * ```ts
 * import { VIRTIO_NET_HDR_SIZE } from '@libos/virtio';
 * const frame = buffer.subarray(VIRTIO_NET_HDR_SIZE, usedLength);
 * ```
 */
export const VIRTIO_NET_HDR_SIZE = 12;

/** Queue index of receiveq1 (virtio 1.2 §5.1.2). @internal */
export const RX_QUEUE = 0;
/** Queue index of transmitq1 (virtio 1.2 §5.1.2). @internal */
export const TX_QUEUE = 1;
/** Length of an Ethernet II header. @internal */
export const ETHERNET_HEADER_BYTES = 14;

// Header field offsets (virtio 1.2 §5.1.6), internal to the hot paths.
/** @internal */
export const HDR_FLAGS = 0;
/** @internal */
export const HDR_GSO_TYPE = 1;
/** @internal */
export const HDR_HDR_LEN = 2;
/** @internal */
export const HDR_GSO_SIZE = 4;
/** @internal */
export const HDR_CSUM_START = 6;
/** @internal */
export const HDR_CSUM_OFFSET = 8;
/** @internal */
export const HDR_NUM_BUFFERS = 10;
