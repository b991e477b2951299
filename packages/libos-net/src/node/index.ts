/**
 * @libos/net/node — Node.js-only frame ports that connect a libos {@link NetDevice} to
 * the outside world through host sockets: {@link StreamFramePort} speaks QEMU's
 * `-netdev stream` framing over unix or TCP sockets, {@link DgramFramePort} QEMU's
 * `-netdev dgram` over UDP; {@link createUserNetwork} is a user-mode network (a
 * gateway stack with DHCP, a DNS relay, outbound NAT and host port forwards, like
 * QEMU's slirp). Core entry points stay browser-safe; everything that needs
 * `node:*` lives here.
 *
 * @packageDocumentation
 */
export type { NetDevice } from '../net-device.js';
export { connectStreamFramePort } from './connect-stream-frame-port.js';
export {
  DgramFramePort,
  type DgramFramePortOptions,
  openDgramFramePort,
} from './dgram-frame-port.js';
export { FramePortError, type FramePortErrorCode } from './frame-port-error.js';
export type { FramePortStats } from './frame-port-stats.js';
export { HostFramePort, type HostFramePortOptions } from './host-frame-port.js';
export {
  type DecodeOutcome,
  LENGTH_PREFIX_BYTES,
  LengthPrefixDecoder,
  writeLengthPrefix,
} from './length-prefix-decoder.js';
export { listenStreamFramePort, StreamFrameListener } from './listen-stream-frame-port.js';
export { ReceivedFrameQueue } from './received-frame-queue.js';
export type { StreamAddress } from './stream-address.js';
export { StreamFramePort, type StreamFramePortOptions } from './stream-frame-port.js';
export { TcpDuplex, type TcpDuplexOptions, type TcpSocketAddress, toDuplex } from './tcp-duplex.js';
export {
  createTcpServer,
  serveHttp,
  type TcpListenerLike,
  TcpServer,
  type TcpServerEvents,
  type TcpServerOptions,
} from './tcp-server.js';
export {
  createUserNetwork,
  type UserNetwork,
  type UserNetworkDhcpOptions,
  type UserNetworkDnsOptions,
  type UserNetworkOptions,
} from './user-network/create-user-network.js';
export type { DnsUpstream } from './user-network/dns-relay.js';
export { ObservedDevice } from './user-network/guest-port.js';
export type {
  BoundHostForward,
  HostForward,
  UserNetworkStats,
} from './user-network/host-forward.js';
export type { OutboundMode } from './user-network/outbound-policy.js';
export { UserNetworkError, type UserNetworkErrorCode } from './user-network/user-network-error.js';
