/**
 * The DNS relay of a user-mode network: a gateway UDP socket on port 53 of the gateway
 * address (10.0.2.2 by default — not slirp's separate 10.0.2.3, which would need the
 * gateway to answer ARP for a second address) relays each guest query to an upstream
 * resolver through a fresh host `node:dgram` socket and passes the answer back. No
 * upstream, a forbidden upstream or no answer in time gives the guest SERVFAIL.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { readDnsName } from '../../dns/dns-name.js';
import type { Stack } from '../../stack/stack.js';
import type { UdpMessage, UdpSocket } from '../../stack/udp-socket.js';
import type { UserNetworkStats } from './host-forward.js';
import type { OutboundPolicy } from './outbound-policy.js';

/** RFC 1035 §4.1.1: the fixed header. */
const HEADER_LENGTH = 12;
/** RFC 1035 §4.1.1: RCODE 2, "server failure". */
const RCODE_SERVFAIL = 2;

/**
 * Where the DNS relay sends queries.
 *
 * @example
 * ```ts
 * import type { DnsUpstream } from '@libos/net/node';
 * const local: DnsUpstream = { address: '127.0.0.53', port: 53 };
 * ```
 */
export interface DnsUpstream {
  /** IPv4 or IPv6 address of the resolver. */
  readonly address: string;
  /** Its port; default 53. */
  readonly port?: number;
}

/**
 * The host's first configured resolver (`dns.getServers()[0]`, as `/etc/resolv.conf`
 * says), or undefined when there is none.
 *
 * @example
 * ```ts
 * const upstream = hostResolver(); // e.g. { address: '127.0.0.53', port: 53 }
 * ```
 */
export function hostResolver(): Required<DnsUpstream> | undefined {
  const first = getServers()[0];
  if (first === undefined) return undefined;
  if (isIP(first) !== 0) return { address: first, port: 53 };
  // `[v6]:port` or `v4:port`.
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(first);
  if (match === null || isIP(match[1]!) === 0) return undefined;
  return { address: match[1]!, port: Number(match[2]) };
}

/**
 * What a {@link DnsRelay} needs from its network.
 *
 * @example
 * ```ts
 * const context: DnsRelayContext = { gateway, stats, wake, policy, upstream, timeoutMs: 5000, maxPending: 64 };
 * ```
 */
export interface DnsRelayContext {
  /** The gateway stack (the relay binds UDP port 53 on it). */
  readonly gateway: Stack;
  /** Counters to update. */
  readonly stats: UserNetworkStats;
  /** Asks the gateway loop to poll. */
  readonly wake: () => void;
  /** The restriction the upstream must pass. */
  readonly policy: OutboundPolicy;
  /** The resolver to relay to, or undefined for none. */
  readonly upstream: Required<DnsUpstream> | undefined;
  /** How long to wait for the upstream's answer (ms). */
  readonly timeoutMs: number;
  /** Queries in flight at once; more are dropped (the guest retries). */
  readonly maxPending: number;
}

/**
 * Relays guest DNS queries to the upstream resolver until closed.
 *
 * @example
 * ```ts
 * const relay = new DnsRelay(context);
 * relay.close();
 * ```
 */
export class DnsRelay {
  readonly #context: DnsRelayContext;
  readonly #socket: UdpSocket;
  readonly #pending = new Map<Socket, ReturnType<typeof setTimeout>>();
  #closed = false;

  /** @param context The gateway, counters, wake-up, policy and upstream. */
  constructor(context: DnsRelayContext) {
    this.#context = context;
    this.#socket = context.gateway.bindUdp({ port: 53, receiveQueue: 128 });
    void this.#serve();
  }

  /** Queries waiting for the upstream. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Closes the gateway socket and every query's host socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    for (const [socket, timer] of this.#pending) {
      clearTimeout(timer);
      socket.close();
    }
    this.#pending.clear();
  }

  async #serve(): Promise<void> {
    while (!this.#closed) {
      let message: UdpMessage;
      try {
        message = await this.#socket.receive();
      } catch {
        continue;
      }
      this.#query(message);
    }
  }

  #query(query: UdpMessage): void {
    const { stats, policy, upstream, timeoutMs, maxPending } = this.#context;
    stats.dnsQueries++;
    const questionEnd = questionEndOf(query.data);
    if (questionEnd === undefined || (query.data[2]! & 0x80) !== 0) {
      // Not a query we could even answer SERVFAIL to.
      stats.dnsFailures++;
      return;
    }
    if (upstream === undefined || !policy.allows(upstream.address)) {
      if (upstream !== undefined) stats.natBlocked++;
      this.#fail(query, questionEnd);
      return;
    }
    if (this.#pending.size >= maxPending) {
      stats.dnsFailures++;
      return;
    }
    const socket = createSocket({ type: isIP(upstream.address) === 6 ? 'udp6' : 'udp4' });
    stats.hostSocketsOpened++;
    const finish = (): void => {
      clearTimeout(timer);
      if (this.#pending.delete(socket)) socket.close();
    };
    const timer = setTimeout(() => {
      finish();
      if (!this.#closed) this.#fail(query, questionEnd);
    }, timeoutMs);
    this.#pending.set(socket, timer);
    socket.on('error', () => {
      finish();
      if (!this.#closed) this.#fail(query, questionEnd);
    });
    socket.on('message', (answer: Buffer, from: RemoteInfo) => {
      // Only the upstream's answer to this query (RFC 5452 §9.1: address, port, ID).
      if (from.port !== upstream.port || answer.length < HEADER_LENGTH) return;
      if (answer[0] !== query.data[0] || answer[1] !== query.data[1]) return;
      finish();
      if (this.#closed) return;
      stats.dnsAnswers++;
      this.#reply(query, answer);
    });
    socket.connect(upstream.port, upstream.address, () => socket.send(query.data));
  }

  /** Answers `query` with SERVFAIL: its header and question, no records. */
  #fail(query: UdpMessage, questionEnd: number): void {
    this.#context.stats.dnsFailures++;
    const answer = query.data.slice(0, questionEnd);
    answer[2] = (answer[2]! | 0x80) & 0xf9; // QR = 1, AA = 0, TC = 0 (RD kept)
    answer[3] = 0x80 | RCODE_SERVFAIL; // RA = 1, RCODE
    answer.fill(0, 6, HEADER_LENGTH); // ANCOUNT, NSCOUNT, ARCOUNT
    this.#reply(query, answer);
  }

  #reply(query: UdpMessage, answer: Uint8Array): void {
    const { wake } = this.#context;
    this.#socket.send(answer, query.address, query.port).then(wake, () => {});
    wake();
  }
}

/** Where the first question of a DNS message ends, or undefined when it is malformed. */
function questionEndOf(message: Uint8Array): number | undefined {
  if (message.length < HEADER_LENGTH) return undefined;
  const questions = (message[4]! << 8) | message[5]!;
  if (questions !== 1) return undefined;
  const name = readDnsName(message, HEADER_LENGTH);
  if (typeof name === 'string' || name.end + 4 > message.length) return undefined;
  return name.end + 4;
}
