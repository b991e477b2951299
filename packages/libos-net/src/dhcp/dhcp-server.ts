/**
 * A sans-IO DHCPv4 server for one directly attached subnet (RFC 2131 §4.3): it turns
 * each received BOOTREQUEST into at most one reply, which the caller sends. Leases are
 * kept per client hardware address in a bounded pool of consecutive addresses.
 *
 * ```text
 *  DISCOVER ──► OFFER (address reserved for offerHoldSeconds)
 *  REQUEST  ──► ACK (bound until the lease expires) | NAK | nothing (other server / unknown)
 *  DECLINE  ──► address quarantined   RELEASE ──► address free   INFORM ──► ACK (no lease)
 * ```
 */

import type { Micros } from '@libos/sched';
import {
  formatIpv4Address,
  type Ipv4Address,
  ipv4Netmask,
  parseIpv4Address,
} from '../wire/ipv4-address.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from './dhcp-client.js';
import { DhcpError } from './dhcp-error.js';
import type { DhcpMessageType } from './dhcp-option.js';
import { BootpOp } from './dhcp-packet.js';
import {
  type DhcpParseIssue,
  type DhcpRepr,
  dhcpReprLength,
  emitDhcpRepr,
  parseDhcpRepr,
} from './dhcp-repr.js';
import type { UdpSource, UdpTransmit } from './udp-transmit.js';

const SECOND = 1_000_000;
const BROADCAST = 0xffffffff;
const INFINITE_LEASE = 0xffffffff;
/** Pools larger than this are refused: the server keeps one record per address. */
const MAX_POOL_SIZE = 65_536;

/**
 * Configuration of a {@link DhcpServer}. Addresses are dotted quads or uint32 numbers.
 *
 * @example
 * ```ts
 * import type { DhcpServerOptions } from '@libos/net';
 * const options: DhcpServerOptions = {
 *   serverAddress: '10.0.2.2', prefixLength: 24, poolStart: '10.0.2.15', poolSize: 16,
 *   dnsServers: ['10.0.2.3'],
 * };
 * ```
 */
export interface DhcpServerOptions {
  /** The server's own address on the subnet: option 54 (server identifier). */
  readonly serverAddress: string | Ipv4Address;
  /** The subnet's prefix length (option 1 is derived from it); 1..30. */
  readonly prefixLength: number;
  /** First address handed out. */
  readonly poolStart: string | Ipv4Address;
  /** Number of consecutive addresses in the pool, 1..65536; default 16. */
  readonly poolSize?: number;
  /** Option 3; default: the server address. An empty list sends no router option. */
  readonly routers?: readonly (string | Ipv4Address)[];
  /** Option 6; default none. */
  readonly dnsServers?: readonly (string | Ipv4Address)[];
  /** Option 15; default none. */
  readonly domainName?: string;
  /** Lease time in seconds when the client asks for none; default 86,400 (one day). */
  readonly leaseTime?: number;
  /** Longest lease granted when a client asks (option 51); default `leaseTime`. */
  readonly maxLeaseTime?: number;
  /** How long an offered address stays reserved for its client; default 60 s. */
  readonly offerHoldSeconds?: number;
  /** How long a declined address is not offered again (RFC 2131 §4.3.3); default 600 s. */
  readonly declineHoldSeconds?: number;
}

/**
 * Why {@link DhcpServer.handle} produced no reply: a {@link DhcpParseIssue}, or
 * `wrong-port` (not from UDP port 68), `not-request` (op is not BOOTREQUEST),
 * `bad-chaddr` (not a 6-byte Ethernet address), `relayed` (giaddr set: relay agents
 * are not supported), `unexpected` (a server-only message type), `other-server` (a
 * REQUEST selecting another server's offer, RFC 2131 §4.3.2), `unknown-client` (a
 * REQUEST from a client without a record, where the server must stay silent),
 * `pool-exhausted` (no address free for a DISCOVER), `not-leased` (a RELEASE or
 * DECLINE for an address the client does not hold).
 *
 * @example
 * ```ts
 * import type { DhcpServerIgnoreReason } from '@libos/net';
 * const r: DhcpServerIgnoreReason = 'pool-exhausted';
 * ```
 */
export type DhcpServerIgnoreReason =
  | DhcpParseIssue
  | 'wrong-port'
  | 'not-request'
  | 'bad-chaddr'
  | 'relayed'
  | 'unexpected'
  | 'other-server'
  | 'unknown-client'
  | 'pool-exhausted'
  | 'not-leased';

/**
 * What {@link DhcpServer.handle} did with a datagram: sent a reply (`offer`, `ack`,
 * `nak`; send `reply`), took an address back (`released`, `declined`), or `ignored` it.
 *
 * @example
 * ```ts
 * const outcome = server.handle(payload, from, now);
 * if ('reply' in outcome) await socket.send(outcome.reply.payload, outcome.reply.destination, 68);
 * else if (outcome.action === 'ignored') console.log(outcome.reason);
 * ```
 */
export type DhcpServerOutcome =
  | {
      /** The reply's DHCP message type. */
      readonly action: 'offer' | 'ack' | 'nak';
      /** The datagram to send (from port 67 to port 68). */
      readonly reply: UdpTransmit;
      /** The address offered or acknowledged (0 for a NAK and an INFORM's ACK). */
      readonly address: Ipv4Address;
    }
  | {
      /** The client gave its address back (RELEASE) or reported it in use (DECLINE). */
      readonly action: 'released' | 'declined';
      /** The address concerned. */
      readonly address: Ipv4Address;
    }
  | {
      /** Nothing to send. */
      readonly action: 'ignored';
      /** Why. */
      readonly reason: DhcpServerIgnoreReason;
    };

/**
 * One client's record in a {@link DhcpServer}.
 *
 * @example
 * ```ts
 * for (const lease of server.leases(now)) console.log(lease.state, lease.address);
 * ```
 */
export interface DhcpServerLease {
  /** The client's 6-byte hardware address. */
  readonly hardwareAddress: Uint8Array;
  /** The address reserved for or bound to it (uint32). */
  readonly address: Ipv4Address;
  /** `offered` until the client's REQUEST is acknowledged, then `bound`. */
  readonly state: 'offered' | 'bound';
  /** When the reservation or lease ends (µs); undefined for an infinite lease. */
  readonly expiresAt: Micros | undefined;
}

/**
 * Counters of a {@link DhcpServer}.
 *
 * @example
 * ```ts
 * console.log(server.stats.acks, server.stats.ignored['pool-exhausted'] ?? 0);
 * ```
 */
export interface DhcpServerStats {
  /** Datagrams passed to `handle`. */
  received: number;
  /** OFFERs produced. */
  offers: number;
  /** ACKs produced. */
  acks: number;
  /** NAKs produced. */
  naks: number;
  /** RELEASEs honoured. */
  releases: number;
  /** DECLINEs honoured. */
  declines: number;
  /** Ignored datagrams by reason. */
  readonly ignored: Partial<Record<DhcpServerIgnoreReason, number>>;
}

interface LeaseRecord {
  hardwareAddress: Uint8Array;
  address: Ipv4Address;
  state: 'offered' | 'bound';
  expiresAt: Micros | undefined;
}

function address(value: string | Ipv4Address, what: string): Ipv4Address {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new DhcpError('EINVAL', `${what} must be an IPv4 address, got ${value}`);
    }
    return value;
  }
  try {
    return parseIpv4Address(value);
  } catch {
    throw new DhcpError('EINVAL', `${what} must be an IPv4 address, got '${value}'`);
  }
}

function seconds(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > INFINITE_LEASE) {
    throw new DhcpError('EINVAL', `${what} must be an integer number of seconds ≥ 1`);
  }
  return v;
}

function macKey(mac: Uint8Array): string {
  let key = '';
  for (const b of mac) key += b.toString(16).padStart(2, '0');
  return key;
}

/**
 * The DHCPv4 server state machine. Feed it each UDP datagram received on port 67
 * ({@link DhcpServer.handle}) and send the reply it returns. It never sends, sleeps
 * or reads a clock: `now` is passed in, and leases expire lazily when the pool is
 * searched.
 *
 * Address choice for a DISCOVER (RFC 2131 §4.3.1): the client's current record, else
 * its requested address (option 50) when free, else the lowest free pool address
 * (expired leases are reused). Replies follow RFC 2131 §4.1: to `ciaddr` when the
 * client has one, else broadcast. (A unicast to `yiaddr` at `chaddr` needs an ARP entry
 * the client cannot answer for yet; §4.1 allows the broadcast instead.) Client
 * identifiers (option 61) are not used to key leases: the hardware address is.
 *
 * @example
 * ```ts
 * import { DhcpServer } from '@libos/net';
 * const server = new DhcpServer({ serverAddress: '10.0.2.2', prefixLength: 24, poolStart: '10.0.2.15' });
 * const outcome = server.handle(payload, { address: 0, port: 68 }, now);
 * if ('reply' in outcome) send(outcome.reply);
 * ```
 */
export class DhcpServer {
  /** Counters; read-only for callers. */
  readonly stats: DhcpServerStats = {
    received: 0,
    offers: 0,
    acks: 0,
    naks: 0,
    releases: 0,
    declines: 0,
    ignored: {},
  };
  /** The server identifier (uint32). */
  readonly serverAddress: Ipv4Address;
  /** The subnet mask (uint32). */
  readonly subnetMask: number;
  /** The first pool address (uint32). */
  readonly poolStart: Ipv4Address;
  /** The number of pool addresses. */
  readonly poolSize: number;
  readonly #network: number;
  readonly #routers: readonly Ipv4Address[];
  readonly #dnsServers: readonly Ipv4Address[];
  readonly #domainName: string | undefined;
  readonly #leaseTime: number;
  readonly #maxLeaseTime: number;
  readonly #offerHold: Micros;
  readonly #declineHold: Micros;
  readonly #byClient = new Map<string, LeaseRecord>();
  readonly #byAddress = new Map<Ipv4Address, LeaseRecord>();
  /** Declined addresses and when they may be offered again. */
  readonly #quarantine = new Map<Ipv4Address, Micros>();

  /**
   * @param options Subnet, pool and the options to hand out.
   * @throws {@link DhcpError} `EINVAL` for an address that does not parse, a prefix
   *   outside 1..30, or a pool that leaves the subnet or contains the server address,
   *   the network address or the subnet broadcast address.
   */
  constructor(options: DhcpServerOptions) {
    this.serverAddress = address(options.serverAddress, 'serverAddress');
    const prefix = options.prefixLength;
    if (!Number.isInteger(prefix) || prefix < 1 || prefix > 30) {
      throw new DhcpError('EINVAL', `prefixLength must be in 1..30, got ${prefix}`);
    }
    this.subnetMask = ipv4Netmask(prefix);
    this.#network = (this.serverAddress & this.subnetMask) >>> 0;
    this.poolStart = address(options.poolStart, 'poolStart');
    const size = options.poolSize ?? 16;
    if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
      throw new DhcpError('EINVAL', `poolSize must be in 1..${MAX_POOL_SIZE}, got ${size}`);
    }
    this.poolSize = size;
    const broadcast = (this.#network | ~this.subnetMask) >>> 0;
    const last = this.poolStart + size - 1;
    if (
      !this.#inSubnet(this.poolStart) ||
      !this.#inSubnet(last) ||
      this.poolStart === this.#network ||
      last >= broadcast ||
      (this.serverAddress >= this.poolStart && this.serverAddress <= last)
    ) {
      throw new DhcpError(
        'EINVAL',
        `pool ${formatIpv4Address(this.poolStart)}+${size} must lie inside ` +
          `${formatIpv4Address(this.#network)}/${prefix} without the network, broadcast or server address`,
      );
    }
    this.#routers = (options.routers ?? [this.serverAddress]).map((r) => address(r, 'routers'));
    this.#dnsServers = (options.dnsServers ?? []).map((d) => address(d, 'dnsServers'));
    this.#domainName = options.domainName;
    this.#leaseTime = seconds(options.leaseTime, 86_400, 'leaseTime');
    this.#maxLeaseTime = seconds(options.maxLeaseTime, this.#leaseTime, 'maxLeaseTime');
    this.#offerHold = seconds(options.offerHoldSeconds, 60, 'offerHoldSeconds') * SECOND;
    this.#declineHold = seconds(options.declineHoldSeconds, 600, 'declineHoldSeconds') * SECOND;
  }

  /**
   * The current records (offered and bound, not yet expired at `now`).
   *
   * @param now The current time.
   */
  leases(now: Micros): DhcpServerLease[] {
    const out: DhcpServerLease[] = [];
    for (const r of this.#byClient.values()) {
      if (!expired(r, now)) out.push({ ...r, hardwareAddress: r.hardwareAddress.slice() });
    }
    return out;
  }

  /**
   * Handles one UDP datagram received on port 67 and returns what to do about it.
   * Malformed or foreign datagrams are ignored and counted in {@link DhcpServer.stats};
   * this never throws for network input.
   *
   * @param payload The UDP payload (not retained).
   * @param from The datagram's source address and port.
   * @param now The current time.
   */
  handle(payload: Uint8Array, from: UdpSource, now: Micros): DhcpServerOutcome {
    this.stats.received++;
    const outcome = this.#handle(payload, from, now);
    switch (outcome.action) {
      case 'ignored':
        this.stats.ignored[outcome.reason] = (this.stats.ignored[outcome.reason] ?? 0) + 1;
        break;
      case 'offer':
        this.stats.offers++;
        break;
      case 'ack':
        this.stats.acks++;
        break;
      case 'nak':
        this.stats.naks++;
        break;
      case 'released':
        this.stats.releases++;
        break;
      case 'declined':
        this.stats.declines++;
        break;
    }
    return outcome;
  }

  #handle(payload: Uint8Array, from: UdpSource, now: Micros): DhcpServerOutcome {
    if (from.port !== DHCP_CLIENT_PORT) return ignored('wrong-port');
    const request = parseDhcpRepr(payload);
    if (typeof request === 'string') return ignored(request);
    if (request.op !== BootpOp.Request) return ignored('not-request');
    if (request.chaddr.length !== 6) return ignored('bad-chaddr');
    // Relay agents (RFC 2131 §4.1, giaddr) are not supported.
    if (request.giaddr !== 0) return ignored('relayed');
    switch (request.messageType) {
      case 'discover':
        return this.#discover(request, now);
      case 'request':
        return this.#request(request, now);
      case 'decline':
        return this.#decline(request, now);
      case 'release':
        return this.#release(request);
      case 'inform':
        return this.#inform(request);
      default:
        return ignored('unexpected');
    }
  }

  /** RFC 2131 §4.3.1. */
  #discover(request: DhcpRepr, now: Micros): DhcpServerOutcome {
    const key = macKey(request.chaddr);
    let record = this.#byClient.get(key);
    if (record && expired(record, now)) {
      this.#forget(key, record);
      record = undefined;
    }
    if (!record) {
      const chosen = this.#chooseAddress(request.requestedIp, now);
      if (chosen === undefined) return ignored('pool-exhausted');
      record = {
        hardwareAddress: request.chaddr.slice(),
        address: chosen,
        state: 'offered',
        expiresAt: now + this.#offerHold,
      };
      this.#remember(key, record);
    } else if (record.state === 'offered') {
      record.expiresAt = now + this.#offerHold;
    }
    return this.#reply('offer', request, record.address, this.#grantedLeaseTime(request));
  }

  /** RFC 2131 §4.3.2: SELECTING, INIT-REBOOT, RENEWING and REBINDING. */
  #request(request: DhcpRepr, now: Micros): DhcpServerOutcome {
    const key = macKey(request.chaddr);
    let record = this.#byClient.get(key);
    if (record && expired(record, now)) {
      this.#forget(key, record);
      record = undefined;
    }
    if (request.serverId !== undefined) {
      // SELECTING: the client chose the server named in option 54.
      if (request.serverId !== this.serverAddress) {
        if (record?.state === 'offered') this.#forget(key, record);
        return ignored('other-server');
      }
      if (!record || request.requestedIp !== record.address) {
        return this.#nak(request, 'requested address was not offered to this client');
      }
      return this.#bind(request, record, now);
    }
    if (request.ciaddr === 0) {
      // INIT-REBOOT: option 50 carries the address the client remembers.
      const wanted = request.requestedIp;
      if (wanted === undefined || !this.#inSubnet(wanted)) {
        return this.#nak(request, 'wrong network');
      }
      if (!record) return ignored('unknown-client');
      if (record.address !== wanted) return this.#nak(request, 'address not leased to this client');
      return this.#bind(request, record, now);
    }
    // RENEWING (unicast) or REBINDING (broadcast): ciaddr is the client's address.
    if (record) {
      if (record.address !== request.ciaddr) {
        return this.#nak(request, 'address not leased to this client');
      }
      return this.#bind(request, record, now);
    }
    if (!this.#inPool(request.ciaddr) || !this.#isFree(request.ciaddr, now)) {
      return this.#nak(request, 'address not leased to this client');
    }
    // No record (e.g. the server restarted): the address is free, so grant it again.
    record = {
      hardwareAddress: request.chaddr.slice(),
      address: request.ciaddr,
      state: 'offered',
      expiresAt: now,
    };
    this.#remember(key, record);
    return this.#bind(request, record, now);
  }

  /** RFC 2131 §4.3.3: the client found the address in use; do not offer it for a while. */
  #decline(request: DhcpRepr, now: Micros): DhcpServerOutcome {
    const key = macKey(request.chaddr);
    const record = this.#byClient.get(key);
    const declined = request.requestedIp;
    if (
      request.serverId !== this.serverAddress ||
      !record ||
      declined === undefined ||
      record.address !== declined
    ) {
      return ignored('not-leased');
    }
    this.#forget(key, record);
    this.#quarantine.set(declined, now + this.#declineHold);
    return { action: 'declined', address: declined };
  }

  /** RFC 2131 §4.3.4: the client gives its address back. */
  #release(request: DhcpRepr): DhcpServerOutcome {
    const key = macKey(request.chaddr);
    const record = this.#byClient.get(key);
    if (!record || record.address !== request.ciaddr) return ignored('not-leased');
    this.#forget(key, record);
    return { action: 'released', address: request.ciaddr };
  }

  /** RFC 2131 §4.3.5: configuration only, no lease; unicast to ciaddr. */
  #inform(request: DhcpRepr): DhcpServerOutcome {
    return this.#reply('ack', request, 0, undefined);
  }

  #bind(request: DhcpRepr, record: LeaseRecord, now: Micros): DhcpServerOutcome {
    const leaseTime = this.#grantedLeaseTime(request);
    record.state = 'bound';
    record.expiresAt = leaseTime === INFINITE_LEASE ? undefined : now + leaseTime * SECOND;
    return this.#reply('ack', request, record.address, leaseTime);
  }

  /** RFC 2131 §4.3.1: the client's option 51 is honoured up to the configured maximum. */
  #grantedLeaseTime(request: DhcpRepr): number {
    const asked = request.leaseTime;
    if (asked === undefined || asked === 0) return this.#leaseTime;
    return Math.min(asked, this.#maxLeaseTime);
  }

  #chooseAddress(requested: Ipv4Address | undefined, now: Micros): Ipv4Address | undefined {
    if (requested !== undefined && this.#inPool(requested) && this.#isFree(requested, now)) {
      return requested;
    }
    for (let i = 0; i < this.poolSize; i++) {
      const candidate = this.poolStart + i;
      if (this.#isFree(candidate, now)) return candidate;
    }
    return undefined;
  }

  #isFree(candidate: Ipv4Address, now: Micros): boolean {
    const until = this.#quarantine.get(candidate);
    if (until !== undefined) {
      if (now < until) return false;
      this.#quarantine.delete(candidate);
    }
    const holder = this.#byAddress.get(candidate);
    if (!holder) return true;
    if (!expired(holder, now)) return false;
    this.#forget(macKey(holder.hardwareAddress), holder);
    return true;
  }

  #remember(key: string, record: LeaseRecord): void {
    this.#byClient.set(key, record);
    this.#byAddress.set(record.address, record);
  }

  #forget(key: string, record: LeaseRecord): void {
    if (this.#byClient.get(key) === record) this.#byClient.delete(key);
    if (this.#byAddress.get(record.address) === record) this.#byAddress.delete(record.address);
  }

  #inSubnet(a: Ipv4Address): boolean {
    return (a & this.subnetMask) >>> 0 === this.#network;
  }

  #inPool(a: Ipv4Address): boolean {
    return a >= this.poolStart && a < this.poolStart + this.poolSize;
  }

  #nak(request: DhcpRepr, message: string): DhcpServerOutcome {
    // RFC 2131 Table 3: a NAK carries the server identifier and may carry a message;
    // §4.3.2: without a relay it is broadcast.
    const repr: DhcpRepr = {
      ...this.#header('nak', request, 0),
      serverId: this.serverAddress,
      message,
    };
    return { action: 'nak', reply: this.#transmit(repr, BROADCAST), address: 0 };
  }

  /** An OFFER or ACK with the options of RFC 2131 Table 3. */
  #reply(
    type: 'offer' | 'ack',
    request: DhcpRepr,
    yiaddr: Ipv4Address,
    leaseTime: number | undefined,
  ): DhcpServerOutcome {
    const timed =
      leaseTime === undefined
        ? {}
        : leaseTime === INFINITE_LEASE
          ? { leaseTime }
          : {
              leaseTime,
              // RFC 2131 §4.4.5: T1 = 0.5 × lease, T2 = 0.875 × lease.
              renewalTime: Math.floor(leaseTime / 2),
              rebindingTime: Math.floor((leaseTime * 7) / 8),
            };
    const repr: DhcpRepr = {
      ...this.#header(type, request, yiaddr),
      serverId: this.serverAddress,
      subnetMask: this.subnetMask,
      ...timed,
      ...(this.#routers.length > 0 ? { routers: this.#routers } : {}),
      ...(this.#dnsServers.length > 0 ? { dnsServers: this.#dnsServers } : {}),
      ...(this.#domainName === undefined ? {} : { domainName: this.#domainName }),
    };
    // RFC 2131 §4.1: to ciaddr when the client has one, else broadcast (see class doc).
    const destination = request.ciaddr !== 0 ? request.ciaddr : BROADCAST;
    return { action: type, reply: this.#transmit(repr, destination), address: yiaddr };
  }

  /** RFC 2131 Table 3: xid, flags, giaddr and chaddr from the request; ciaddr for ACKs. */
  #header(type: DhcpMessageType, request: DhcpRepr, yiaddr: Ipv4Address): DhcpRepr {
    return {
      op: BootpOp.Reply,
      messageType: type,
      xid: request.xid,
      secs: 0,
      broadcast: request.broadcast,
      ciaddr: type === 'ack' ? request.ciaddr : 0,
      yiaddr,
      siaddr: 0,
      giaddr: request.giaddr,
      chaddr: request.chaddr,
    };
  }

  #transmit(repr: DhcpRepr, destination: Ipv4Address): UdpTransmit {
    const payload = new Uint8Array(dhcpReprLength(repr));
    emitDhcpRepr(repr, payload);
    return {
      destination,
      destinationPort: DHCP_CLIENT_PORT,
      source: this.serverAddress,
      sourcePort: DHCP_SERVER_PORT,
      payload,
    };
  }
}

function expired(record: LeaseRecord, now: Micros): boolean {
  return record.expiresAt !== undefined && now >= record.expiresAt;
}

function ignored(reason: DhcpServerIgnoreReason): DhcpServerOutcome {
  return { action: 'ignored', reason };
}
