/**
 * Barrel of the wire layer: zero-copy views and repr values for Ethernet II, ARP,
 * IPv4, UDP and ICMPv4, IPv4 addresses and the Internet checksum.
 */

export {
  ARP_PACKET_LENGTH,
  ArpOperation,
  ArpPacket,
  type ArpRepr,
  emitArpRepr,
  parseArpRepr,
} from './arp.js';
export {
  finishChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  onesComplementSum,
} from './checksum.js';
export {
  ETHERNET_HEADER_LENGTH,
  EthernetFrame,
  type EthernetRepr,
  EtherType,
  emitEthernetRepr,
  parseEthernetRepr,
} from './ethernet.js';
export {
  emitIcmpv4Repr,
  ICMPV4_ERROR_QUOTE_LENGTH,
  Icmpv4Message,
  type Icmpv4Repr,
  Icmpv4Type,
  Icmpv4UnreachableCode,
  icmpv4ErrorQuote,
  icmpv4ReprLength,
  parseIcmpv4Repr,
} from './icmpv4.js';
export {
  emitIpv4Repr,
  IPV4_MIN_HEADER_LENGTH,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
  type Ipv4WireError,
  parseIpv4Repr,
} from './ipv4.js';
export {
  formatIpv4Address,
  IPV4_BROADCAST,
  IPV4_UNSPECIFIED,
  type Ipv4Address,
  Ipv4AddressError,
  ipv4Netmask,
  ipv4SubnetBroadcast,
  isInIpv4Subnet,
  isIpv4Broadcast,
  isIpv4Loopback,
  isIpv4Multicast,
  isIpv4Unspecified,
  parseIpv4Address,
  readIpv4Address,
  writeIpv4Address,
} from './ipv4-address.js';
export { ipv4OptionsWellFormed } from './ipv4-options.js';
export {
  emitUdpRepr,
  parseUdpRepr,
  UDP_HEADER_LENGTH,
  UdpDatagram,
  type UdpRepr,
} from './udp.js';
export { WireFormatError, type WireFormatErrorCode } from './wire-error.js';
