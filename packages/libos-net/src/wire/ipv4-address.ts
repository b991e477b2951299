/**
 * IPv4 addresses (RFC 791 §3.1, RFC 4632 prefixes) as unsigned 32-bit numbers:
 * `a.b.c.d` is `((a << 24) | (b << 16) | (c << 8) | d) >>> 0`. A number compares with
 * `===`, hashes in a `Map` and costs no allocation.
 */
import { readU32, writeU32 } from './bytes.js';

/**
 * An IPv4 address as an unsigned 32-bit integer in host order (`0..0xffffffff`).
 *
 * @example
 * ```ts
 * import { type Ipv4Address, parseIpv4Address } from '@libos/net';
 * const gateway: Ipv4Address = parseIpv4Address('10.0.2.2'); // 0x0a000202
 * ```
 */
export type Ipv4Address = number;

/**
 * The limited broadcast address 255.255.255.255 (RFC 919 §7).
 *
 * @example
 * ```ts
 * import { IPV4_BROADCAST, isIpv4Broadcast } from '@libos/net';
 * isIpv4Broadcast(IPV4_BROADCAST); // true
 * ```
 */
export const IPV4_BROADCAST: Ipv4Address = 0xffffffff;

/**
 * The unspecified address 0.0.0.0 ("this host", RFC 1122 §3.2.1.3 (a)).
 *
 * @example
 * ```ts
 * import { IPV4_UNSPECIFIED, formatIpv4Address } from '@libos/net';
 * formatIpv4Address(IPV4_UNSPECIFIED); // '0.0.0.0'
 * ```
 */
export const IPV4_UNSPECIFIED: Ipv4Address = 0;

/**
 * Thrown when text is not a strict dotted-quad IPv4 address.
 *
 * @example
 * ```ts
 * import { Ipv4AddressError, parseIpv4Address } from '@libos/net';
 * try { parseIpv4Address('01.2.3.4'); } catch (e) { if (e instanceof Ipv4AddressError) console.log(e.code); }
 * ```
 */
export class Ipv4AddressError extends Error {
  /** Stable error code. */
  readonly code = 'EINVAL' as const;
  /** @param text The text that failed to parse. */
  constructor(readonly text: string) {
    super(`not a dotted-quad IPv4 address: ${JSON.stringify(text)}`);
    this.name = 'Ipv4AddressError';
  }
}

/** Four decimal octets, each `0` or without leading zeros (so never read as octal). */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * Parses a strict dotted quad `a.b.c.d`: four decimal octets `0..255`, no leading zeros
 * (`01.2.3.4` is ambiguous — octal to `inet_aton`), no short forms (`1.2.3`), no
 * surrounding space.
 *
 * @param text The address text.
 * @throws {@link Ipv4AddressError} (`code` `'EINVAL'`) on anything else.
 * @example
 * ```ts
 * import { parseIpv4Address } from '@libos/net';
 * parseIpv4Address('192.168.1.1'); // 0xc0a80101
 * ```
 */
export function parseIpv4Address(text: string): Ipv4Address {
  const m = DOTTED_QUAD.exec(text);
  if (!m) throw new Ipv4AddressError(text);
  let address = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) throw new Ipv4AddressError(text);
    address = address * 256 + octet;
  }
  return address;
}

/**
 * Formats an address as a dotted quad.
 *
 * @param a The address.
 * @example
 * ```ts
 * import { formatIpv4Address } from '@libos/net';
 * formatIpv4Address(0xc0a80101); // '192.168.1.1'
 * ```
 */
export function formatIpv4Address(a: Ipv4Address): string {
  return `${(a >>> 24) & 0xff}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/**
 * Reads a 4-byte address in network byte order.
 *
 * @param bytes The buffer.
 * @param offset Offset of the first (most significant) octet.
 * @example
 * ```ts
 * import { readIpv4Address } from '@libos/net';
 * readIpv4Address(new Uint8Array([10, 0, 2, 15]), 0); // 0x0a00020f
 * ```
 */
export function readIpv4Address(bytes: Uint8Array, offset: number): Ipv4Address {
  return readU32(bytes, offset);
}

/**
 * Writes an address as 4 bytes in network byte order.
 *
 * @param bytes The buffer.
 * @param offset Offset of the first (most significant) octet.
 * @param a The address.
 * @example
 * ```ts
 * import { parseIpv4Address, writeIpv4Address } from '@libos/net';
 * const b = new Uint8Array(4);
 * writeIpv4Address(b, 0, parseIpv4Address('10.0.2.15')); // b = [10, 0, 2, 15]
 * ```
 */
export function writeIpv4Address(bytes: Uint8Array, offset: number, a: Ipv4Address): void {
  writeU32(bytes, offset, a);
}

/**
 * The netmask of a prefix length (RFC 4632 §3.1): `prefixLength` leading one bits.
 *
 * @param prefixLength `0..32`.
 * @returns The mask as an unsigned 32-bit number; 0 → `0`, 32 → `0xffffffff`.
 * @throws RangeError unless `prefixLength` is an integer in `0..32`.
 * @example
 * ```ts
 * import { ipv4Netmask } from '@libos/net';
 * ipv4Netmask(24); // 0xffffff00
 * ```
 */
export function ipv4Netmask(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new RangeError(`an IPv4 prefix length is an integer in 0..32, not ${prefixLength}`);
  }
  // A shift by 32 is a shift by 0 in JavaScript, hence the special case.
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/**
 * Whether `a` lies in the subnet `network/prefixLength` (host bits of `network` are
 * ignored).
 *
 * @param a The address to test.
 * @param network Any address of the subnet.
 * @param prefixLength `0..32`.
 * @example
 * ```ts
 * import { isInIpv4Subnet, parseIpv4Address } from '@libos/net';
 * isInIpv4Subnet(parseIpv4Address('10.0.2.15'), parseIpv4Address('10.0.2.0'), 24); // true
 * ```
 */
export function isInIpv4Subnet(
  a: Ipv4Address,
  network: Ipv4Address,
  prefixLength: number,
): boolean {
  const mask = ipv4Netmask(prefixLength);
  return (a & mask) >>> 0 === (network & mask) >>> 0;
}

/**
 * The directed broadcast address of the subnet `a` is in: all host bits set
 * (RFC 919 §7, RFC 922 §7).
 *
 * @param a Any address of the subnet.
 * @param prefixLength `0..32`.
 * @example
 * ```ts
 * import { formatIpv4Address, ipv4SubnetBroadcast, parseIpv4Address } from '@libos/net';
 * formatIpv4Address(ipv4SubnetBroadcast(parseIpv4Address('10.0.2.15'), 24)); // '10.0.2.255'
 * ```
 */
export function ipv4SubnetBroadcast(a: Ipv4Address, prefixLength: number): Ipv4Address {
  return (a | ~ipv4Netmask(prefixLength)) >>> 0;
}

/**
 * Whether `a` is a multicast (class D) address, 224.0.0.0/4 (RFC 5771).
 *
 * @param a The address.
 * @example
 * ```ts
 * import { isIpv4Multicast, parseIpv4Address } from '@libos/net';
 * isIpv4Multicast(parseIpv4Address('224.0.0.251')); // true
 * ```
 */
export function isIpv4Multicast(a: Ipv4Address): boolean {
  return a >>> 28 === 0xe;
}

/**
 * Whether `a` is the limited broadcast address 255.255.255.255.
 *
 * @param a The address.
 * @example
 * ```ts
 * import { isIpv4Broadcast, parseIpv4Address } from '@libos/net';
 * isIpv4Broadcast(parseIpv4Address('255.255.255.255')); // true
 * ```
 */
export function isIpv4Broadcast(a: Ipv4Address): boolean {
  return a >>> 0 === IPV4_BROADCAST;
}

/**
 * Whether `a` is the unspecified address 0.0.0.0.
 *
 * @param a The address.
 * @example
 * ```ts
 * import { isIpv4Unspecified } from '@libos/net';
 * isIpv4Unspecified(0); // true
 * ```
 */
export function isIpv4Unspecified(a: Ipv4Address): boolean {
  return a >>> 0 === IPV4_UNSPECIFIED;
}

/**
 * Whether `a` is a loopback address, 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g)).
 *
 * @param a The address.
 * @example
 * ```ts
 * import { isIpv4Loopback, parseIpv4Address } from '@libos/net';
 * isIpv4Loopback(parseIpv4Address('127.0.0.1')); // true
 * ```
 */
export function isIpv4Loopback(a: Ipv4Address): boolean {
  return a >>> 24 === 127;
}
