/**
 * The IPv4 stack below TCP: interfaces with ARP, routing, fragmentation and reassembly,
 * ICMPv4 (echo, errors), UDP sockets. Sans-IO: the caller passes `now` to
 * {@link Stack.poll} and asks {@link Stack.pollAt} when to call it next.
 *
 * ```text
 *  device ─► NetworkInterface (Ethernet, ARP) ─► ipv4Input ─► reassembly ─► icmpInput / udpInput ─► UdpSocket
 *  UdpSocket.send ─► sendUdp ─► ipv4Output (route, fragment) ─► NetworkInterface.sendIpv4 ─► device
 * ```
 */
import type { Clock, EntropySource } from '@libos/sched';
import { randomU32 } from '@libos/sched';
import { DHCP_CLIENT_PORT, DhcpClient } from '../dhcp/dhcp-client.js';
import type { DhcpLease } from '../dhcp/dhcp-lease.js';
import type { UdpTransmit } from '../dhcp/udp-transmit.js';
import type { DnsAnswerFor, DnsQueryType } from '../dns/dns-answer.js';
import { DnsResolver } from '../dns/dns-resolver.js';
import { planFragments } from '../ipv4/fragmenter.js';
import {
  type ExpiredDatagram,
  Ipv4Reassembler,
  type ReassemblerStats,
} from '../ipv4/reassembler.js';
import { Ipv4RoutingTable } from '../ipv4/routing-table.js';
import type { NetDevice } from '../net-device.js';
import type { TcpInterceptOptions, TcpInterceptor } from '../tcp/tcp-interceptor.js';
import { type TcpConnectOptions, TcpLayer, type TcpLayerOptions } from '../tcp/tcp-layer.js';
import type { TcpListener } from '../tcp/tcp-listener.js';
import type { TcpStream } from '../tcp/tcp-stream.js';
import {
  emitIcmpv4Repr,
  Icmpv4Message,
  type Icmpv4Repr,
  Icmpv4UnreachableCode,
  icmpv4ErrorQuote,
  icmpv4ReprLength,
  parseIcmpv4Repr,
} from '../wire/icmpv4.js';
import {
  emitIpv4Repr,
  IPV4_MIN_HEADER_LENGTH,
  IpProtocol,
  Ipv4Packet,
  type Ipv4Repr,
} from '../wire/ipv4.js';
import {
  formatIpv4Address,
  type Ipv4Address,
  ipv4Netmask,
  isIpv4Broadcast,
  isIpv4Loopback,
  isIpv4Multicast,
  isIpv4Unspecified,
  parseIpv4Address,
} from '../wire/ipv4-address.js';
import { ipv4OptionsWellFormed } from '../wire/ipv4-options.js';
import { UDP_HEADER_LENGTH, UdpDatagram } from '../wire/udp.js';
import { DhcpBinding, type DhcpConfig } from './dhcp-binding.js';
import {
  type InterfaceAddress,
  type InterfaceHost,
  type InterfaceLimits,
  NetworkInterface,
} from './network-interface.js';
import { StackError } from './stack-error.js';
import { countDrop, createStackStats, type StackStats } from './stack-stats.js';
import {
  type UdpBindOptions,
  type UdpEndpoint,
  type UdpInterceptOptions,
  type UdpMessage,
  UdpSocket,
} from './udp-socket.js';

/** RFC 768: 65,535 − 8 (UDP header) − 20 (IPv4 header). */
const MAX_UDP_PAYLOAD = 65507;
/** RFC 1700 / Linux default TTL. */
const DEFAULT_TTL = 64;
/** RFC 6335 §6: the dynamic port range. */
const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;
/** Frames taken from one device per receive call, and calls per poll. */
const RECEIVE_BUDGET = 64;
const RECEIVE_ROUNDS = 16;
/** Global ICMP error rate limit, like Linux's icmp_msgs_per_sec / icmp_msgs_burst. */
const ICMP_ERRORS_PER_SECOND = 1000;
const ICMP_ERROR_BURST = 50;

/**
 * A static IPv4 configuration: address with prefix length, optional default gateway.
 *
 * @example
 * ```ts
 * import type { Ipv4StaticConfig } from '@libos/net';
 * const config: Ipv4StaticConfig = { address: '10.0.2.15/24', gateway: '10.0.2.2' };
 * ```
 */
export interface Ipv4StaticConfig {
  /** `a.b.c.d/prefix`. */
  readonly address: string;
  /** Default gateway, on the same subnet. */
  readonly gateway?: string;
}

/**
 * How an interface gets its IPv4 address: statically, or by DHCP (`'dhcp'`, or
 * `{ dhcp: {...} }` with options).
 *
 * @example
 * ```ts
 * import type { Ipv4Config } from '@libos/net';
 * const configs: Ipv4Config[] = [{ address: '10.0.0.2/24' }, 'dhcp', { dhcp: { hostName: 'web' } }];
 * ```
 */
export type Ipv4Config =
  | Ipv4StaticConfig
  | 'dhcp'
  | {
      /** DHCP with options. */
      readonly dhcp: DhcpConfig;
    };

/**
 * One interface of {@link createStack}: a device and how it gets its address.
 *
 * @example
 * ```ts
 * import type { InterfaceOptions } from '@libos/net';
 * const eth0: InterfaceOptions = { device: nic, ipv4: { address: '192.168.1.2/24' } };
 * ```
 */
export interface InterfaceOptions {
  /** The network device. */
  readonly device: NetDevice;
  /** Address configuration; omitted = the stack-wide `ipv4` option. */
  readonly ipv4?: Ipv4Config;
  /** Interface name; default `eth<index>`. */
  readonly name?: string;
}

/**
 * Options of {@link createStack}.
 *
 * @example
 * ```ts
 * import { createStack } from '@libos/net';
 * import { SeededEntropy, VirtualClock } from '@libos/sched';
 * const stack = createStack({
 *   devices: [nic],
 *   clock: new VirtualClock(),
 *   entropy: new SeededEntropy(1),
 *   ipv4: { address: '10.0.0.2/24', gateway: '10.0.0.1' },
 * });
 * ```
 */
export interface StackOptions {
  /** Devices, each bare or with its own configuration. */
  readonly devices: readonly (NetDevice | InterfaceOptions)[];
  /** Time source for API calls made between polls (send timestamps, ping RTTs). */
  readonly clock: Clock;
  /** Randomness: ephemeral ports, IP identification, ping identifiers. */
  readonly entropy: EntropySource;
  /** Default IPv4 configuration of devices given without one (static or DHCP). */
  readonly ipv4?: Ipv4Config;
  /** DNS servers (dotted quads); DHCP-provided servers are used when omitted. */
  readonly dnsServers?: readonly string[];
  /** Queue limits of every interface. */
  readonly interfaceLimits?: InterfaceLimits;
  /** Reassembly memory: bytes buffered across all datagrams. Default 256 KiB. */
  readonly reassemblyBytes?: number;
  /** TCP tuning: buffers, congestion control, timers (see `TcpLayerOptions`). */
  readonly tcp?: Omit<TcpLayerOptions, 'output' | 'entropy' | 'clock'>;
}

/**
 * Options of {@link Stack.listenTcp}.
 *
 * @example
 * ```ts
 * const listener = stack.listenTcp({ port: 80, backlog: 64 });
 * for await (const conn of listener) void serve(conn);
 * ```
 */
export interface StackListenOptions {
  /** Port, 1..65535. */
  readonly port: number;
  /** Local address (dotted quad or uint32); omitted = every address. */
  readonly address?: string | Ipv4Address;
  /** Established connections waiting for `accept` before new SYNs are refused. Default 128. */
  readonly backlog?: number;
}

/**
 * Options of {@link Stack.connectTcp}: like `TcpConnectOptions`, with addresses also as
 * dotted quads.
 *
 * @example
 * ```ts
 * const conn = await stack.connectTcp({ address: '10.0.0.1', port: 80, timeout: 5_000_000 });
 * ```
 */
export interface StackConnectOptions extends Omit<TcpConnectOptions, 'address' | 'localAddress'> {
  /** The peer's address. */
  readonly address: string | Ipv4Address;
  /** Our address; omitted = chosen by the route. */
  readonly localAddress?: string | Ipv4Address;
}

/**
 * Result of {@link Stack.ping}.
 *
 * @example
 * ```ts
 * const { roundTripMicros, ttl } = await stack.ping('10.0.0.1');
 * ```
 */
export interface PingReply {
  /** Round-trip time in µs, measured with the stack's clock. */
  readonly roundTripMicros: number;
  /** TTL of the reply's IP header. */
  readonly ttl: number;
  /** Echoed payload bytes. */
  readonly bytes: number;
  /** ICMP sequence number. */
  readonly sequence: number;
}

/**
 * Options of {@link Stack.ping}.
 *
 * @example
 * ```ts
 * await stack.ping('10.0.0.1', { timeoutMicros: 500_000, size: 1000 });
 * ```
 */
export interface PingOptions {
  /** Give up after this long (µs, stack clock). Default 1 s. */
  readonly timeoutMicros?: number;
  /** Payload bytes. Default 56, like `ping`. */
  readonly size?: number;
}

interface PendingPing {
  readonly sentAt: number;
  readonly deadline: number;
  readonly data: Uint8Array;
  resolve(reply: PingReply): void;
  reject(error: StackError): void;
}

/** Writes an IP payload of known length; `checksum` says whether L4 checksums must be computed. */
type PayloadWriter = (payload: Uint8Array, source: Ipv4Address, checksum: boolean) => void;

interface OutputOptions {
  readonly source?: Ipv4Address;
  readonly iface?: NetworkInterface;
  readonly ttl?: number;
  /** May the device fill in the L4 checksum (transmit checksum offload)? */
  readonly offloadableChecksum?: boolean;
  /** A TCP segment the device may cut into MTU-sized segments (TSO) instead of fragmenting. */
  readonly segmentable?: boolean;
}

/** Largest IPv4 datagram (RFC 791 §3.1: Total Length is 16 bits). */
const IPV4_MAX_LENGTH = 65535;

/** Whether the interface's device cuts large TCP segments itself (TSO needs checksum offload). */
function segmentationOffload(iface: NetworkInterface): boolean {
  const caps = iface.device.capabilities;
  return caps.segmentationOffload && caps.checksumOffload.transmit;
}

/**
 * The network stack object: interfaces, routes, sockets and counters. Make one with
 * {@link createStack}; drive it with {@link Stack.poll} / {@link Stack.pollAt}.
 *
 * @example
 * ```ts
 * const stack = createStack({ devices: [nic], clock, entropy, ipv4: { address: '10.0.0.2/24' } });
 * const socket = stack.bindUdp({ port: 7 });
 * for (;;) {
 *   stack.poll(clock.now());
 *   const message = socket.tryReceive();
 *   if (message) await socket.send(message.data, message.address, message.port);
 * }
 * ```
 */
export class Stack {
  /** Whether the last unfragmented datagram `#ipv4Output` sent was dropped (queue full). */
  #outputDropped = false;
  /** Interfaces, in the order of `devices`. */
  readonly interfaces: readonly NetworkInterface[];
  /** The routing table (connected routes and default gateways are added by configuration). */
  readonly routes = new Ipv4RoutingTable();
  /** Counters per protocol, like `netstat -s`. */
  readonly stats: StackStats = createStackStats();
  /** The TCP layer (RFC 9293): connections, listeners and its own counters. */
  readonly tcp: TcpLayer;
  readonly #clock: Clock;
  readonly #entropy: EntropySource;
  readonly #reassembler: Ipv4Reassembler;
  readonly #udp = new Map<number, UdpSocket[]>();
  /** The socket of {@link Stack.interceptUdp}, if open. */
  #udpInterceptor: UdpSocket | undefined;
  readonly #pings = new Map<number, PendingPing>();
  readonly #pingIdentifier: number;
  #pingSequence = 0;
  #identification: number;
  #icmpTokens = ICMP_ERROR_BURST;
  #icmpRefilledAt = 0;
  readonly #udpWaiters: (() => void)[] = [];
  readonly #dhcp = new Map<NetworkInterface, DhcpBinding>();
  readonly #resolver: DnsResolver;
  readonly #staticDns: boolean;

  /** @internal Use {@link createStack}. */
  constructor(options: StackOptions) {
    this.#clock = options.clock;
    this.#entropy = options.entropy;
    this.#identification = randomU32(options.entropy) & 0xffff;
    this.#pingIdentifier = randomU32(options.entropy) & 0xffff;
    this.#reassembler = new Ipv4Reassembler({
      maxBytes: options.reassemblyBytes ?? 256 * 1024,
      onTimeout: (expired) => this.#reassemblyTimeout(expired),
    });
    const now = options.clock.now();
    this.#icmpRefilledAt = now;
    const limits = options.interfaceLimits ?? {};
    this.interfaces = options.devices.map((entry, index) => {
      const spec: InterfaceOptions = 'device' in entry ? entry : { device: entry };
      return new NetworkInterface(this, spec.device, index, spec.name ?? `eth${index}`, limits);
    });
    this.tcp = new TcpLayer({
      ...options.tcp,
      entropy: options.entropy,
      clock: options.clock,
      output: {
        route: (destination) => {
          const route = this.#route(destination);
          const source = route?.iface.ipv4?.address;
          if (route === undefined || source === undefined) return undefined;
          const { mtu } = route.iface;
          return segmentationOffload(route.iface)
            ? { source, mtu, offloadSegmentLength: IPV4_MAX_LENGTH - IPV4_MIN_HEADER_LENGTH }
            : { source, mtu };
        },
        send: (source, destination, length, write) => {
          const error = this.#ipv4Output(
            destination,
            IpProtocol.TCP,
            length,
            (out, _source, checksum) => write(out, checksum),
            {
              source,
              offloadableChecksum: true,
              segmentable: true,
            },
          );
          return error === undefined && !this.#outputDropped;
        },
      },
    });
    const servers = (options.dnsServers ?? []).map(parseAddress);
    this.#staticDns = servers.length > 0;
    this.#resolver = new DnsResolver({ entropy: options.entropy, servers });
    options.devices.forEach((entry, index) => {
      const config = ('device' in entry ? entry.ipv4 : undefined) ?? options.ipv4;
      const iface = this.interfaces[index]!;
      if (config === undefined) return;
      if (config === 'dhcp' || 'dhcp' in config) {
        const dhcp = config === 'dhcp' ? {} : config.dhcp;
        const client = new DhcpClient({
          hardwareAddress: iface.macAddress,
          entropy: options.entropy,
          ...(dhcp.hostName === undefined ? {} : { hostName: dhcp.hostName }),
        });
        this.#dhcp.set(iface, new DhcpBinding(this, iface, client, dhcp));
      } else {
        this.configureIpv4(iface, config);
      }
    });
  }

  /** The DHCP client of `iface`, if it is configured by DHCP (state, lease, counters). */
  dhcpClient(iface: NetworkInterface): DhcpClient | undefined {
    return this.#dhcp.get(iface)?.client;
  }

  /** The DNS stub resolver behind {@link Stack.resolve} (servers, cache, counters). */
  get resolver(): DnsResolver {
    return this.#resolver;
  }

  /**
   * Resolves `name` to IPv4 (`'A'`) or IPv6 (`'AAAA'`) addresses through the configured
   * or DHCP-provided DNS servers, following CNAMEs; answers are cached by TTL.
   *
   * @throws `DnsError` (`ENOTFOUND`, `ETIMEOUT`, `ESERVFAIL`, ...) on failure.
   */
  resolve<T extends DnsQueryType>(name: string, type: T): Promise<DnsAnswerFor<T>> {
    const now = this.#clock.now();
    const answer = this.#resolver.resolve(name, type, now);
    this.#flushResolver(now);
    return answer;
  }

  /**
   * Listens for TCP connections; iterate the listener (or `accept()`) for them.
   *
   * @throws `TcpError` `EADDRINUSE` when the port is taken, `EINVAL` for a bad port.
   */
  listenTcp(options: StackListenOptions): TcpListener {
    const address = options.address === undefined ? 0 : parseAddress(options.address);
    return this.tcp.listen({
      port: options.port,
      address,
      ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
    });
  }

  /**
   * Opens a TCP connection (RFC 9293 active OPEN).
   *
   * @throws `TcpError` `ECONNREFUSED`, `ETIMEDOUT`, `ENETUNREACH`, `EHOSTUNREACH`, ...
   */
  connectTcp(options: StackConnectOptions): Promise<TcpStream> {
    const { address, localAddress, ...rest } = options;
    const connect = this.tcp.connect({
      ...rest,
      address: parseAddress(address),
      ...(localAddress === undefined ? {} : { localAddress: parseAddress(localAddress) }),
    });
    return connect;
  }

  /**
   * Intercepts TCP connection attempts that no connection or listener takes, whatever
   * their destination address and port — transparent TCP, as Linux's `IP_TRANSPARENT`
   * with a TPROXY rule. While the interceptor is open the stack also accepts TCP
   * segments addressed to other hosts. Each SYN becomes a `TcpConnectRequest` to
   * accept (the connection's local address and port are the original destination) or
   * refuse (RST). This is how a user-mode network gateway NATs a guest's connections.
   *
   * @param options Most undecided requests (default 128).
   * @throws `TcpError` `EADDRINUSE` while another interceptor is open.
   * @example
   * ```ts
   * const interceptor = gateway.interceptTcp();
   * for await (const request of interceptor) {
   *   if (request.localPort === 80) void proxy(await request.accept());
   *   else request.refuse();
   * }
   * ```
   */
  interceptTcp(options: TcpInterceptOptions = {}): TcpInterceptor {
    return this.tcp.intercept(options);
  }

  /**
   * Opens the intercepting UDP socket: it receives every unicast datagram that no other
   * socket takes, whatever its destination address and port (the message's
   * `destination` and `destinationPort` say which), and may answer from any address and
   * port with {@link UdpSocket.sendFrom}. While it is open the stack also accepts UDP
   * addressed to other hosts. One per stack.
   *
   * @param options Receive queue length.
   * @throws {@link StackError} `EADDRINUSE` while another intercepting socket is open.
   * @example
   * ```ts
   * const nat = gateway.interceptUdp();
   * for await (const m of nat) {
   *   // answer as the host the datagram was meant for
   *   await nat.sendFrom(m.data, { address: m.destination, port: m.destinationPort }, m.address, m.port);
   * }
   * ```
   */
  interceptUdp(options: UdpInterceptOptions = {}): UdpSocket {
    if (this.#udpInterceptor !== undefined) {
      throw new StackError('EADDRINUSE', 'another intercepting UDP socket is open');
    }
    const socket = new UdpSocket(this, 0, 0, { ...options, intercepting: true });
    this.#udpInterceptor = socket;
    return socket;
  }

  /** @internal {@link DhcpBindingHost}: a lease was bound, renewed, or lost. */
  applyLease(iface: NetworkInterface, lease: DhcpLease | undefined): void {
    const gateway = lease?.routers[0];
    const current = iface.ipv4;
    const unchanged =
      lease !== undefined &&
      current?.address === lease.address &&
      current.prefixLength === lease.prefixLength &&
      this.routes.lookup(0)?.gateway === gateway;
    if (!unchanged) {
      this.setInterfaceAddress(
        iface,
        lease ? { address: lease.address, prefixLength: lease.prefixLength } : undefined,
        gateway,
      );
    }
    if (!this.#staticDns && lease) this.#resolver.setServers(lease.dnsServers);
  }

  /** @internal {@link DhcpBindingHost}: sends a datagram built by DHCP or DNS. */
  sendDatagram(iface: NetworkInterface | undefined, transmit: UdpTransmit): void {
    const { destination, destinationPort, sourcePort, payload } = transmit;
    const length = UDP_HEADER_LENGTH + payload.length;
    const error = this.#ipv4Output(
      destination,
      IpProtocol.UDP,
      length,
      (out, source, checksum) =>
        writeUdp(out, sourcePort, destinationPort, payload, source, destination, checksum),
      {
        offloadableChecksum: true,
        ...(transmit.source === 0 ? {} : { source: transmit.source }),
        ...(iface && isIpv4Broadcast(destination) ? { iface } : {}),
      },
    );
    if (error) countDrop(this.stats.udp, 'unroutable');
    else this.stats.udp.sent++;
  }

  #flushResolver(now: number): void {
    for (let i = 0; i < 64; i++) {
      const transmit = this.#resolver.poll(now);
      if (!transmit) return;
      this.sendDatagram(undefined, transmit);
    }
  }

  /** Counters and memory use of IPv4 reassembly (RELIABILITY item 6: bounded). */
  get reassembly(): ReassemblerStats {
    return this.#reassembler.stats;
  }

  /**
   * Sets an interface's static address: adds the connected route and, with a gateway,
   * the default route; announces the address with a gratuitous ARP.
   *
   * @throws {@link StackError} `EINVAL` for a malformed address or a gateway off the subnet.
   */
  configureIpv4(iface: NetworkInterface, config: Ipv4StaticConfig): void {
    const { address, prefixLength } = parseCidr(config.address);
    let gateway: Ipv4Address | undefined;
    if (config.gateway !== undefined) {
      gateway = parseAddress(config.gateway);
      const mask = ipv4Netmask(prefixLength);
      if ((gateway & mask) >>> 0 !== (address & mask) >>> 0) {
        throw new StackError('EINVAL', `gateway ${config.gateway} is not on ${config.address}`);
      }
    }
    this.setInterfaceAddress(iface, { address, prefixLength }, gateway);
  }

  /**
   * Sets (or with `undefined`, removes) an interface's address and routes. Used by
   * {@link Stack.configureIpv4} and by DHCP.
   */
  setInterfaceAddress(
    iface: NetworkInterface,
    config: InterfaceAddress | undefined,
    gateway?: Ipv4Address,
  ): void {
    this.routes.removeInterface(iface.index);
    iface.setAddress(config, this.#clock.now());
    if (!config) return;
    const network = (config.address & ipv4Netmask(config.prefixLength)) >>> 0;
    this.routes.add({ network, prefixLength: config.prefixLength, interfaceId: iface.index });
    if (gateway !== undefined) {
      this.routes.add({ network: 0, prefixLength: 0, gateway, interfaceId: iface.index });
    }
  }

  /**
   * Processes everything that is due: received frames on every interface, ARP retries,
   * reassembly timeouts, ping timeouts, the transmit backlog.
   *
   * @param now Current time in µs (the caller's clock).
   * @returns Frames received.
   */
  poll(now: number = this.#clock.now()): number {
    let frames = 0;
    for (const iface of this.interfaces) {
      for (let round = 0; round < RECEIVE_ROUNDS; round++) {
        const n = iface.receive(RECEIVE_BUDGET, now);
        frames += n;
        if (n < RECEIVE_BUDGET) break;
      }
      iface.poll(now);
      this.#dhcp.get(iface)?.poll(now);
    }
    this.#flushResolver(now);
    this.tcp.poll(now);
    this.#reassembler.expire(now);
    for (const [sequence, ping] of this.#pings) {
      if (now >= ping.deadline) {
        this.#pings.delete(sequence);
        ping.reject(new StackError('ETIMEDOUT', `no echo reply for sequence ${sequence}`));
      }
    }
    this.#wakeSenders();
    return frames;
  }

  /**
   * When {@link Stack.poll} must run next even if no frame arrives (µs), or `null` when
   * only new frames can make work. With {@link Stack.poll} this makes a stack a
   * `Poller` of @libos/sched.
   */
  pollAt(): number | null {
    let at = this.#reassembler.pollAt();
    for (const iface of this.interfaces) at = earliest(at, iface.pollAt());
    for (const ping of this.#pings.values()) at = earliest(at, ping.deadline);
    for (const binding of this.#dhcp.values()) at = earliest(at, binding.pollAt());
    at = earliest(at, this.#resolver.pollAt());
    at = earliest(at, this.tcp.pollAt());
    return at ?? null;
  }

  /**
   * Opens a UDP socket.
   *
   * @throws {@link StackError} `EADDRINUSE` when the port is taken, `EADDRNOTAVAIL` for
   *   an address that no interface has, `EINVAL` for a bad port.
   */
  bindUdp(options: UdpBindOptions = {}): UdpSocket {
    const address = options.address === undefined ? 0 : parseAddress(options.address);
    if (address !== 0 && !this.interfaces.some((i) => i.ipv4?.address === address)) {
      throw new StackError('EADDRNOTAVAIL', `${formatIpv4Address(address)} is not a local address`);
    }
    let port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new StackError('EINVAL', `port ${port} is outside 0..65535`);
    }
    if (port === 0) port = this.#ephemeralPort();
    const bound = this.#udp.get(port) ?? [];
    if (bound.some((s) => s.address === 0 || address === 0 || s.address === address)) {
      throw new StackError('EADDRINUSE', `UDP port ${port} is in use`);
    }
    const socket = new UdpSocket(this, port, address, options);
    bound.push(socket);
    this.#udp.set(port, bound);
    return socket;
  }

  /**
   * Sends an ICMP echo request and resolves with the reply (RFC 792).
   *
   * @throws {@link StackError} `ETIMEDOUT` without a reply in time, `EHOSTUNREACH` /
   *   `ENETUNREACH` on an ICMP error or failed ARP.
   */
  ping(address: string | Ipv4Address, options: PingOptions = {}): Promise<PingReply> {
    const destination = parseAddress(address);
    const size = options.size ?? 56;
    if (!Number.isInteger(size) || size < 0 || size > MAX_UDP_PAYLOAD) {
      return Promise.reject(new StackError('EINVAL', `ping size ${size} is outside 0..65507`));
    }
    const sequence = this.#pingSequence;
    this.#pingSequence = (this.#pingSequence + 1) & 0xffff;
    const now = this.#clock.now();
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i + sequence) & 0xff;
    const repr: Icmpv4Repr = {
      kind: 'echo-request',
      identifier: this.#pingIdentifier,
      sequenceNumber: sequence,
      data,
    };
    return new Promise<PingReply>((resolve, reject) => {
      this.#pings.get(sequence)?.reject(new StackError('ECANCELED', 'ping sequence reused'));
      this.#pings.set(sequence, {
        sentAt: now,
        deadline: now + (options.timeoutMicros ?? 1_000_000),
        data,
        resolve,
        reject,
      });
      const error = this.#sendIcmp(destination, repr, {});
      if (error) {
        this.#pings.delete(sequence);
        reject(error);
      }
    });
  }

  /** @internal {@link UdpSocketHost}: sends a datagram for `socket`. */
  async sendUdp(
    socket: UdpSocket,
    data: Uint8Array,
    destination: Ipv4Address,
    port: number,
    from?: UdpEndpoint,
  ): Promise<void> {
    if (data.length > MAX_UDP_PAYLOAD) {
      throw new StackError('EMSGSIZE', `${data.length} bytes exceed the 65,507-byte UDP maximum`);
    }
    const broadcast =
      isIpv4Broadcast(destination) || this.interfaces.some((i) => i.isLocalBroadcast(destination));
    if (broadcast && !socket.broadcast) {
      throw new StackError('EACCES', 'sending to a broadcast address needs { broadcast: true }');
    }
    while (this.#congested(destination)) {
      if (socket.closed) throw new StackError('EBADF', 'socket is closed');
      await new Promise<void>((resolve) => this.#udpWaiters.push(resolve));
    }
    if (socket.closed) throw new StackError('EBADF', 'socket is closed');
    const length = UDP_HEADER_LENGTH + data.length;
    const sourcePort = from?.port ?? socket.port;
    const sourceAddress = from?.address ?? socket.address;
    const error = this.#ipv4Output(
      destination,
      IpProtocol.UDP,
      length,
      (out, source, checksum) =>
        writeUdp(out, sourcePort, port, data, source, destination, checksum),
      sourceAddress === 0
        ? { offloadableChecksum: true }
        : { offloadableChecksum: true, source: sourceAddress },
    );
    if (error) throw error;
    this.stats.udp.sent++;
  }

  /**
   * @internal {@link UdpSocketHost}: ICMP "administratively prohibited" about an
   * intercepted datagram. The quoted header is rebuilt from the message (the original
   * bytes are gone); receivers match on its addresses and ports.
   */
  refuseUdp(message: UdpMessage): void {
    const quote = new Uint8Array(IPV4_MIN_HEADER_LENGTH + UDP_HEADER_LENGTH);
    const udpLength = UDP_HEADER_LENGTH + message.data.length;
    emitIpv4Repr(
      {
        source: message.address,
        destination: message.destination,
        protocol: IpProtocol.UDP,
        payloadLength: udpLength,
        ttl: DEFAULT_TTL,
      },
      quote,
    );
    const datagram = new UdpDatagram(quote.subarray(IPV4_MIN_HEADER_LENGTH));
    datagram.sourcePort = message.port;
    datagram.destinationPort = message.destinationPort;
    datagram.length = udpLength;
    datagram.checksum = 0;
    // RFC 1812 §5.2.7.1: code 13, communication administratively prohibited.
    this.#sendIcmpError(message.address, 'destination-unreachable', 13, quote);
  }

  /** @internal {@link UdpSocketHost}: forgets a closed socket. */
  releaseUdp(socket: UdpSocket): void {
    if (socket === this.#udpInterceptor) {
      this.#udpInterceptor = undefined;
      this.#wakeSenders();
      return;
    }
    const bound = this.#udp.get(socket.port);
    if (!bound) return;
    const rest = bound.filter((s) => s !== socket);
    if (rest.length > 0) this.#udp.set(socket.port, rest);
    else this.#udp.delete(socket.port);
    this.#wakeSenders();
  }

  /** @internal {@link InterfaceHost}: an IPv4 packet arrived (RFC 791 §3.2, RFC 1122 §3.2.1). */
  ipv4Input(
    iface: NetworkInterface,
    bytes: Uint8Array,
    checksumVerified: boolean,
    now: number,
  ): void {
    const stats = this.stats.ipv4;
    const packet = Ipv4Packet.check(bytes);
    if (typeof packet === 'string') {
      countDrop(stats, packet);
      return;
    }
    // The header checksum is never offloaded (virtio's DATA_VALID covers L4 only).
    if (!packet.verifyChecksum()) {
      countDrop(stats, 'bad-checksum');
      return;
    }
    if (packet.headerLength > IPV4_MIN_HEADER_LENGTH && !ipv4OptionsWellFormed(packet.options)) {
      countDrop(stats, 'bad-options');
      return;
    }
    const source = packet.source;
    const destination = packet.destination;
    // RFC 1122 §3.2.1.3: a source must be a unicast address.
    if (isIpv4Multicast(source) || isIpv4Broadcast(source) || iface.isLocalBroadcast(source)) {
      countDrop(stats, 'bad-source');
      return;
    }
    if (isIpv4Loopback(source) || isIpv4Loopback(destination)) {
      countDrop(stats, 'martian');
      return;
    }
    const config = iface.ipv4;
    const local = config !== undefined && destination === config.address;
    const broadcast = iface.isLocalBroadcast(destination);
    // Until DHCP has configured the interface, unicast to any address is accepted
    // (RFC 2131 §4.1: a server may unicast the offer to the offered address).
    const unconfigured = config === undefined && !isIpv4Multicast(destination);
    // Transparent interception (interceptTcp / interceptUdp) takes unicast TCP / UDP
    // for any address.
    const intercepted =
      !local &&
      !broadcast &&
      !isIpv4Multicast(destination) &&
      ((packet.protocol === IpProtocol.TCP && this.tcp.intercepting) ||
        (packet.protocol === IpProtocol.UDP && this.#udpInterceptor !== undefined));
    if (!local && !broadcast && !unconfigured && !intercepted) {
      countDrop(stats, isIpv4Multicast(destination) ? 'multicast' : 'not-for-us');
      return;
    }
    stats.received++;
    let payload = packet.payload;
    let verified = checksumVerified;
    if (packet.isFragment) {
      stats.fragmentsReceived++;
      const result = this.#reassembler.insert(
        { source, destination, protocol: packet.protocol, identification: packet.identification },
        packet.fragmentOffset,
        packet.moreFragments,
        payload,
        now,
        bytes.subarray(0, packet.headerLength),
      );
      if (result === undefined) return;
      if (typeof result === 'string') {
        countDrop(stats, `reassembly-${result}`);
        return;
      }
      stats.reassembled++;
      payload = result;
      verified = false;
    }
    const repr: Ipv4Repr = {
      source,
      destination,
      protocol: packet.protocol,
      payloadLength: payload.length,
      ttl: packet.ttl,
    };
    switch (packet.protocol) {
      case IpProtocol.ICMP:
        this.#icmpInput(iface, repr, payload, bytes, broadcast, now);
        return;
      case IpProtocol.TCP:
        // RFC 1122 §4.2.3.10: TCP is never addressed to a broadcast address.
        if (broadcast) countDrop(stats, 'tcp-broadcast');
        else this.tcp.input(source, destination, payload, verified, now);
        return;
      case IpProtocol.UDP:
        this.#udpInput(iface, repr, payload, verified, bytes, broadcast, packet.isFragment, now);
        return;
      default:
        countDrop(stats, 'unknown-protocol');
        if (!broadcast && !packet.isFragment) {
          this.#sendIcmpError(
            source,
            'destination-unreachable',
            Icmpv4UnreachableCode.Protocol,
            bytes,
          );
        }
    }
  }

  /** @internal {@link InterfaceHost}: ARP gave up on the next hop of `packet`. */
  unreachable(_iface: NetworkInterface, packet: Uint8Array, _now: number): void {
    this.#deliverIcmpError(packet, 'EHOSTUNREACH', 'host unreachable (no ARP reply)');
  }

  /** @internal {@link InterfaceHost}: another station uses our address. */
  conflict(iface: NetworkInterface, address: Ipv4Address, now: number): void {
    // Counted by the interface; a DHCP offer under probe is declined (RFC 2131 §4.4.1).
    this.#dhcp.get(iface)?.conflict(address, now);
  }

  /** RFC 792 / RFC 1122 §3.3.2: Time Exceeded code 1, only if the first fragment came. */
  #reassemblyTimeout(expired: ExpiredDatagram): void {
    countDrop(this.stats.ipv4, 'reassembly-timeout');
    const first = expired.firstFragment;
    if (!first?.header || first.data.length < 8 || isIpv4Multicast(expired.destination)) return;
    if (this.interfaces.some((i) => i.isLocalBroadcast(expired.destination))) return;
    const quote = new Uint8Array(first.header.length + 8);
    quote.set(first.header);
    quote.set(first.data.subarray(0, 8), first.header.length);
    this.#sendIcmpError(expired.source, 'time-exceeded', 1, quote);
  }

  #icmpInput(
    iface: NetworkInterface,
    ip: Ipv4Repr,
    payload: Uint8Array,
    _packet: Uint8Array,
    broadcast: boolean,
    now: number,
  ): void {
    const stats = this.stats.icmp;
    const message = Icmpv4Message.check(payload);
    if (typeof message === 'string') {
      countDrop(stats, message);
      return;
    }
    const repr = parseIcmpv4Repr(message);
    if (typeof repr === 'string') {
      countDrop(stats, repr);
      return;
    }
    stats.received++;
    switch (repr.kind) {
      case 'echo-request':
        // RFC 1122 §3.2.2.6: a broadcast echo request MAY be silently discarded (Linux does).
        if (broadcast) {
          countDrop(stats, 'broadcast-echo');
          return;
        }
        this.#sendIcmp(
          ip.source,
          {
            kind: 'echo-reply',
            identifier: repr.identifier,
            sequenceNumber: repr.sequenceNumber,
            data: repr.data,
          },
          { iface, ...(iface.ipv4 ? { source: iface.ipv4.address } : {}) },
        );
        return;
      case 'echo-reply': {
        const ping = this.#pings.get(repr.sequenceNumber);
        if (repr.identifier !== this.#pingIdentifier || !ping || !sameBytes(ping.data, repr.data)) {
          countDrop(stats, 'unexpected-echo-reply');
          return;
        }
        this.#pings.delete(repr.sequenceNumber);
        ping.resolve({
          roundTripMicros: now - ping.sentAt,
          ttl: ip.ttl,
          bytes: repr.data.length,
          sequence: repr.sequenceNumber,
        });
        return;
      }
      case 'destination-unreachable': {
        const code =
          repr.code === Icmpv4UnreachableCode.Port
            ? 'ECONNREFUSED'
            : repr.code === Icmpv4UnreachableCode.FragmentationNeeded
              ? 'EMSGSIZE'
              : repr.code === Icmpv4UnreachableCode.Network
                ? 'ENETUNREACH'
                : 'EHOSTUNREACH';
        this.#deliverIcmpError(
          repr.invoking,
          code,
          `destination unreachable (code ${repr.code})`,
          repr.nextHopMtu,
        );
        return;
      }
      case 'time-exceeded':
        this.#deliverIcmpError(repr.invoking, 'EHOSTUNREACH', `time exceeded (code ${repr.code})`);
        return;
      default:
        countDrop(stats, 'unhandled-type');
    }
  }

  /** Hands an ICMP error (or a local failure) about `invoking` to whoever sent it. */
  #deliverIcmpError(
    invoking: Uint8Array,
    code: 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EMSGSIZE',
    detail: string,
    mtu?: number,
  ): void {
    const stats = this.stats.icmp;
    const header = Ipv4Packet.check(
      invoking.length >= IPV4_MIN_HEADER_LENGTH ? invoking : new Uint8Array(0),
    );
    // The quote holds only the header + 8 bytes: check the header, not the total length.
    if (typeof header === 'string' && header !== 'bad-total-length') {
      countDrop(stats, 'bad-quote');
      return;
    }
    const view = new Ipv4Packet(invoking);
    const headerLength = view.headerLength;
    if (
      view.version !== 4 ||
      headerLength < IPV4_MIN_HEADER_LENGTH ||
      invoking.length < headerLength + 8
    ) {
      countDrop(stats, 'bad-quote');
      return;
    }
    const inner = invoking.subarray(headerLength);
    if (view.protocol === IpProtocol.TCP) {
      stats.errorsDelivered++;
      const now = this.#clock.now();
      if (code === 'EMSGSIZE' && mtu !== undefined)
        this.tcp.icmpFragmentationNeeded(invoking, mtu, now);
      else this.tcp.icmpError(invoking, code === 'EMSGSIZE' ? 'EHOSTUNREACH' : code, now);
      return;
    }
    if (view.protocol === IpProtocol.UDP) {
      const sourcePort = (inner[0]! << 8) | inner[1]!;
      const destinationPort = (inner[2]! << 8) | inner[3]!;
      const socket = this.#findUdpSocket(view.source, sourcePort);
      if (!socket) {
        countDrop(stats, 'error-without-socket');
        return;
      }
      stats.errorsDelivered++;
      socket.deliverError(code, view.destination, destinationPort, detail);
      return;
    }
    if (view.protocol === IpProtocol.ICMP && inner[0] === 8) {
      const identifier = (inner[4]! << 8) | inner[5]!;
      const sequence = (inner[6]! << 8) | inner[7]!;
      const ping = this.#pings.get(sequence);
      if (identifier === this.#pingIdentifier && ping) {
        this.#pings.delete(sequence);
        stats.errorsDelivered++;
        ping.reject(new StackError(code === 'ECONNREFUSED' ? 'EHOSTUNREACH' : code, detail));
        return;
      }
    }
    countDrop(stats, 'error-without-socket');
  }

  #udpInput(
    iface: NetworkInterface,
    ip: Ipv4Repr,
    payload: Uint8Array,
    checksumVerified: boolean,
    packet: Uint8Array,
    broadcast: boolean,
    reassembled: boolean,
    now: number,
  ): void {
    const stats = this.stats.udp;
    const datagram = UdpDatagram.check(payload);
    if (typeof datagram === 'string') {
      countDrop(stats, datagram);
      return;
    }
    if (!checksumVerified && !datagram.verifyChecksum(ip.source, ip.destination)) {
      countDrop(stats, 'bad-checksum');
      return;
    }
    stats.received++;
    const port = datagram.destinationPort;
    const from = { address: ip.source, port: datagram.sourcePort };
    const binding = port === DHCP_CLIENT_PORT ? this.#dhcp.get(iface) : undefined;
    if (binding) {
      binding.client.handle(datagram.payload, from, now);
      return;
    }
    if (this.#resolver.ownsPort(port)) {
      this.#resolver.handle(datagram.payload, from, port, now);
      return;
    }
    const socket =
      this.#findUdpSocket(ip.destination, port, iface) ??
      (broadcast ? undefined : this.#udpInterceptor);
    if (!socket) {
      countDrop(stats, 'no-socket');
      // RFC 1122 §3.2.2: no ICMP error about broadcasts or non-initial fragments.
      if (!broadcast && !reassembled) {
        this.#sendIcmpError(
          ip.source,
          'destination-unreachable',
          Icmpv4UnreachableCode.Port,
          packet,
        );
      }
      return;
    }
    const accepted = socket.deliver({
      data: datagram.payload.slice(),
      address: ip.source,
      port: datagram.sourcePort,
      destination: ip.destination,
      destinationPort: port,
    });
    if (!accepted) countDrop(stats, 'receive-queue-full');
  }

  #findUdpSocket(
    local: Ipv4Address,
    port: number,
    iface?: NetworkInterface,
  ): UdpSocket | undefined {
    const bound = this.#udp.get(port);
    if (!bound) return undefined;
    let wildcard: UdpSocket | undefined;
    for (const socket of bound) {
      if (socket.address === local) return socket;
      if (socket.address === 0) wildcard = socket;
    }
    // A socket bound to a specific address also receives its interface's broadcasts.
    if (!wildcard && iface?.ipv4 && iface.isLocalBroadcast(local)) {
      return bound.find((s) => s.address === iface.ipv4?.address);
    }
    return wildcard;
  }

  #sendIcmp(
    destination: Ipv4Address,
    repr: Icmpv4Repr,
    options: OutputOptions,
  ): StackError | undefined {
    const length = icmpv4ReprLength(repr);
    const error = this.#ipv4Output(
      destination,
      IpProtocol.ICMP,
      length,
      (payload) => {
        emitIcmpv4Repr(repr, payload);
      },
      options,
    );
    if (!error) this.stats.icmp.sent++;
    return error;
  }

  /** Sends an ICMP error about `packet` (RFC 792; RFC 1122 §3.2.2 limits), rate-limited. */
  #sendIcmpError(
    destination: Ipv4Address,
    kind: 'destination-unreachable' | 'time-exceeded',
    code: number,
    packet: Uint8Array,
  ): void {
    const now = this.#clock.now();
    const elapsed = now - this.#icmpRefilledAt;
    if (elapsed > 0) {
      this.#icmpTokens = Math.min(
        ICMP_ERROR_BURST,
        this.#icmpTokens + (elapsed * ICMP_ERRORS_PER_SECOND) / 1_000_000,
      );
      this.#icmpRefilledAt = now;
    }
    if (this.#icmpTokens < 1) {
      countDrop(this.stats.icmp, 'error-rate-limited');
      return;
    }
    this.#icmpTokens--;
    const invoking = icmpv4ErrorQuote(packet).slice();
    const repr: Icmpv4Repr = { kind, code, invoking };
    if (!this.#sendIcmp(destination, repr, {})) this.stats.icmp.errorsSent++;
  }

  /**
   * Routes and sends one IP datagram, fragmenting it when it exceeds the MTU
   * (RFC 791 §3.2 "Fragmentation").
   * @returns An error for unroutable destinations, else undefined.
   */
  #ipv4Output(
    destination: Ipv4Address,
    protocol: number,
    payloadLength: number,
    write: PayloadWriter,
    options: OutputOptions,
  ): StackError | undefined {
    const now = this.#clock.now();
    const route = options.iface
      ? { iface: options.iface, nextHop: destination }
      : this.#route(destination);
    if (!route) {
      return new StackError('ENETUNREACH', `no route to ${formatIpv4Address(destination)}`);
    }
    const { iface, nextHop } = route;
    const source = options.source ?? iface.ipv4?.address ?? 0;
    if (isIpv4Unspecified(source) && !isIpv4Broadcast(destination)) {
      return new StackError('EADDRNOTAVAIL', `${iface.name} has no IPv4 address`);
    }
    const identification = this.#identification;
    this.#identification = (this.#identification + 1) & 0xffff;
    const ttl = options.ttl ?? DEFAULT_TTL;
    const stats = this.stats.ipv4;
    const mtu = iface.mtu;
    const total = IPV4_MIN_HEADER_LENGTH + payloadLength;
    const offloaded =
      options.segmentable === true && total <= IPV4_MAX_LENGTH && segmentationOffload(iface);
    if (total <= mtu || offloaded) {
      const offload =
        options.offloadableChecksum === true && iface.device.capabilities.checksumOffload.transmit;
      const queued = iface.sendIpv4(
        nextHop,
        total,
        (packet) => {
          emitIpv4Repr(
            { source, destination, protocol, payloadLength, ttl, identification },
            packet,
          );
          write(packet.subarray(IPV4_MIN_HEADER_LENGTH), source, !offload);
        },
        now,
      );
      this.#outputDropped = !queued;
      stats.sent++;
      return undefined;
    }
    this.#outputDropped = false;
    // RFC 791: build the whole datagram once (checksums over all of it), then cut it.
    const whole = new Uint8Array(payloadLength);
    write(whole, source, true);
    for (const fragment of planFragments(payloadLength, mtu, IPV4_MIN_HEADER_LENGTH)) {
      iface.sendIpv4(
        nextHop,
        IPV4_MIN_HEADER_LENGTH + fragment.length,
        (packet) => {
          emitIpv4Repr(
            {
              source,
              destination,
              protocol,
              payloadLength: fragment.length,
              ttl,
              identification,
              moreFragments: fragment.more,
              fragmentOffset: fragment.offset,
            },
            packet,
          );
          packet.set(
            whole.subarray(fragment.offset, fragment.offset + fragment.length),
            IPV4_MIN_HEADER_LENGTH,
          );
        },
        now,
      );
      stats.sent++;
      stats.fragmentsSent++;
    }
    return undefined;
  }

  /** The interface and next hop for `destination`, or undefined without a route. */
  #route(destination: Ipv4Address): { iface: NetworkInterface; nextHop: Ipv4Address } | undefined {
    if (isIpv4Broadcast(destination)) {
      const iface = this.interfaces.find((i) => i.ipv4 !== undefined) ?? this.interfaces[0];
      return iface && { iface, nextHop: destination };
    }
    const route = this.routes.lookup(destination);
    const iface = route && this.interfaces[route.interfaceId as number];
    return iface && { iface, nextHop: route.gateway ?? destination };
  }

  #congested(destination: Ipv4Address): boolean {
    const route = this.routes.lookup(destination);
    const iface = route ? this.interfaces[route.interfaceId as number] : this.interfaces[0];
    return iface?.congested ?? false;
  }

  #wakeSenders(): void {
    if (this.#udpWaiters.length === 0) return;
    for (const wake of this.#udpWaiters.splice(0)) wake();
  }

  #ephemeralPort(): number {
    const start = randomU32(this.#entropy) % EPHEMERAL_COUNT;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = EPHEMERAL_FIRST + ((start + i) % EPHEMERAL_COUNT);
      if (!this.#udp.has(port)) return port;
    }
    throw new StackError('EADDRINUSE', 'no free ephemeral UDP port');
  }
}

/**
 * Builds a {@link Stack} over `devices`.
 *
 * @example
 * ```ts
 * import { createLink, createStack } from '@libos/net';
 * import { SeededEntropy, VirtualClock } from '@libos/sched';
 * const [a, b] = createLink();
 * const clock = new VirtualClock();
 * const left = createStack({ devices: [a], clock, entropy: new SeededEntropy(1), ipv4: { address: '10.0.0.1/24' } });
 * const right = createStack({ devices: [b], clock, entropy: new SeededEntropy(2), ipv4: { address: '10.0.0.2/24' } });
 * ```
 */
export function createStack(options: StackOptions): Stack {
  if (options.devices.length === 0)
    throw new StackError('EINVAL', 'a stack needs at least one device');
  return new Stack(options);
}

function parseAddress(text: string | Ipv4Address): Ipv4Address {
  if (typeof text === 'number') {
    if (!Number.isInteger(text) || text < 0 || text > 0xffffffff) {
      throw new StackError('EINVAL', `${text} is not an IPv4 address`);
    }
    return text;
  }
  try {
    return parseIpv4Address(text);
  } catch {
    throw new StackError('EINVAL', `not an IPv4 address: ${JSON.stringify(text)}`);
  }
}

function parseCidr(text: string): InterfaceAddress {
  const slash = text.indexOf('/');
  if (slash < 0) throw new StackError('EINVAL', `${JSON.stringify(text)} needs a /prefix`);
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const prefixLength = /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefixLength >= 1 && prefixLength <= 32)) {
    throw new StackError('EINVAL', `bad prefix length in ${JSON.stringify(text)}`);
  }
  if (isIpv4Unspecified(address) || isIpv4Multicast(address) || isIpv4Broadcast(address)) {
    throw new StackError('EINVAL', `${text} is not a unicast address`);
  }
  return { address, prefixLength };
}

/** Writes a UDP datagram (RFC 768) into `out`, with its checksum unless offloaded. */
function writeUdp(
  out: Uint8Array,
  sourcePort: number,
  destinationPort: number,
  data: Uint8Array,
  source: Ipv4Address,
  destination: Ipv4Address,
  checksum: boolean,
): void {
  const datagram = new UdpDatagram(out);
  datagram.sourcePort = sourcePort;
  datagram.destinationPort = destinationPort;
  datagram.length = out.length;
  datagram.checksum = 0;
  out.set(data, UDP_HEADER_LENGTH);
  if (checksum) datagram.fillChecksum(source, destination);
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
