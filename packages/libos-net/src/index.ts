/**
 * @libos/net — the libos network stack.
 *
 * Today: the {@link NetDevice} interface every network device implements (the
 * consumer owns the interface; @libos/virtio's driver conforms to it) and MAC address
 * helpers, and an in-process cable ({@link createLink}). Ethernet, ARP, IPv4, UDP and TCP build on these.
 *
 * @packageDocumentation
 */
export {
  createLink,
  LinkEndpoint,
  type LinkEndpointStats,
  type LinkOptions,
} from './link.js';
export {
  formatMacAddress,
  isBroadcastMac,
  isLocallyAdministeredMac,
  isMulticastMac,
  MacAddressError,
  parseMacAddress,
} from './mac-address.js';
export type { FrameFiller, FrameReceiver, NetDevice, NetDeviceCapabilities } from './net-device.js';
