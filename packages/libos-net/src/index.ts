/**
 * @libos/net — the libos network stack.
 *
 * Sans-IO, from the device up: the {@link NetDevice} interface (the consumer owns it;
 * @libos/virtio's driver conforms), cables, switch and device wrappers (pcap, tracer,
 * fault injector), zero-copy wire formats, and the stack object ({@link createStack}):
 * ARP, IPv4 with fragmentation and reassembly, ICMPv4, UDP sockets, DHCP and DNS.
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
export * from './tcp/index.js';
export * from './wire/index.js';
