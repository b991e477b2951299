/**
 * A sans-IO DNS stub resolver (RFC 1035 §7, RFC 3596, RFC 2181, RFC 2308). It never
 * sends or sleeps: {@link DnsResolver.resolve} returns a promise that settles only
 * while the stack feeds responses ({@link DnsResolver.handle}) and time
 * ({@link DnsResolver.poll}, at {@link DnsResolver.pollAt}).
 */

import { type EntropySource, type Micros, randomU32 } from '@libos/sched';
import type { UdpSource, UdpTransmit } from '../dhcp/udp-transmit.js';
import type { DnsAddress, DnsAnswer, DnsAnswerFor, DnsQueryType } from './dns-answer.js';
import { DnsCache } from './dns-cache.js';
import { DnsError, type DnsErrorCode } from './dns-error.js';
import { dnsNameKey, encodeDnsName } from './dns-name.js';
import { DNS_CLASS_IN, DNS_PORT, DnsPacket, DnsRcode, DnsType } from './dns-packet.js';
import { type DnsRecord, type DnsRepr, emitDnsRepr, parseDnsRepr } from './dns-repr.js';

const SECOND = 1_000_000;
/** RFC 6335 §6: the dynamic (ephemeral) port range 49152..65535. */
const EPHEMERAL_BASE = 49152;

/**
 * Configuration of a {@link DnsResolver}.
 *
 * @example
 * ```ts
 * import type { DnsResolverOptions } from '@libos/net';
 * const options: DnsResolverOptions = { entropy, servers: [0x0a000203], attempts: 3 };
 * ```
 */
export interface DnsResolverOptions {
  /** Randomness for query IDs and source ports (RFC 5452 §9.2). */
  readonly entropy: EntropySource;
  /** IPv4 server addresses (uint32), preferred first; usually set later from DHCP. */
  readonly servers?: readonly number[];
  /** Timeout of the first attempt; doubles per attempt. Default 1 s. */
  readonly timeout?: Micros;
  /** Upper bound of an attempt's timeout. Default 8 s. */
  readonly maxTimeout?: Micros;
  /** Transmissions per query, rotating through the servers. Default 4. */
  readonly attempts?: number;
  /** Cached names (positive and negative); 0 disables the cache. Default 256. */
  readonly cacheSize?: number;
  /** Upper bound of a cached TTL in seconds. Default 86400 (one day). */
  readonly maxTtl?: number;
  /** CNAMEs followed before giving up with `EBADRESP`. Default 8. */
  readonly maxCnameChain?: number;
}

/**
 * Why a received datagram was ignored: `malformed` (not a parseable DNS response, or
 * opcode ≠ 0), `not-response` (QR clear), `unknown-id` (no query in flight with that
 * ID on that local port), `wrong-source` (not from the server and port 53 the query
 * was sent to), `question-mismatch` (the question section differs from the query).
 *
 * @example
 * ```ts
 * import type { DnsIgnoreReason } from '@libos/net';
 * const r: DnsIgnoreReason = 'unknown-id';
 * ```
 */
export type DnsIgnoreReason =
  | 'malformed'
  | 'not-response'
  | 'unknown-id'
  | 'wrong-source'
  | 'question-mismatch';

/**
 * Counters of a {@link DnsResolver}.
 *
 * @example
 * ```ts
 * console.log(resolver.stats.cacheHits, resolver.stats.ignored['unknown-id'] ?? 0);
 * ```
 */
export interface DnsResolverStats {
  /** Calls of `resolve`. */
  resolves: number;
  /** Calls answered from the cache. */
  cacheHits: number;
  /** Calls joined to an identical query already in flight. */
  joined: number;
  /** Datagrams returned by `poll`. */
  transmitted: number;
  /** Datagrams passed to `handle`. */
  received: number;
  /** Datagrams accepted as the response to a query. */
  accepted: number;
  /** Ignored datagrams by reason. */
  readonly ignored: Partial<Record<DnsIgnoreReason, number>>;
}

interface Transmission {
  readonly id: number;
  readonly port: number;
  readonly server: number;
}

interface Waiter {
  readonly resolve: (answer: DnsAnswer) => void;
  readonly reject: (error: DnsError) => void;
}

interface Query {
  readonly key: string;
  readonly name: string;
  readonly nameKey: string;
  readonly type: DnsQueryType;
  readonly waiters: Waiter[];
  readonly transmissions: Transmission[];
  sendAt: Micros | undefined;
  deadline: Micros | undefined;
  lastError: DnsErrorCode | undefined;
}

type Chain =
  | {
      readonly addresses: DnsAddress<number | Uint8Array>[];
      readonly canonicalName: string;
      readonly cnameChain: string[];
    }
  | string;

/**
 * The stub resolver. Route UDP datagrams whose local port {@link DnsResolver.ownsPort}
 * into {@link DnsResolver.handle}, transmit what {@link DnsResolver.poll} returns, and
 * poll again at {@link DnsResolver.pollAt}.
 *
 * Each transmission uses a fresh random ID and source port; a response must match
 * the ID, the local port, the server address, port 53 and the question, or it is
 * ignored and counted. Identical concurrent lookups share one query. Attempt *i*
 * goes to server *i mod n* with timeout `min(timeout × 2^i, maxTimeout)`; SERVFAIL,
 * REFUSED, FORMERR and NOTIMP move on to the next attempt at once.
 *
 * Truncation (TC): there is no TCP fallback yet. A truncated response whose answer
 * section is complete and yields addresses is used; otherwise the lookup fails with
 * `ETRUNCATED`.
 *
 * @example
 * ```ts
 * import { DnsResolver } from '@libos/net';
 * const resolver = new DnsResolver({ entropy, servers: lease.dnsServers });
 * const pending = resolver.resolve('www.example.com', 'A', now);
 * for (let t = resolver.poll(now); t; t = resolver.poll(now)) udp.send(t);
 * // on a datagram: resolver.handle(payload, { address, port }, localPort, now)
 * const answer = await pending;
 * ```
 */
export class DnsResolver {
  /** Counters; read-only for callers. */
  readonly stats: DnsResolverStats = {
    resolves: 0,
    cacheHits: 0,
    joined: 0,
    transmitted: 0,
    received: 0,
    accepted: 0,
    ignored: {},
  };
  readonly #entropy: EntropySource;
  readonly #timeout: Micros;
  readonly #maxTimeout: Micros;
  readonly #attempts: number;
  readonly #maxTtl: number;
  readonly #maxCnameChain: number;
  readonly #cache: DnsCache;
  readonly #queries = new Map<string, Query>();
  #servers: readonly number[];
  #lastIgnored: DnsIgnoreReason | undefined;

  /**
   * @param options Entropy, servers, timeouts and cache bounds.
   * @throws RangeError for a non-positive timeout or attempt count.
   */
  constructor(options: DnsResolverOptions) {
    this.#entropy = options.entropy;
    this.#servers = [...(options.servers ?? [])];
    this.#timeout = options.timeout ?? SECOND;
    this.#maxTimeout = options.maxTimeout ?? 8 * SECOND;
    this.#attempts = options.attempts ?? 4;
    if (!(this.#timeout > 0) || !(this.#maxTimeout >= this.#timeout)) {
      throw new RangeError('timeout must be positive and at most maxTimeout');
    }
    if (!Number.isInteger(this.#attempts) || this.#attempts < 1) {
      throw new RangeError('attempts must be a positive integer');
    }
    this.#maxTtl = options.maxTtl ?? 86_400;
    this.#maxCnameChain = options.maxCnameChain ?? 8;
    this.#cache = new DnsCache(options.cacheSize ?? 256);
  }

  /** The configured servers (uint32 IPv4 addresses), preferred first. */
  get servers(): readonly number[] {
    return this.#servers;
  }

  /** Why the most recently ignored datagram was ignored. */
  get lastIgnored(): DnsIgnoreReason | undefined {
    return this.#lastIgnored;
  }

  /** Number of distinct queries in flight. */
  get pendingQueries(): number {
    return this.#queries.size;
  }

  /**
   * Replaces the server list (e.g. from a DHCP lease's DNS servers). Queries in
   * flight use the new list from their next attempt on.
   *
   * @param servers IPv4 addresses (uint32), preferred first.
   */
  setServers(servers: readonly number[]): void {
    this.#servers = [...servers];
  }

  /** Drops every cached answer and negative answer. */
  clearCache(): void {
    this.#cache.clear();
  }

  /**
   * Whether a query in flight was sent from local UDP `port` (for demultiplexing
   * incoming datagrams to the resolver).
   *
   * @param port A local UDP port.
   */
  ownsPort(port: number): boolean {
    for (const query of this.#queries.values()) {
      for (const t of query.transmissions) if (t.port === port) return true;
    }
    return false;
  }

  /**
   * Looks up the A or AAAA records of `name`, following CNAMEs. Answers from the
   * cache settle at once; otherwise the promise settles during a later `handle` or
   * `poll`.
   *
   * @param name A domain name (a trailing dot is allowed).
   * @param type `'A'` or `'AAAA'`.
   * @param now The current time.
   * @returns the answer, or a rejection with a {@link DnsError}.
   */
  resolve<T extends DnsQueryType>(name: string, type: T, now: Micros): Promise<DnsAnswerFor<T>> {
    return this.#resolve(name, type, now) as Promise<DnsAnswerFor<T>>;
  }

  /**
   * When {@link DnsResolver.poll} must be called next (a send or a timeout), or
   * undefined with nothing in flight.
   */
  pollAt(): Micros | undefined {
    let at: Micros | undefined;
    for (const query of this.#queries.values()) {
      const next = query.sendAt ?? query.deadline;
      if (next !== undefined && (at === undefined || next < at)) at = next;
    }
    return at;
  }

  /**
   * Expires timed-out attempts and returns the next query datagram to send, or
   * undefined. Call repeatedly until it returns undefined.
   *
   * @param now The current time.
   */
  poll(now: Micros): UdpTransmit | undefined {
    for (const query of this.#queries.values()) {
      if (query.deadline !== undefined && now >= query.deadline) {
        query.deadline = undefined;
        if (query.transmissions.length >= this.#attempts) {
          const code = query.lastError ?? 'ETIMEOUT';
          this.#fail(query, code, `no answer after ${query.transmissions.length} attempts`);
          continue;
        }
        query.sendAt = now;
      }
      if (query.sendAt !== undefined && now >= query.sendAt) {
        const transmit = this.#transmit(query, now);
        if (transmit) return transmit;
      }
    }
    return undefined;
  }

  /**
   * Feeds one UDP datagram received for the resolver.
   *
   * @param payload The UDP payload (not retained).
   * @param from The datagram's source address and port.
   * @param localPort The UDP port it was sent to (one of the resolver's source ports).
   * @param now The current time.
   */
  handle(payload: Uint8Array, from: UdpSource, localPort: number, now: Micros): void {
    this.stats.received++;
    const reason = this.#handle(payload, from, localPort, now);
    if (reason === undefined) {
      this.stats.accepted++;
    } else {
      this.#lastIgnored = reason;
      this.stats.ignored[reason] = (this.stats.ignored[reason] ?? 0) + 1;
    }
  }

  #resolve(name: string, type: DnsQueryType, now: Micros): Promise<DnsAnswer> {
    this.stats.resolves++;
    const display = trimDot(name);
    try {
      if (encodeDnsName(name).length === 1) throw new DnsError('EBADNAME', name, 'the root name');
    } catch (e) {
      return Promise.reject(e);
    }
    const nameKey = dnsNameKey(name);
    const key = `${type} ${nameKey}`;
    const cached = this.#cache.get(key, now);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      const value = cached.value;
      if ('negative' in value) {
        return Promise.reject(new DnsError(value.negative, display, 'cached negative answer'));
      }
      return Promise.resolve(aged(value.answer, display, cached.ageSeconds));
    }
    return new Promise<DnsAnswer>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const pending = this.#queries.get(key);
      if (pending !== undefined) {
        this.stats.joined++;
        pending.waiters.push(waiter);
        return;
      }
      if (this.#servers.length === 0) {
        reject(new DnsError('ECONNREFUSED', display, 'no DNS server configured'));
        return;
      }
      this.#queries.set(key, {
        key,
        name: display,
        nameKey,
        type,
        waiters: [waiter],
        transmissions: [],
        sendAt: now,
        deadline: undefined,
        lastError: undefined,
      });
    });
  }

  #transmit(query: Query, now: Micros): UdpTransmit | undefined {
    const servers = this.#servers;
    if (servers.length === 0) {
      this.#fail(query, 'ECONNREFUSED', 'no DNS server configured');
      return undefined;
    }
    const attempt = query.transmissions.length;
    const server = servers[attempt % servers.length]!;
    // RFC 5452 §9.2: randomise both the ID and the source port.
    const r = randomU32(this.#entropy);
    const id = r & 0xffff;
    const port = EPHEMERAL_BASE + ((r >>> 16) & 0x3fff);
    query.transmissions.push({ id, port, server });
    query.sendAt = undefined;
    query.deadline = now + Math.min(this.#timeout * 2 ** attempt, this.#maxTimeout);
    const payload = emitDnsRepr({
      id,
      response: false,
      opcode: 0,
      authoritative: false,
      truncated: false,
      recursionDesired: true,
      recursionAvailable: false,
      rcode: 0,
      questions: [{ name: query.name, type: DnsType[query.type], class: DNS_CLASS_IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    this.stats.transmitted++;
    return { destination: server, destinationPort: DNS_PORT, source: 0, sourcePort: port, payload };
  }

  #handle(
    payload: Uint8Array,
    from: UdpSource,
    localPort: number,
    now: Micros,
  ): DnsIgnoreReason | undefined {
    const packet = DnsPacket.newChecked(payload);
    if (typeof packet === 'string') return 'malformed';
    if (!packet.response) return 'not-response';
    const id = packet.id;
    let query: Query | undefined;
    let sent: Transmission | undefined;
    for (const q of this.#queries.values()) {
      sent = q.transmissions.find((t) => t.id === id && t.port === localPort);
      if (sent !== undefined) {
        query = q;
        break;
      }
    }
    if (query === undefined || sent === undefined) return 'unknown-id';
    if (from.address !== sent.server || from.port !== DNS_PORT) return 'wrong-source';
    const repr = parseDnsRepr(payload, { partial: packet.truncated });
    if (typeof repr === 'string' || repr.opcode !== 0) return 'malformed';
    const question = repr.questions[0];
    if (
      repr.questions.length !== 1 ||
      question === undefined ||
      dnsNameKey(question.name) !== query.nameKey ||
      question.type !== DnsType[query.type] ||
      question.class !== DNS_CLASS_IN
    ) {
      return 'question-mismatch';
    }
    this.#complete(query, repr, now);
    return undefined;
  }

  #complete(query: Query, repr: DnsRepr, now: Micros): void {
    switch (repr.rcode) {
      case DnsRcode.NoError: {
        if (repr.incompleteSection === 'answers') {
          this.#fail(query, 'ETRUNCATED', 'truncated response without a complete answer');
          return;
        }
        const chain = this.#followChain(query, repr.answers);
        if (typeof chain === 'string') {
          this.#fail(query, 'EBADRESP', chain);
          return;
        }
        if (chain.addresses.length > 0) {
          this.#succeed(query, chain, now);
          return;
        }
        if (repr.truncated) {
          this.#fail(query, 'ETRUNCATED', 'truncated response without addresses');
          return;
        }
        // RFC 2308 §2.2: NODATA, cached like NXDOMAIN.
        this.#negative(query, 'ENODATA', repr.authorities, now);
        return;
      }
      case DnsRcode.NameError:
        this.#negative(query, 'ENOTFOUND', repr.authorities, now);
        return;
      default: {
        const code: DnsErrorCode =
          repr.rcode === DnsRcode.ServerFailure
            ? 'ESERVFAIL'
            : repr.rcode === DnsRcode.Refused
              ? 'EREFUSED'
              : repr.rcode === DnsRcode.FormatError
                ? 'EFORMERR'
                : repr.rcode === DnsRcode.NotImplemented
                  ? 'ENOTIMP'
                  : 'EBADRESP';
        query.lastError = code;
        if (query.transmissions.length >= this.#attempts) {
          this.#fail(query, code, `server answered rcode ${repr.rcode}`);
        } else {
          // Try the next server at once.
          query.deadline = undefined;
          query.sendAt = now;
        }
      }
    }
  }

  /** RFC 2181 §8: a TTL with the top bit set means 0; cap at `maxTtl`. */
  #ttl(ttl: number): number {
    return ttl >= 0x80000000 ? 0 : Math.min(ttl, this.#maxTtl);
  }

  /** RFC 1034 §3.6.2: follow CNAMEs from the query name to the records asked for. */
  #followChain(query: Query, answers: readonly DnsRecord[]): Chain {
    let current = query.nameKey;
    let canonicalName = query.name;
    let chainTtl = Number.POSITIVE_INFINITY;
    const cnameChain: string[] = [];
    const visited = new Set([current]);
    for (;;) {
      const addresses: DnsAddress<number | Uint8Array>[] = [];
      let alias: string | undefined;
      for (const r of answers) {
        if (r.class !== DNS_CLASS_IN || dnsNameKey(r.name) !== current) continue;
        if (r.data.type === query.type) {
          addresses.push({ address: r.data.address, ttl: Math.min(this.#ttl(r.ttl), chainTtl) });
        } else if (r.data.type === 'CNAME' && alias === undefined) {
          alias = r.data.target;
          chainTtl = Math.min(chainTtl, this.#ttl(r.ttl));
        }
      }
      if (addresses.length > 0 || alias === undefined) {
        return { addresses, canonicalName, cnameChain };
      }
      if (cnameChain.length >= this.#maxCnameChain) return 'CNAME chain too long';
      const next = dnsNameKey(alias);
      if (visited.has(next)) return 'CNAME loop';
      visited.add(next);
      cnameChain.push(alias);
      canonicalName = alias;
      current = next;
    }
  }

  #succeed(query: Query, chain: Exclude<Chain, string>, now: Micros): void {
    const answer = {
      type: query.type,
      name: query.name,
      canonicalName: chain.canonicalName,
      cnameChain: chain.cnameChain,
      addresses: chain.addresses,
      fromCache: false,
    } as DnsAnswer;
    let ttl = Number.POSITIVE_INFINITY;
    for (const a of chain.addresses) ttl = Math.min(ttl, a.ttl);
    this.#cache.set(query.key, { answer }, ttl, now);
    this.#queries.delete(query.key);
    for (const waiter of query.waiters) waiter.resolve(answer);
  }

  /** RFC 2308 §5: cache for min(SOA TTL, SOA MINIMUM); without an SOA, do not cache. */
  #negative(
    query: Query,
    code: 'ENOTFOUND' | 'ENODATA',
    authorities: readonly DnsRecord[],
    now: Micros,
  ): void {
    for (const r of authorities) {
      if (r.data.type === 'SOA' && r.class === DNS_CLASS_IN) {
        const ttl = Math.min(this.#ttl(r.ttl), this.#ttl(r.data.minimum));
        this.#cache.set(query.key, { negative: code }, ttl, now);
        break;
      }
    }
    this.#fail(query, code, code === 'ENOTFOUND' ? 'no such name' : `no ${query.type} record`);
  }

  #fail(query: Query, code: DnsErrorCode, message: string): void {
    this.#queries.delete(query.key);
    for (const waiter of query.waiters) waiter.reject(new DnsError(code, query.name, message));
  }
}

function trimDot(name: string): string {
  return name.endsWith('.') && !name.endsWith('\\.') && name.length > 1 ? name.slice(0, -1) : name;
}

/** A cached answer as seen `ageSeconds` after it was stored. */
function aged(answer: DnsAnswer, name: string, ageSeconds: number): DnsAnswer {
  return {
    ...answer,
    name,
    fromCache: true,
    addresses: answer.addresses.map((a) => ({ ...a, ttl: Math.max(0, a.ttl - ageSeconds) })),
  } as DnsAnswer;
}
