/**
 * User-mode networking (what QEMU's slirp and passt do), built from libos's own stack:
 * the guest's NIC attaches to one end of an in-process link; on the other end a
 * gateway {@link Stack} hands out an address by DHCP, relays DNS, NATs the guest's
 * outbound TCP and UDP through host sockets and forwards host ports into the guest.
 * No root, no TAP: the host side is ordinary `node:net` / `node:dgram` sockets.
 *
 * ```text
 *  guest NIC ── guestPort ═══ link ═══ gateway Stack 10.0.2.2 ── DHCP server (67/udp)
 *                                            │ ├─ DNS relay (53/udp) ── upstream resolver
 *                                            │ ├─ interceptTcp ── node:net connect (NAT)
 *                                            │ └─ interceptUdp ── node:dgram per flow (NAT)
 *           host 127.0.0.1:8080 (node:net) ──┴── TCP to 10.0.2.15:80 (host forward)
 * ```
 */
import { isIP } from 'node:net';
import { HostClock, HostEntropy } from '@libos/sched';
import { DhcpServer } from '../../dhcp/dhcp-server.js';
import { type RunningDhcpServer, serveDhcp } from '../../dhcp/dhcp-server-socket.js';
import { createLink } from '../../phy/link.js';
import { createStack, type Stack } from '../../stack/stack.js';
import { formatIpv4Address, ipv4Netmask, parseIpv4Address } from '../../wire/ipv4-address.js';
import { DnsRelay, type DnsUpstream, hostResolver } from './dns-relay.js';
import { GatewayLoop } from './gateway-loop.js';
import { ObservedDevice } from './guest-port.js';
import {
  type BoundHostForward,
  type HostForward,
  type UserNetworkStats,
  zeroUserNetworkStats,
} from './host-forward.js';
import { type OutboundMode, OutboundPolicy } from './outbound-policy.js';
import { TcpForward } from './tcp-forward.js';
import { TcpNat } from './tcp-nat.js';
import { UdpForward } from './udp-forward.js';
import { UdpNat } from './udp-nat.js';
import { UserNetworkError } from './user-network-error.js';

/**
 * DHCP settings of a user-mode network.
 *
 * @example
 * ```ts
 * import type { UserNetworkDhcpOptions } from '@libos/net/node';
 * const dhcp: UserNetworkDhcpOptions = { poolStart: '10.0.2.15', poolSize: 16, leaseTime: 86_400 };
 * ```
 */
export interface UserNetworkDhcpOptions {
  /** First address handed out; default the network address + 15 (10.0.2.15). */
  readonly poolStart?: string;
  /** Addresses in the pool; default 16. */
  readonly poolSize?: number;
  /** Lease time in seconds; default 86,400. */
  readonly leaseTime?: number;
  /** DNS servers announced (option 6); default the gateway address (the DNS relay), none without it. */
  readonly dnsServers?: readonly string[];
  /** Domain name announced (option 15); default none. */
  readonly domainName?: string;
}

/**
 * DNS relay settings of a user-mode network. The relay answers on UDP port 53 of the
 * gateway address (10.0.2.2), which DHCP announces as the DNS server.
 *
 * @example
 * ```ts
 * import type { UserNetworkDnsOptions } from '@libos/net/node';
 * const dns: UserNetworkDnsOptions = { upstream: { address: '127.0.0.53', port: 53 }, timeoutMs: 3000 };
 * ```
 */
export interface UserNetworkDnsOptions {
  /** The resolver queries go to; default the host's first (`dns.getServers()[0]`). */
  readonly upstream?: DnsUpstream;
  /** How long to wait for its answer before the guest gets SERVFAIL; default 5,000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Options of {@link createUserNetwork}.
 *
 * @example
 * ```ts
 * import type { UserNetworkOptions } from '@libos/net/node';
 * const options: UserNetworkOptions = {
 *   gatewayAddress: '10.0.2.2/24',
 *   hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
 * };
 * ```
 */
export interface UserNetworkOptions {
  /** The gateway's address and prefix on the guest link; default `10.0.2.2/24` (as slirp). */
  readonly gatewayAddress?: string;
  /** DHCP server settings, or `false` for none (the guest then configures itself). */
  readonly dhcp?: UserNetworkDhcpOptions | false;
  /** Host ports forwarded into the guest. */
  readonly hostForwards?: readonly HostForward[];
  /** MTU of the guest link; default 1500. */
  readonly maxTransmitUnit?: number;
  /** Frames buffered per direction on the guest link; default 256. */
  readonly queueFrames?: number;
  /** The guest NIC's MAC (the `guestPort`'s address); default 52:54:00:12:34:56. */
  readonly guestMac?: Uint8Array;
  /** The gateway's MAC; default 52:55:0a:00:02:02. */
  readonly gatewayMac?: Uint8Array;
  /**
   * How long a TCP connection may take to connect: a host forward's to the guest, an
   * outbound NAT connection's to the host destination; default 10,000 ms.
   */
  readonly connectTimeoutMs?: number;
  /** Host peers tracked per UDP forward; default 64. */
  readonly maxUdpPeers?: number;
  /**
   * What outbound NAT lets the guest reach: `'all'` (default), `'loopback'` (only the
   * host, as the gateway address) or `'none'`. Forbidden TCP is refused with RST,
   * forbidden UDP answered with ICMP "administratively prohibited"; neither opens a
   * host socket.
   */
  readonly outbound?: OutboundMode;
  /** DNS relay settings, or `false` for none. */
  readonly dns?: UserNetworkDnsOptions | false;
  /** An outbound UDP flow without traffic for this long is closed; default 60,000 ms. */
  readonly udpFlowIdleMs?: number;
  /** Outbound UDP flows (guest address and port) open at once; default 256. */
  readonly maxUdpFlows?: number;
}

/**
 * A running user-mode network. Attach the guest's NIC to `guestPort`; call `close()`
 * to stop the gateway and close every host socket.
 *
 * @example
 * ```ts
 * const net = await createUserNetwork({ hostForwards: [{ protocol: 'tcp', hostPort: 0, guestPort: 80 }] });
 * const guest = createStack({ devices: [net.guestPort], clock, entropy, ipv4: 'dhcp' });
 * console.log(net.forwards[0]!.hostPort);
 * await net.close();
 * ```
 */
export interface UserNetwork {
  /**
   * The device the guest's NIC (or a virtio-net device model's backend) attaches to.
   * `waitForFrame(ms)` resolves when the gateway has sent the guest a frame.
   */
  readonly guestPort: ObservedDevice;
  /** The gateway stack (for inspection: stats, interfaces, extra sockets). */
  readonly gateway: Stack;
  /** The DHCP server state machine, if enabled. */
  readonly dhcpServer: DhcpServer | undefined;
  /** The forwards as bound (ephemeral host ports resolved). */
  readonly forwards: readonly BoundHostForward[];
  /** The outbound restriction in force. */
  readonly outbound: OutboundMode;
  /** Where the guest's DNS queries go (the gateway address), or undefined without a relay. */
  readonly dnsAddress: string | undefined;
  /** Forwarding counters. */
  readonly stats: UserNetworkStats;
  /** Whether `close()` was called. */
  readonly closed: boolean;
  /** Stops the gateway loop, resets forwarded connections, closes every host socket. */
  close(): Promise<void>;
}

const DEFAULT_GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const DEFAULT_GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);

function parsePrefixed(text: string): { address: number; prefixLength: number } {
  const [addr, prefix, extra] = text.split('/');
  const prefixLength = Number(prefix);
  if (addr === undefined || extra !== undefined || !Number.isInteger(prefixLength)) {
    throw new UserNetworkError(
      'EINVAL',
      `gatewayAddress must look like 10.0.2.2/24, got '${text}'`,
    );
  }
  if (prefixLength < 1 || prefixLength > 30) {
    throw new UserNetworkError(
      'EINVAL',
      `gatewayAddress prefix must be 1..30, got /${prefixLength}`,
    );
  }
  return { address: parseAddress(addr, 'gatewayAddress'), prefixLength };
}

function parseAddress(text: string, what: string): number {
  try {
    return parseIpv4Address(text);
  } catch {
    throw new UserNetworkError('EINVAL', `${what} must be an IPv4 address, got '${text}'`);
  }
}

function checkPort(port: number, what: string, allowZero: boolean): void {
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new UserNetworkError(
      'EINVAL',
      `${what} must be in ${allowZero ? 0 : 1}..65535, got ${port}`,
    );
  }
}

/**
 * Starts a user-mode network: an in-process link whose far end carries a gateway
 * {@link Stack} (default 10.0.2.2/24) with a {@link DhcpServer} (the guest gets
 * 10.0.2.15 first) and the requested host port forwards. The gateway is polled in real
 * time, when the guest sends and when its `pollAt()` falls due; `close()` stops it.
 *
 * Outbound NAT: a guest connection or datagram to any IPv4 destination is carried by
 * a host socket to the same destination — the gateway address stands for the host's
 * 127.0.0.1 — unless `outbound` forbids it. DNS: queries to the gateway address, port
 * 53, are relayed to the upstream resolver.
 *
 * @param options Addresses, DHCP and forwards.
 * @throws {@link UserNetworkError} `EADDRINUSE` when a forwarded host port is taken,
 *   `EACCES` when the host refuses the bind, `EINVAL` for a bad option (rejects; every
 *   socket opened so far is closed first).
 * @example
 * ```ts
 * import { createStack } from '@libos/net';
 * import { createUserNetwork, serveHttp } from '@libos/net/node';
 * import { HostClock, HostEntropy } from '@libos/sched';
 *
 * const net = await createUserNetwork({
 *   outbound: 'loopback', // the guest may reach the host (as 10.0.2.2), nothing else
 *   hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
 * });
 * const guest = createStack({ devices: [net.guestPort], clock: new HostClock(), entropy: new HostEntropy(), ipv4: 'dhcp' });
 * // drive `guest` (poll / pollAt / net.guestPort.waitForFrame), serve HTTP on port 80, then:
 * // curl http://127.0.0.1:8080/
 * // and from the guest, a host service on 127.0.0.1:5432, and a name through the DNS relay:
 * const db = await guest.connectTcp({ address: '10.0.2.2', port: 5432 });
 * const { addresses } = await guest.resolve('example.com', 'A');
 * await net.close();
 * ```
 */
export async function createUserNetwork(options: UserNetworkOptions = {}): Promise<UserNetwork> {
  const gatewayText = options.gatewayAddress ?? '10.0.2.2/24';
  const { address: gatewayAddress, prefixLength } = parsePrefixed(gatewayText);
  const network = (gatewayAddress & ipv4Netmask(prefixLength)) >>> 0;
  const dhcpOptions = options.dhcp === false ? undefined : (options.dhcp ?? {});
  const poolStart =
    dhcpOptions?.poolStart === undefined
      ? network + 15
      : parseAddress(dhcpOptions.poolStart, 'dhcp.poolStart');
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw new UserNetworkError(
      'EINVAL',
      `connectTimeoutMs must be positive, got ${connectTimeoutMs}`,
    );
  }
  const outbound = options.outbound ?? 'all';
  if (outbound !== 'all' && outbound !== 'loopback' && outbound !== 'none') {
    throw new UserNetworkError('EINVAL', `outbound must be 'all', 'loopback' or 'none'`);
  }
  const dnsOptions = options.dns === false ? undefined : (options.dns ?? {});
  let upstream: Required<DnsUpstream> | undefined;
  if (dnsOptions?.upstream !== undefined) {
    const { address, port = 53 } = dnsOptions.upstream;
    if (isIP(address) === 0) {
      throw new UserNetworkError(
        'EINVAL',
        `dns.upstream.address must be an IP address, got '${address}'`,
      );
    }
    checkPort(port, 'dns.upstream.port', false);
    upstream = { address, port };
  } else if (dnsOptions) {
    upstream = hostResolver();
  }
  for (const [name, value] of [
    ['dns.timeoutMs', dnsOptions?.timeoutMs ?? 5000],
    ['udpFlowIdleMs', options.udpFlowIdleMs ?? 60_000],
    ['maxUdpFlows', options.maxUdpFlows ?? 256],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new UserNetworkError('EINVAL', `${name} must be positive, got ${value}`);
    }
  }
  const rules: BoundHostForward[] = (options.hostForwards ?? []).map((rule, i) => {
    if (rule.protocol !== 'tcp' && rule.protocol !== 'udp') {
      throw new UserNetworkError('EINVAL', `hostForwards[${i}].protocol must be 'tcp' or 'udp'`);
    }
    checkPort(rule.hostPort, `hostForwards[${i}].hostPort`, true);
    checkPort(rule.guestPort, `hostForwards[${i}].guestPort`, false);
    const guest =
      rule.guestAddress === undefined
        ? poolStart
        : parseAddress(rule.guestAddress, `hostForwards[${i}].guestAddress`);
    return {
      protocol: rule.protocol,
      hostAddress: rule.hostAddress ?? '127.0.0.1',
      hostPort: rule.hostPort,
      guestAddress: formatIpv4Address(guest),
      guestPort: rule.guestPort,
    };
  });

  let dhcpServer: DhcpServer | undefined;
  if (dhcpOptions) {
    try {
      dhcpServer = new DhcpServer({
        serverAddress: gatewayAddress,
        prefixLength,
        poolStart,
        ...(dhcpOptions.poolSize === undefined ? {} : { poolSize: dhcpOptions.poolSize }),
        ...(dhcpOptions.leaseTime === undefined ? {} : { leaseTime: dhcpOptions.leaseTime }),
        ...(dhcpOptions.dnsServers === undefined
          ? dnsOptions
            ? { dnsServers: [formatIpv4Address(gatewayAddress)] }
            : {}
          : { dnsServers: dhcpOptions.dnsServers }),
        ...(dhcpOptions.domainName === undefined ? {} : { domainName: dhcpOptions.domainName }),
      });
    } catch (e) {
      throw new UserNetworkError('EINVAL', `dhcp: ${(e as Error).message}`);
    }
  }

  const [guestEnd, gatewayEnd] = createLink({
    ...(options.maxTransmitUnit === undefined ? {} : { maxTransmitUnit: options.maxTransmitUnit }),
    queueFrames: options.queueFrames ?? 256,
    macA: options.guestMac ?? DEFAULT_GUEST_MAC,
    macB: options.gatewayMac ?? DEFAULT_GATEWAY_MAC,
  });
  const clock = new HostClock();
  // The two observed ends wake each other: guest activity polls the gateway, gateway
  // transmissions wake a guest driver waiting in waitForFrame.
  let loop: GatewayLoop | undefined;
  const guestPort = new ObservedDevice(guestEnd, gatewayEnd, () => loop?.wake());
  const gatewayDevice = new ObservedDevice(gatewayEnd, guestEnd, () => guestPort.notify());
  const gateway = createStack({
    devices: [gatewayDevice],
    clock,
    entropy: new HostEntropy(),
    ipv4: { address: `${formatIpv4Address(gatewayAddress)}/${prefixLength}` },
  });
  loop = new GatewayLoop(gateway, clock);
  const stats = zeroUserNetworkStats();
  const wake = (): void => loop?.wake();
  const running: RunningDhcpServer | undefined = dhcpServer
    ? serveDhcp({ stack: gateway, server: dhcpServer, clock, onOutcome: wake })
    : undefined;

  const policy = new OutboundPolicy(outbound, gatewayAddress);
  const tcpNat = new TcpNat({ gateway, stats, wake, policy, connectTimeoutMs });
  const udpNat = new UdpNat({
    gateway,
    stats,
    wake,
    policy,
    idleMs: options.udpFlowIdleMs ?? 60_000,
    maxFlows: options.maxUdpFlows ?? 256,
  });
  const dnsRelay = dnsOptions
    ? new DnsRelay({
        gateway,
        stats,
        wake,
        policy,
        upstream,
        timeoutMs: dnsOptions.timeoutMs ?? 5000,
        maxPending: 64,
      })
    : undefined;

  const forwards: (TcpForward | UdpForward)[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    tcpNat.close();
    udpNat.close();
    dnsRelay?.close();
    await Promise.all(forwards.map((f) => f.close()));
    running?.close();
    // One last poll sends the resets of aborted guest connections.
    gateway.poll(clock.now());
    loop?.stop();
    guestPort.close();
    await running?.done;
  };
  try {
    for (const rule of rules) {
      forwards.push(
        rule.protocol === 'tcp'
          ? await TcpForward.listen(rule, {
              gateway,
              stats,
              wake,
              connectTimeoutMicros: Math.round(connectTimeoutMs * 1000),
            })
          : await UdpForward.bind(rule, {
              gateway,
              stats,
              wake,
              maxPeers: options.maxUdpPeers ?? 64,
            }),
      );
    }
  } catch (e) {
    await close();
    throw e;
  }
  loop.wake();
  return {
    guestPort,
    gateway,
    dhcpServer,
    forwards: forwards.map((f) => f.rule),
    outbound,
    dnsAddress: dnsRelay ? formatIpv4Address(gatewayAddress) : undefined,
    stats,
    get closed() {
      return closed;
    },
    close,
  };
}
