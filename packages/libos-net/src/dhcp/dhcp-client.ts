/**
 * A sans-IO DHCPv4 client (RFC 2131 §4.4, Figure 5): it never sends or sleeps. The
 * stack feeds it UDP payloads received on port 68 ({@link DhcpClient.handle}), calls
 * {@link DhcpClient.poll} until it returns nothing, and calls it again at
 * {@link DhcpClient.pollAt}.
 *
 * ```text
 *  INIT ──DISCOVER──► SELECTING ──OFFER/REQUEST──► REQUESTING ──ACK──► BOUND
 *    ▲                                                │ NAK            │ T1
 *    ├────────────────────────────────────────────────┘                ▼
 *    ├──────────────── NAK / lease expired ◄── REBINDING ◄──T2── RENEWING
 *    └── 10 s after DECLINE (BOUND, address in use)        ACK ──► BOUND
 * ```
 */

import { type EntropySource, type Micros, randomU32 } from '@libos/sched';
import { DhcpError } from './dhcp-error.js';
import { classfulSubnetMask, type DhcpLease, subnetMaskPrefixLength } from './dhcp-lease.js';
import { type DhcpMessageType, DhcpOption } from './dhcp-option.js';
import { BootpOp } from './dhcp-packet.js';
import {
  type DhcpParseIssue,
  type DhcpRepr,
  dhcpReprLength,
  emitDhcpRepr,
  parseDhcpRepr,
} from './dhcp-repr.js';
import type { UdpSource, UdpTransmit } from './udp-transmit.js';

/**
 * The UDP port DHCP servers listen on (RFC 2131 §4.1).
 *
 * @example
 * ```ts
 * import { DHCP_SERVER_PORT } from '@libos/net';
 * DHCP_SERVER_PORT; // 67
 * ```
 */
export const DHCP_SERVER_PORT = 67;

/**
 * The UDP port DHCP clients listen on (RFC 2131 §4.1).
 *
 * @example
 * ```ts
 * import { DHCP_CLIENT_PORT } from '@libos/net';
 * DHCP_CLIENT_PORT; // 68
 * ```
 */
export const DHCP_CLIENT_PORT = 68;

const BROADCAST = 0xffffffff;
const SECOND = 1_000_000;
const INFINITE_LEASE = 0xffffffff;

/**
 * The client states of RFC 2131 Figure 5 (INIT-REBOOT and REBOOTING are not used),
 * plus `stopped` after {@link DhcpClient.release}.
 *
 * @example
 * ```ts
 * import type { DhcpState } from '@libos/net';
 * const s: DhcpState = 'bound';
 * ```
 */
export type DhcpState =
  | 'init'
  | 'selecting'
  | 'requesting'
  | 'bound'
  | 'renewing'
  | 'rebinding'
  | 'stopped';

/**
 * What changed:
 * - `bound`: a new lease (configure `lease`; if `previousLease` is set with another
 *   address, remove that one first),
 * - `renewed`: the same address's lease was extended (RENEWING or REBINDING),
 * - `expired`: the lease ran out (remove `previousLease.address`),
 * - `nak`: the server refused; any lease is gone and discovery restarts after a
 *   back-off of 4 s, 8 s … 64 s (±1 s) for consecutive NAKs,
 * - `declined`: {@link DhcpClient.decline} gave the address back,
 * - `released`: {@link DhcpClient.release} gave the address back.
 *
 * @example
 * ```ts
 * import type { DhcpEventType } from '@libos/net';
 * const t: DhcpEventType = 'renewed';
 * ```
 */
export type DhcpEventType = 'bound' | 'renewed' | 'expired' | 'nak' | 'declined' | 'released';

/**
 * A change of the client's lease, delivered to {@link DhcpClient.onChange} listeners.
 *
 * @example
 * ```ts
 * client.onChange((e) => {
 *   if (e.previousLease) removeAddress(e.previousLease.address);
 *   if (e.lease) addAddress(e.lease.address, e.lease.prefixLength);
 * });
 * ```
 */
export interface DhcpEvent {
  /** What happened. */
  readonly type: DhcpEventType;
  /** The lease now held (for `bound` and `renewed`), else undefined. */
  readonly lease: DhcpLease | undefined;
  /** The lease held before the change, if any. */
  readonly previousLease: DhcpLease | undefined;
  /** When it happened. */
  readonly at: Micros;
}

/**
 * Why a received datagram was ignored: a {@link DhcpParseIssue}, or `wrong-port`
 * (not from port 67), `not-reply` (op is not BOOTREPLY), `wrong-xid`, `wrong-chaddr`,
 * `wrong-server` (an ACK/NAK from a server other than the one requested),
 * `unexpected` (a message type the current state does not expect), `no-address`
 * (yiaddr 0 in an OFFER/ACK), `no-server-id` (OFFER without option 54), `no-lease-time`
 * (ACK without option 51).
 *
 * @example
 * ```ts
 * import type { DhcpIgnoreReason } from '@libos/net';
 * const r: DhcpIgnoreReason = 'wrong-xid';
 * ```
 */
export type DhcpIgnoreReason =
  | DhcpParseIssue
  | 'wrong-port'
  | 'not-reply'
  | 'wrong-xid'
  | 'wrong-chaddr'
  | 'wrong-server'
  | 'unexpected'
  | 'no-address'
  | 'no-server-id'
  | 'no-lease-time';

/**
 * Counters of a {@link DhcpClient}.
 *
 * @example
 * ```ts
 * console.log(client.stats.ignored['wrong-xid'] ?? 0);
 * ```
 */
export interface DhcpClientStats {
  /** Datagrams passed to `handle`. */
  received: number;
  /** Datagrams that changed the client's state. */
  accepted: number;
  /** Datagrams returned by `poll`. */
  transmitted: number;
  /** Ignored datagrams by reason. */
  readonly ignored: Partial<Record<DhcpIgnoreReason, number>>;
}

/**
 * Configuration of a {@link DhcpClient}.
 *
 * @example
 * ```ts
 * import type { DhcpClientOptions } from '@libos/net';
 * const options: DhcpClientOptions = { hardwareAddress: mac, entropy, hostName: 'libos' };
 * ```
 */
export interface DhcpClientOptions {
  /** The interface's 6-byte Ethernet MAC address (chaddr). */
  readonly hardwareAddress: Uint8Array;
  /** Randomness for transaction IDs and retransmission jitter. */
  readonly entropy: EntropySource;
  /** Option 61; default: type 1 (Ethernet) followed by the MAC (RFC 2132 §9.14). */
  readonly clientId?: Uint8Array;
  /** Option 12 sent in DISCOVER and REQUEST. */
  readonly hostName?: string;
  /** An address to ask for in DISCOVER (option 50, e.g. the previous lease). */
  readonly requestedAddress?: number;
  /** Lease time to ask for in seconds (option 51); by default the server chooses. */
  readonly requestedLeaseTime?: number;
  /** Option 55; default `[1, 3, 6, 15, 51, 58, 59]`. */
  readonly parameterRequestList?: readonly number[];
  /** Option 57 (≥ 576); default 1500. */
  readonly maxMessageSize?: number;
  /** Ask servers to broadcast replies while unconfigured (RFC 2131 §4.1); default true. */
  readonly broadcastFlag?: boolean;
  /** DHCPREQUESTs sent in REQUESTING before starting over from INIT; default 4. */
  readonly maxRequestAttempts?: number;
  /** When to start (send the first DISCOVER); default: the first `poll`. */
  readonly startAt?: Micros;
}

/** RFC 2131 §4.4.1 (DECLINE): wait at least 10 s before restarting. */
const DECLINE_BACKOFF: Micros = 10 * SECOND;
/** RFC 2131 §4.4.5: RENEWING/REBINDING retransmit no sooner than 60 s. */
const MIN_RENEW_RETRANSMIT: Micros = 60 * SECOND;

interface Offer {
  readonly address: number;
  readonly serverId: number;
}

/**
 * The DHCPv4 client state machine. Construct one per interface, route UDP datagrams
 * to port 68 into {@link DhcpClient.handle}, transmit what {@link DhcpClient.poll}
 * returns, and configure the interface from {@link DhcpClient.onChange} events.
 *
 * While unconfigured it sends from 0.0.0.0:68 to 255.255.255.255:67 with the
 * broadcast flag; in RENEWING it unicasts from the leased address to the server, in
 * REBINDING it broadcasts from the leased address. DISCOVER and REQUEST are
 * retransmitted after 4, 8, 16, 32, 64, 64… s, each ±1 s of uniform jitter (RFC 2131
 * §4.1); a fresh random `xid` is drawn for each exchange. After `bound`, the stack
 * should probe the address with ARP (RFC 5227) and call {@link DhcpClient.decline}
 * if it is in use.
 *
 * @example
 * ```ts
 * import { DhcpClient } from '@libos/net';
 * const client = new DhcpClient({ hardwareAddress: mac, entropy });
 * client.onChange((e) => console.log(e.type, e.lease?.address));
 * for (let t = client.poll(now); t; t = client.poll(now)) udp.send(t);
 * // later: client.handle(payload, { address, port }, now); wake again at client.pollAt()
 * ```
 */
export class DhcpClient {
  /** Counters; read-only for callers. */
  readonly stats: DhcpClientStats = { received: 0, accepted: 0, transmitted: 0, ignored: {} };
  readonly #mac: Uint8Array;
  readonly #entropy: EntropySource;
  readonly #clientId: Uint8Array;
  readonly #hostName: string | undefined;
  readonly #requestedAddress: number | undefined;
  readonly #requestedLeaseTime: number | undefined;
  readonly #parameterRequestList: readonly number[];
  readonly #maxMessageSize: number;
  readonly #broadcastFlag: boolean;
  readonly #maxRequestAttempts: number;
  readonly #listeners = new Set<(event: DhcpEvent) => void>();
  readonly #outbox: UdpTransmit[] = [];

  #state: DhcpState = 'init';
  #startAt: Micros;
  #xid = 0;
  #exchangeStart: Micros = 0;
  #attempts = 0;
  #sendAt: Micros | undefined;
  #requestSentAt: Micros | undefined;
  #offer: Offer | undefined;
  #lease: DhcpLease | undefined;
  #lastIgnored: DhcpIgnoreReason | undefined;
  #consecutiveNaks = 0;

  /**
   * @param options Hardware address, entropy and optional request parameters.
   * @throws {@link DhcpError} `EINVAL` for a hardware address that is not 6 bytes or a
   *   max message size below 576.
   */
  constructor(options: DhcpClientOptions) {
    if (options.hardwareAddress.length !== 6) {
      throw new DhcpError('EINVAL', 'hardwareAddress must have 6 bytes');
    }
    const maxMessageSize = options.maxMessageSize ?? 1500;
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < 576 || maxMessageSize > 0xffff) {
      throw new DhcpError('EINVAL', 'maxMessageSize must be an integer in 576..65535');
    }
    this.#mac = options.hardwareAddress.slice();
    this.#entropy = options.entropy;
    this.#clientId = options.clientId?.slice() ?? Uint8Array.of(1, ...this.#mac);
    this.#hostName = options.hostName;
    this.#requestedAddress = options.requestedAddress;
    this.#requestedLeaseTime = options.requestedLeaseTime;
    this.#parameterRequestList = options.parameterRequestList ?? [
      DhcpOption.SubnetMask,
      DhcpOption.Router,
      DhcpOption.DomainNameServer,
      DhcpOption.DomainName,
      DhcpOption.LeaseTime,
      DhcpOption.RenewalTime,
      DhcpOption.RebindingTime,
    ];
    this.#maxMessageSize = maxMessageSize;
    this.#broadcastFlag = options.broadcastFlag ?? true;
    this.#maxRequestAttempts = Math.max(1, options.maxRequestAttempts ?? 4);
    this.#startAt = options.startAt ?? 0;
  }

  /** The current RFC 2131 state. */
  get state(): DhcpState {
    return this.#state;
  }

  /** The lease held (BOUND, RENEWING, REBINDING), or undefined. */
  get lease(): DhcpLease | undefined {
    return this.#lease;
  }

  /** The transaction ID of the current exchange. */
  get xid(): number {
    return this.#xid;
  }

  /** Why the most recently ignored datagram was ignored. */
  get lastIgnored(): DhcpIgnoreReason | undefined {
    return this.#lastIgnored;
  }

  /**
   * Registers a listener for lease changes; returns a function that unregisters it.
   * Listeners run synchronously inside `handle`, `poll`, `decline` and `release`.
   *
   * @param listener Called with each {@link DhcpEvent}.
   */
  onChange(listener: (event: DhcpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * When {@link DhcpClient.poll} must be called next (a retransmission, T1, T2,
   * expiry, or the end of a back-off), or undefined when nothing is scheduled
   * (`stopped`, or an infinite lease). A time in the past means "now".
   */
  pollAt(): Micros | undefined {
    if (this.#outbox.length > 0) return 0;
    switch (this.#state) {
      case 'init':
        return this.#startAt;
      case 'selecting':
      case 'requesting':
        return this.#sendAt;
      case 'bound':
        return this.#lease?.renewAt;
      case 'renewing':
        return earliest(this.#sendAt, this.#lease?.rebindAt);
      case 'rebinding':
        return earliest(this.#sendAt, this.#lease?.expiresAt);
      case 'stopped':
        return undefined;
    }
  }

  /**
   * Advances timers to `now` and returns the next datagram to send, or undefined.
   * Call repeatedly until it returns undefined.
   *
   * @param now The current time.
   */
  poll(now: Micros): UdpTransmit | undefined {
    const queued = this.#outbox.shift();
    if (queued) return this.#sent(queued);
    this.#advanceTimers(now);
    if (this.#sendAt === undefined || now < this.#sendAt) return undefined;
    switch (this.#state) {
      case 'selecting':
        this.#sendAt = now + this.#backoff(this.#attempts++);
        return this.#sent(this.#broadcast(this.#discover(now)));
      case 'requesting': {
        if (this.#attempts >= this.#maxRequestAttempts) {
          // No ACK after the last retransmission: start over (RFC 2131 §3.1 step 3).
          this.#enterInit(now);
          return this.poll(now);
        }
        this.#requestSentAt ??= now;
        this.#sendAt = now + this.#backoff(this.#attempts++);
        return this.#sent(this.#broadcast(this.#selectingRequest(now)));
      }
      case 'renewing':
      case 'rebinding': {
        const lease = this.#lease!;
        this.#requestSentAt ??= now;
        this.#attempts++;
        // RFC 2131 §4.4.5: wait half the remaining time to T2 (RENEWING) or to expiry
        // (REBINDING), but at least 60 s.
        const limit = this.#state === 'renewing' ? lease.rebindAt! : lease.expiresAt!;
        this.#sendAt = now + Math.max(MIN_RENEW_RETRANSMIT, Math.floor((limit - now) / 2));
        const payload = this.#renewingRequest(now, lease);
        return this.#sent({
          destination: this.#state === 'renewing' ? lease.serverId : BROADCAST,
          destinationPort: DHCP_SERVER_PORT,
          source: lease.address,
          sourcePort: DHCP_CLIENT_PORT,
          payload,
        });
      }
      default:
        return undefined;
    }
  }

  /**
   * Feeds one UDP datagram received on port 68. Datagrams that do not belong to the
   * current exchange are ignored and counted in {@link DhcpClient.stats}.
   *
   * @param payload The UDP payload (not retained).
   * @param from The datagram's source address and port.
   * @param now The current time.
   */
  handle(payload: Uint8Array, from: UdpSource, now: Micros): void {
    this.stats.received++;
    const reason = this.#handle(payload, from, now);
    if (reason === undefined) {
      this.stats.accepted++;
    } else {
      this.#lastIgnored = reason;
      this.stats.ignored[reason] = (this.stats.ignored[reason] ?? 0) + 1;
    }
  }

  /**
   * Declines the address just bound because it is in use (the stack's ARP probe got
   * an answer; RFC 2131 §4.4.1, RFC 5227): queues a DHCPDECLINE, drops the lease,
   * emits `declined`, and restarts from INIT after 10 s.
   *
   * @param now The current time.
   * @throws {@link DhcpError} `ESTATE` unless the client is BOUND.
   */
  decline(now: Micros): void {
    const lease = this.#lease;
    if (this.#state !== 'bound' || lease === undefined) {
      throw new DhcpError('ESTATE', `decline needs a bound lease (state ${this.#state})`);
    }
    // RFC 2131 Table 5: DECLINE has ciaddr 0, requested IP and server id, no PRL.
    const payload = this.#encode({
      ...this.#header('decline', 0, 0, false),
      requestedIp: lease.address,
      serverId: lease.serverId,
      clientId: this.#clientId,
    });
    this.#outbox.push(this.#broadcast(payload));
    this.#lease = undefined;
    this.#enterInit(now + DECLINE_BACKOFF);
    this.#emit('declined', undefined, lease, now);
  }

  /**
   * Gives the lease back (RFC 2131 §4.4.6): queues a DHCPRELEASE unicast to the
   * server, drops the lease, emits `released`, and stops until {@link DhcpClient.start}.
   *
   * @param now The current time.
   * @throws {@link DhcpError} `ESTATE` unless a lease is held.
   */
  release(now: Micros): void {
    const lease = this.#lease;
    if (lease === undefined) {
      throw new DhcpError('ESTATE', `release needs a lease (state ${this.#state})`);
    }
    this.#xid = randomU32(this.#entropy);
    const payload = this.#encode({
      ...this.#header('release', 0, lease.address, false),
      serverId: lease.serverId,
      clientId: this.#clientId,
    });
    this.#outbox.push({
      destination: lease.serverId,
      destinationPort: DHCP_SERVER_PORT,
      source: lease.address,
      sourcePort: DHCP_CLIENT_PORT,
      payload,
    });
    this.#lease = undefined;
    this.#offer = undefined;
    this.#sendAt = undefined;
    this.#state = 'stopped';
    this.#emit('released', undefined, lease, now);
  }

  /**
   * Restarts acquisition from INIT after {@link DhcpClient.release}.
   *
   * @param now When to send the first DISCOVER.
   * @throws {@link DhcpError} `ESTATE` unless the client is stopped.
   */
  start(now: Micros): void {
    if (this.#state !== 'stopped') {
      throw new DhcpError('ESTATE', `start needs a stopped client (state ${this.#state})`);
    }
    this.#enterInit(now);
  }

  #advanceTimers(now: Micros): void {
    // Each step moves strictly forward through INIT→SELECTING or BOUND→RENEWING→
    // REBINDING→(expired)INIT→SELECTING, so four steps always suffice.
    for (let step = 0; step < 4; step++) {
      const lease = this.#lease;
      if (this.#state === 'init' && now >= this.#startAt) {
        this.#beginExchange('selecting', now);
      } else if (
        lease?.expiresAt !== undefined &&
        now >= lease.expiresAt &&
        (this.#state === 'bound' || this.#state === 'renewing' || this.#state === 'rebinding')
      ) {
        // RFC 2131 §4.4.5: at expiry, stop using the address and return to INIT.
        this.#lease = undefined;
        this.#enterInit(now);
        this.#emit('expired', undefined, lease, now);
      } else if (
        lease?.rebindAt !== undefined &&
        now >= lease.rebindAt &&
        (this.#state === 'bound' || this.#state === 'renewing')
      ) {
        this.#beginExchange('rebinding', now);
      } else if (lease?.renewAt !== undefined && now >= lease.renewAt && this.#state === 'bound') {
        this.#beginExchange('renewing', now);
      } else {
        return;
      }
    }
  }

  #beginExchange(state: 'selecting' | 'renewing' | 'rebinding', now: Micros): void {
    this.#state = state;
    this.#xid = randomU32(this.#entropy);
    this.#exchangeStart = now;
    this.#attempts = 0;
    this.#sendAt = now;
    this.#requestSentAt = undefined;
    this.#offer = undefined;
  }

  #enterInit(startAt: Micros): void {
    this.#state = 'init';
    this.#startAt = startAt;
    this.#sendAt = undefined;
    this.#offer = undefined;
    this.#requestSentAt = undefined;
  }

  /** RFC 2131 §4.1: 4 s doubling to 64 s, randomised by a uniform ±1 s. */
  #backoff(attempt: number): Micros {
    const base = Math.min(4 * SECOND * 2 ** Math.min(attempt, 4), 64 * SECOND);
    const jitter = Math.floor((randomU32(this.#entropy) / 2 ** 32) * (2 * SECOND + 1)) - SECOND;
    return base + jitter;
  }

  #handle(payload: Uint8Array, from: UdpSource, now: Micros): DhcpIgnoreReason | undefined {
    if (from.port !== DHCP_SERVER_PORT) return 'wrong-port';
    const repr = parseDhcpRepr(payload);
    if (typeof repr === 'string') return repr;
    if (repr.op !== BootpOp.Reply) return 'not-reply';
    if (repr.xid !== this.#xid) return 'wrong-xid';
    if (!sameBytes(repr.chaddr, this.#mac)) return 'wrong-chaddr';
    switch (this.#state) {
      case 'selecting': {
        if (repr.messageType !== 'offer') return 'unexpected';
        if (repr.yiaddr === 0) return 'no-address';
        if (repr.serverId === undefined) return 'no-server-id';
        // Take the first valid offer (RFC 2131 §4.4.1 allows any choice).
        this.#offer = { address: repr.yiaddr, serverId: repr.serverId };
        this.#state = 'requesting';
        this.#attempts = 0;
        this.#sendAt = now;
        this.#requestSentAt = undefined;
        return undefined;
      }
      case 'requesting':
      case 'renewing':
      case 'rebinding': {
        if (repr.messageType !== 'ack' && repr.messageType !== 'nak') return 'unexpected';
        const expected = this.#state === 'requesting' ? this.#offer?.serverId : undefined;
        if (expected !== undefined && repr.serverId !== undefined && repr.serverId !== expected) {
          return 'wrong-server';
        }
        if (repr.messageType === 'nak') {
          // RFC 2131 §3.1 step 5, §4.4.5: on DHCPNAK drop the lease, restart from INIT.
          // Back off like §4.1 (4 s, 8 s … 64 s ±1 s) so a server that NAKs every
          // request cannot hold the client in a tight loop.
          const previous = this.#lease;
          this.#lease = undefined;
          this.#enterInit(now + this.#backoff(this.#consecutiveNaks++));
          this.#emit('nak', undefined, previous, now);
          return undefined;
        }
        if (repr.yiaddr === 0) return 'no-address';
        if (repr.leaseTime === undefined) return 'no-lease-time';
        this.#bind(repr, from, now);
        return undefined;
      }
      default:
        return 'unexpected';
    }
  }

  #bind(ack: DhcpRepr, from: UdpSource, now: Micros): void {
    const previous = this.#lease;
    const acquiredAt = this.#requestSentAt ?? now;
    const leaseTime = ack.leaseTime!;
    // RFC 2131 §4.4.5: T1 defaults to 0.5 × lease, T2 to 0.875 × lease.
    let t1 = ack.renewalTime ?? Math.floor(leaseTime / 2);
    let t2 = ack.rebindingTime ?? Math.floor((leaseTime * 7) / 8);
    if (!(t1 <= t2 && t2 <= leaseTime)) {
      t1 = Math.floor(leaseTime / 2);
      t2 = Math.floor((leaseTime * 7) / 8);
    }
    const infinite = leaseTime === INFINITE_LEASE;
    const subnetMask = ack.subnetMask ?? classfulSubnetMask(ack.yiaddr);
    const lease: DhcpLease = {
      address: ack.yiaddr,
      subnetMask,
      prefixLength: subnetMaskPrefixLength(subnetMask),
      routers: ack.routers ?? [],
      dnsServers: ack.dnsServers ?? [],
      ...(ack.domainName === undefined ? {} : { domainName: ack.domainName }),
      serverId: ack.serverId ?? previous?.serverId ?? this.#offer?.serverId ?? from.address,
      leaseTime,
      renewalTime: t1,
      rebindingTime: t2,
      acquiredAt,
      renewAt: infinite ? undefined : acquiredAt + t1 * SECOND,
      rebindAt: infinite ? undefined : acquiredAt + t2 * SECOND,
      expiresAt: infinite ? undefined : acquiredAt + leaseTime * SECOND,
    };
    const renewed = previous !== undefined && previous.address === lease.address;
    this.#consecutiveNaks = 0;
    this.#lease = lease;
    this.#state = 'bound';
    this.#sendAt = undefined;
    this.#offer = undefined;
    this.#emit(renewed ? 'renewed' : 'bound', lease, previous, now);
  }

  #emit(
    type: DhcpEventType,
    lease: DhcpLease | undefined,
    previous: DhcpLease | undefined,
    at: Micros,
  ): void {
    const event: DhcpEvent = { type, lease, previousLease: previous, at };
    for (const listener of [...this.#listeners]) listener(event);
  }

  #sent(transmit: UdpTransmit): UdpTransmit {
    this.stats.transmitted++;
    return transmit;
  }

  #secs(now: Micros): number {
    return Math.min(0xffff, Math.max(0, Math.floor((now - this.#exchangeStart) / SECOND)));
  }

  #header(type: DhcpMessageType, secs: number, ciaddr: number, broadcast: boolean): DhcpRepr {
    return {
      op: BootpOp.Request,
      messageType: type,
      xid: this.#xid,
      secs,
      broadcast,
      ciaddr,
      yiaddr: 0,
      siaddr: 0,
      giaddr: 0,
      chaddr: this.#mac,
    };
  }

  /** Options common to DISCOVER and REQUEST (RFC 2131 Table 5 "MAY"). */
  #requestOptions(): Partial<DhcpRepr> {
    return {
      clientId: this.#clientId,
      ...(this.#requestedLeaseTime === undefined ? {} : { leaseTime: this.#requestedLeaseTime }),
      ...(this.#hostName === undefined ? {} : { hostName: this.#hostName }),
      parameterRequestList: this.#parameterRequestList,
      maxMessageSize: this.#maxMessageSize,
    };
  }

  #discover(now: Micros): Uint8Array {
    return this.#encode({
      ...this.#header('discover', this.#secs(now), 0, this.#broadcastFlag),
      ...this.#requestOptions(),
      ...(this.#requestedAddress === undefined ? {} : { requestedIp: this.#requestedAddress }),
    });
  }

  /** RFC 2131 §4.3.2: REQUEST in SELECTING carries option 50 and option 54, ciaddr 0. */
  #selectingRequest(now: Micros): Uint8Array {
    const offer = this.#offer!;
    return this.#encode({
      ...this.#header('request', this.#secs(now), 0, this.#broadcastFlag),
      ...this.#requestOptions(),
      requestedIp: offer.address,
      serverId: offer.serverId,
    });
  }

  /** RFC 2131 §4.3.2: REQUEST in RENEWING/REBINDING has ciaddr set, no option 50/54. */
  #renewingRequest(now: Micros, lease: DhcpLease): Uint8Array {
    return this.#encode({
      ...this.#header('request', this.#secs(now), lease.address, false),
      ...this.#requestOptions(),
    });
  }

  #broadcast(payload: Uint8Array): UdpTransmit {
    return {
      destination: BROADCAST,
      destinationPort: DHCP_SERVER_PORT,
      source: 0,
      sourcePort: DHCP_CLIENT_PORT,
      payload,
    };
  }

  #encode(repr: DhcpRepr): Uint8Array {
    const payload = new Uint8Array(dhcpReprLength(repr));
    emitDhcpRepr(repr, payload);
    return payload;
  }
}

function earliest(a: Micros | undefined, b: Micros | undefined): Micros | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
