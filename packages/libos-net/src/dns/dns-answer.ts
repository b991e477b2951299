/**
 * What a {@link DnsResolver} resolves to.
 */

/**
 * The record types a {@link DnsResolver} looks up.
 *
 * @example
 * ```ts
 * import type { DnsQueryType } from '@libos/net';
 * const t: DnsQueryType = 'AAAA';
 * ```
 */
export type DnsQueryType = 'A' | 'AAAA';

/**
 * One address of an answer with its remaining TTL in seconds: the smaller of the
 * address record's TTL and every CNAME's TTL on the way to it.
 *
 * @example
 * ```ts
 * import type { DnsAddress } from '@libos/net';
 * const a: DnsAddress<number> = { address: 0x5db8d70e, ttl: 300 };
 * ```
 */
export interface DnsAddress<T> {
  /** A uint32 for A, 16 bytes for AAAA. */
  readonly address: T;
  /** Seconds this address may still be used. */
  readonly ttl: number;
}

/**
 * A successful resolution: the addresses at the end of the CNAME chain.
 *
 * @example
 * ```ts
 * const answer = await resolver.resolve('www.example.com', 'A', now);
 * console.log(answer.canonicalName, answer.addresses.map((a) => a.address));
 * ```
 */
export interface DnsAnswerOf<Type extends DnsQueryType, Address> {
  /** The record type asked for. */
  readonly type: Type;
  /** The name asked for, as given (without a trailing dot). */
  readonly name: string;
  /** The owner name of the addresses: the last CNAME target, or `name`. */
  readonly canonicalName: string;
  /** CNAME targets followed, in order (empty without aliases). */
  readonly cnameChain: readonly string[];
  /** The addresses, in the server's order; never empty. */
  readonly addresses: readonly DnsAddress<Address>[];
  /** Whether the answer came from the cache. */
  readonly fromCache: boolean;
}

/**
 * The answer to an A query: IPv4 addresses as uint32 numbers.
 *
 * @example
 * ```ts
 * import type { DnsAAnswer } from '@libos/net';
 * function first(a: DnsAAnswer): number { return a.addresses[0]!.address; }
 * ```
 */
export type DnsAAnswer = DnsAnswerOf<'A', number>;

/**
 * The answer to an AAAA query: IPv6 addresses as 16-byte arrays.
 *
 * @example
 * ```ts
 * import type { DnsAaaaAnswer } from '@libos/net';
 * function first(a: DnsAaaaAnswer): Uint8Array { return a.addresses[0]!.address; }
 * ```
 */
export type DnsAaaaAnswer = DnsAnswerOf<'AAAA', Uint8Array>;

/**
 * Either answer.
 *
 * @example
 * ```ts
 * import type { DnsAnswer } from '@libos/net';
 * function count(a: DnsAnswer): number { return a.addresses.length; }
 * ```
 */
export type DnsAnswer = DnsAAnswer | DnsAaaaAnswer;

/**
 * The answer type of a query type.
 *
 * @example
 * ```ts
 * import type { DnsAnswerFor } from '@libos/net';
 * type A = DnsAnswerFor<'A'>; // DnsAAnswer
 * ```
 */
export type DnsAnswerFor<T extends DnsQueryType> = T extends 'A' ? DnsAAnswer : DnsAaaaAnswer;
