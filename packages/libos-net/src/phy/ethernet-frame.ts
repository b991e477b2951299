/**
 * The few Ethernet II facts the phy layer needs (IEEE 802.3 §3.1.1), kept local so the
 * device layer does not depend on the wire layer.
 */
import type { NetDeviceCapabilities } from '../net-device.js';
import { PhyError } from './phy-error.js';

/** Destination MAC (6) + source MAC (6) + EtherType (2). */
export const ETHERNET_HEADER_BYTES = 14;

/** Offset of the source MAC in an Ethernet II header. */
export const SOURCE_MAC_OFFSET = 6;

/** Largest frame (header included) a device with these capabilities sends without offload. */
export function maxFrameBytes(capabilities: NetDeviceCapabilities): number {
  return capabilities.maxTransmitUnit + ETHERNET_HEADER_BYTES;
}

/** Whether `length` is a frame length `transmit` may accept: an integer in 14..`max`. */
export function isValidFrameLength(length: number, max: number): boolean {
  return Number.isInteger(length) && length >= ETHERNET_HEADER_BYTES && length <= max;
}

/** Checks an MTU option: RFC 791 minimum 68, at most 65535. */
export function checkMaxTransmitUnit(mtu: number): number {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new PhyError('INVALID_OPTION', `MTU ${mtu} is outside 68..65535`);
  }
  return mtu;
}

/** Checks a queue-size option: a positive integer. */
export function checkQueueFrames(frames: number): number {
  if (!Number.isInteger(frames) || frames < 1) {
    throw new PhyError('INVALID_OPTION', `queue of ${frames} frames is not a positive integer`);
  }
  return frames;
}

/** Checks a MAC option: exactly 6 bytes. */
export function checkMacAddress(mac: Uint8Array): Uint8Array {
  if (mac.length !== 6) {
    throw new PhyError('INVALID_OPTION', `a MAC address has 6 bytes, not ${mac.length}`);
  }
  return mac;
}

/** Capabilities of a software device: the MTU, a burst size and no offloads. */
export function plainCapabilities(mtu: number, burst: number): NetDeviceCapabilities {
  return {
    maxTransmitUnit: mtu,
    maxBurstSize: burst,
    checksumOffload: { transmit: false, receive: false },
    segmentationOffload: false,
  };
}
