/**
 * User-mode networking (what QEMU's slirp and passt do), built from libos's own stack:
 * the guest's NIC attaches to one end of an in-process link; on the other end a
 * gateway {@link Stack} hands out an address by DHCP and forwards host ports into the
 * guest. No root, no TAP: the host side is ordinary `node:net` / `node:dgram` sockets.
 *
 * ```text
 *  guest NIC ── guestPort ═══ link ═══ gateway Stack 10.0.2.2 ── DHCP server (67/udp)
 *                                            │
 *           host 127.0.0.1:8080 (node:net) ──┴── TCP to 10.0.2.15:80
 * ```
 */
import { HostClock, HostEntropy } from '@libos/sched';
import { DhcpServer } from '../../dhcp/dhcp-server.js';
import { type RunningDhcpServer, serveDhcp } from '../../dhcp/dhcp-server-socket.js';
import { createLink } from '../../phy/link.js';
import { createStack, type Stack } from '../../stack/stack.js';
import { formatIpv4Address, ipv4Netmask, parseIpv4Address } from '../../wire/ipv4-address.js';
import { GatewayLoop } from './gateway-loop.js';
import { ObservedDevice } from './guest-port.js';
import {
  type BoundHostForward,
  type HostForward,
  type UserNetworkStats,
  zeroUserNetworkStats,
} from './host-forward.js';
import { TcpForward } from './tcp-forward.js';
import { UdpForward } from './udp-forward.js';
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
  /** DNS servers announced (option 6); default none (no DNS relay in this gateway). */
  readonly dnsServers?: readonly string[];
  /** Domain name announced (option 15); default none. */
  readonly domainName?: string;
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
  /** How long a forwarded TCP connection may take to reach the guest; default 10,000 ms. */
  readonly connectTimeoutMs?: number;
  /** Host peers tracked per UDP forward; default 64. */
  readonly maxUdpPeers?: number;
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
 * Not done by this gateway: outbound NAT (guest connections to the host or beyond) and
 * DNS relay.
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
 *   hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }],
 * });
 * const guest = createStack({ devices: [net.guestPort], clock: new HostClock(), entropy: new HostEntropy(), ipv4: 'dhcp' });
 * // drive `guest` (poll / pollAt / net.guestPort.waitForFrame), serve HTTP on port 80, then:
 * // curl http://127.0.0.1:8080/
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
        ...(dhcpOptions.dnsServers === undefined ? {} : { dnsServers: dhcpOptions.dnsServers }),
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

  const forwards: (TcpForward | UdpForward)[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
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
    stats,
    get closed() {
      return closed;
    },
    close,
  };
}
