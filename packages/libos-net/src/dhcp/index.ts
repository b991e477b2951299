/**
 * Barrel of the dhcp layer: the DHCPv4 message codec (RFC 2131, RFC 2132) and the
 * sans-IO client and server state machines.
 */
export {
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DhcpClient,
  type DhcpClientOptions,
  type DhcpClientStats,
  type DhcpEvent,
  type DhcpEventType,
  type DhcpIgnoreReason,
  type DhcpState,
} from './dhcp-client.js';
export { DhcpError, type DhcpErrorCode } from './dhcp-error.js';
export { classfulSubnetMask, type DhcpLease, subnetMaskPrefixLength } from './dhcp-lease.js';
export {
  type DhcpMessageType,
  DhcpOption,
  dhcpMessageTypeCode,
  dhcpMessageTypeFromCode,
} from './dhcp-option.js';
export {
  BootpOp,
  DHCP_FLAG_BROADCAST,
  DHCP_MAGIC_COOKIE,
  DHCP_MIN_MESSAGE_LENGTH,
  DHCP_OPTIONS_OFFSET,
  DhcpPacket,
  type DhcpPacketIssue,
} from './dhcp-packet.js';
export {
  type DhcpParseIssue,
  type DhcpRepr,
  dhcpReprLength,
  emitDhcpRepr,
  parseDhcpRepr,
} from './dhcp-repr.js';
export {
  DhcpServer,
  type DhcpServerIgnoreReason,
  type DhcpServerLease,
  type DhcpServerOptions,
  type DhcpServerOutcome,
  type DhcpServerStats,
} from './dhcp-server.js';
export { type RunningDhcpServer, type ServeDhcpOptions, serveDhcp } from './dhcp-server-socket.js';
export type { UdpSource, UdpTransmit } from './udp-transmit.js';
