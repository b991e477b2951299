/**
 * The host port forward rules of a user-mode network (QEMU's
 * `hostfwd=tcp:127.0.0.1:8080-:80`) and their counters.
 */

/**
 * One host port forwarded into the guest: connections (TCP) or datagrams (UDP) arriving
 * at `hostAddress:hostPort` on the host go to `guestAddress:guestPort` through the
 * gateway stack.
 *
 * @example
 * ```ts
 * import type { HostForward } from '@libos/net/node';
 * const web: HostForward = { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 };
 * ```
 */
export interface HostForward {
  /** `tcp` (a `node:net` server) or `udp` (a `node:dgram` socket). */
  readonly protocol: 'tcp' | 'udp';
  /** Host address to listen on; default `127.0.0.1`. */
  readonly hostAddress?: string;
  /** Host port; 0 picks a free one (see {@link BoundHostForward.hostPort}). */
  readonly hostPort: number;
  /** Guest address; default the first address of the DHCP pool. */
  readonly guestAddress?: string;
  /** Guest port, 1..65535. */
  readonly guestPort: number;
}

/**
 * A forward as bound: the rule with the host address and port actually in use.
 *
 * @example
 * ```ts
 * const { hostPort } = net.forwards[0]!;
 * await fetch(`http://127.0.0.1:${hostPort}/`);
 * ```
 */
export interface BoundHostForward {
  /** `tcp` or `udp`. */
  readonly protocol: 'tcp' | 'udp';
  /** The host address listened on. */
  readonly hostAddress: string;
  /** The host port listened on (the chosen one when the rule said 0). */
  readonly hostPort: number;
  /** The guest address (dotted quad). */
  readonly guestAddress: string;
  /** The guest port. */
  readonly guestPort: number;
}

/**
 * Counters of a user-mode network: host port forwards, outbound NAT and the DNS relay.
 *
 * @example
 * ```ts
 * console.log(net.stats.tcpAccepted, net.stats.bytesToGuest, net.stats.bytesToHost);
 * ```
 */
export interface UserNetworkStats {
  /** Host TCP connections accepted on forwarded ports. */
  tcpAccepted: number;
  /** Of those, connections the guest refused or never answered (host socket reset). */
  tcpRefused: number;
  /** Connections with both a host socket and a guest connection open right now. */
  tcpActive: number;
  /** Connections the guest reset after they were established. */
  tcpReset: number;
  /** UDP datagrams forwarded host → guest. */
  udpToGuest: number;
  /** UDP datagrams forwarded guest → host. */
  udpToHost: number;
  /** UDP datagrams dropped (too many host peers, send failure). */
  udpDropped: number;
  /** Outbound NAT: guest TCP connections spliced to a host socket. */
  natTcpConnections: number;
  /** Outbound NAT: guest TCP connection attempts refused (host refused, unreachable, timed out). */
  natTcpRefused: number;
  /** Outbound NAT: TCP connections spliced right now. */
  natTcpActive: number;
  /** Outbound NAT: UDP flows (guest address and port) opened. */
  natUdpFlows: number;
  /** Outbound NAT: UDP flows open right now. */
  natUdpActive: number;
  /** Outbound NAT: UDP flows closed after `udpFlowIdleMs` without traffic. */
  natUdpExpired: number;
  /** Outbound NAT: UDP flows closed to make room (`maxUdpFlows`). */
  natUdpEvicted: number;
  /** Outbound NAT: datagrams guest → host. */
  natUdpToHost: number;
  /** Outbound NAT: datagrams host → guest. */
  natUdpToGuest: number;
  /** Outbound NAT: datagrams dropped (from hosts the flow never sent to, send failures). */
  natUdpDropped: number;
  /** Outbound connections and datagrams the `outbound` restriction refused. */
  natBlocked: number;
  /** Host sockets opened for the guest's outbound traffic (NAT and DNS relay). */
  hostSocketsOpened: number;
  /** DNS relay: queries received from the guest. */
  dnsQueries: number;
  /** DNS relay: answers from the upstream resolver passed to the guest. */
  dnsAnswers: number;
  /** DNS relay: queries answered SERVFAIL (upstream timeout or forbidden) or dropped. */
  dnsFailures: number;
  /** Payload bytes copied host → guest (TCP and UDP). */
  bytesToGuest: number;
  /** Payload bytes copied guest → host (TCP and UDP). */
  bytesToHost: number;
}

/**
 * @internal A zeroed {@link UserNetworkStats}.
 *
 * @example
 * ```ts
 * const stats = zeroUserNetworkStats();
 * stats.tcpAccepted++;
 * ```
 */
export function zeroUserNetworkStats(): UserNetworkStats {
  return {
    tcpAccepted: 0,
    tcpRefused: 0,
    tcpActive: 0,
    tcpReset: 0,
    udpToGuest: 0,
    udpToHost: 0,
    udpDropped: 0,
    natTcpConnections: 0,
    natTcpRefused: 0,
    natTcpActive: 0,
    natUdpFlows: 0,
    natUdpActive: 0,
    natUdpExpired: 0,
    natUdpEvicted: 0,
    natUdpToHost: 0,
    natUdpToGuest: 0,
    natUdpDropped: 0,
    natBlocked: 0,
    hostSocketsOpened: 0,
    dnsQueries: 0,
    dnsAnswers: 0,
    dnsFailures: 0,
    bytesToGuest: 0,
    bytesToHost: 0,
  };
}
