/**
 * Barrel of the stack layer: the stack object, interfaces, UDP sockets, counters.
 */

export type { DhcpBindingHost, DhcpConfig } from './dhcp-binding.js';
export {
  type InterfaceAddress,
  type InterfaceHost,
  type InterfaceLimits,
  NetworkInterface,
} from './network-interface.js';
export {
  createStack,
  type InterfaceOptions,
  type Ipv4Config,
  type Ipv4StaticConfig,
  type PingOptions,
  type PingReply,
  Stack,
  type StackConnectOptions,
  type StackListenOptions,
  type StackOptions,
} from './stack.js';
export { StackError, type StackErrorCode } from './stack-error.js';
export { formatStackStats, type LayerStats, type StackStats } from './stack-stats.js';
export {
  type UdpBindOptions,
  type UdpEndpoint,
  type UdpInterceptOptions,
  type UdpMessage,
  UdpSocket,
  type UdpSocketHost,
} from './udp-socket.js';
