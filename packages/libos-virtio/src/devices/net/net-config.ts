import { VirtioNetConfigOffset } from './net-constants.js';

/**
 * The fields of `struct virtio_net_config` libos uses (virtio 1.2 §5.1.4).
 *
 * @example
 * ```ts
 * import { encodeVirtioNetConfig, type VirtioNetConfig } from '@libos/virtio';
 * const config: VirtioNetConfig = {
 *   mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
 *   status: 1,
 *   maxVirtqueuePairs: 1,
 *   mtu: 1500,
 * };
 * const bytes = encodeVirtioNetConfig(config);
 * ```
 */
export interface VirtioNetConfig {
  /** The device's MAC address (valid with VIRTIO_NET_F_MAC). */
  readonly mac: Uint8Array;
  /** {@link VirtioNetStatus} bits (valid with VIRTIO_NET_F_STATUS). */
  readonly status: number;
  /** Receive/transmit queue pairs (valid with VIRTIO_NET_F_MQ; libos uses one). */
  readonly maxVirtqueuePairs: number;
  /** Maximum MTU the driver should use (valid with VIRTIO_NET_F_MTU), 68..65535. */
  readonly mtu: number;
}

/**
 * Encodes the configuration space of a virtio-net device (little-endian, §5.1.4).
 *
 * @param config - the fields
 * @returns {@link VirtioNetConfigOffset.SIZE} bytes
 * @example
 * ```ts
 * import { encodeVirtioNetConfig } from '@libos/virtio';
 * const bytes = encodeVirtioNetConfig({ mac, status: 1, maxVirtqueuePairs: 1, mtu: 1500 });
 * ```
 */
export function encodeVirtioNetConfig(config: VirtioNetConfig): Uint8Array {
  const out = new Uint8Array(VirtioNetConfigOffset.SIZE);
  out.set(config.mac.subarray(0, 6), VirtioNetConfigOffset.MAC);
  writeLe16(out, VirtioNetConfigOffset.STATUS, config.status);
  writeLe16(out, VirtioNetConfigOffset.MAX_VIRTQUEUE_PAIRS, config.maxVirtqueuePairs);
  writeLe16(out, VirtioNetConfigOffset.MTU, config.mtu);
  return out;
}

/**
 * Decodes configuration bytes produced by {@link encodeVirtioNetConfig} (or read from a
 * device).
 *
 * @param bytes - at least {@link VirtioNetConfigOffset.SIZE} bytes
 * @returns the fields (the MAC is a copy)
 * @throws RangeError when `bytes` is too short
 * @example
 * ```ts
 * import { decodeVirtioNetConfig, VirtioNetConfigOffset } from '@libos/virtio';
 * const { mtu } = decodeVirtioNetConfig(transport.readConfig(0, VirtioNetConfigOffset.SIZE));
 * ```
 */
export function decodeVirtioNetConfig(bytes: Uint8Array): VirtioNetConfig {
  if (bytes.length < VirtioNetConfigOffset.SIZE) {
    throw new RangeError(`virtio-net config needs ${VirtioNetConfigOffset.SIZE} bytes`);
  }
  return {
    mac: bytes.slice(VirtioNetConfigOffset.MAC, VirtioNetConfigOffset.MAC + 6),
    status: readLe16(bytes, VirtioNetConfigOffset.STATUS),
    maxVirtqueuePairs: readLe16(bytes, VirtioNetConfigOffset.MAX_VIRTQUEUE_PAIRS),
    mtu: readLe16(bytes, VirtioNetConfigOffset.MTU),
  };
}

/** @internal */
export function readLe16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

/** @internal */
export function writeLe16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
}
