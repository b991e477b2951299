/**
 * @libos/net — the libos network stack.
 *
 * Today: the {@link NetDevice} interface every network device implements (the
 * consumer owns the interface; @libos/virtio's driver conforms to it) and MAC address
 * helpers, and an in-process cable ({@link createLink}). Ethernet, ARP, IPv4, UDP and TCP build on these.
 *
 * @packageDocumentation
 */

export * from './dhcp/index.js';
export * from './dns/index.js';
export * from './ipv4/index.js';
export {
  formatMacAddress,
  isBroadcastMac,
  isLocallyAdministeredMac,
  isMulticastMac,
  MacAddressError,
  parseMacAddress,
} from './mac-address.js';
export type { FrameFiller, FrameReceiver, NetDevice, NetDeviceCapabilities } from './net-device.js';
export * from './phy/index.js';
export {
  createLink,
  LinkEndpoint,
  type LinkEndpointStats,
  type LinkOptions,
} from './phy/link.js';
export * from './stack/index.js';
export * from './wire/index.js';
