/**
 * Where a guest's outbound traffic may go on the host: the address map of a user-mode
 * network (the gateway address stands for the host's own 127.0.0.1, as slirp's "host
 * loopback") and the `outbound` restriction.
 */
import { isIP } from 'node:net';
import { formatIpv4Address, type Ipv4Address } from '../../wire/ipv4-address.js';

/**
 * What outbound NAT lets a guest reach: `'all'` any IPv4 destination (the default),
 * `'loopback'` only the host itself (the gateway address, mapped to 127.0.0.1),
 * `'none'` nothing. A forbidden connection is refused with RST, a forbidden datagram is
 * answered with ICMP "administratively prohibited"; DHCP, the DNS relay (its upstream
 * must pass the restriction too, else the guest gets SERVFAIL) and host forwards still
 * work.
 *
 * @example
 * ```ts
 * import type { OutboundMode } from '@libos/net/node';
 * const sandboxed: OutboundMode = 'loopback';
 * ```
 */
export type OutboundMode = 'all' | 'loopback' | 'none';

/**
 * The outbound address map and restriction of one user-mode network.
 *
 * @example
 * ```ts
 * const policy = new OutboundPolicy('loopback', 0x0a000202);
 * policy.hostAddress(0x0a000202); // '127.0.0.1'
 * policy.hostAddress(0x0a000063); // undefined: 10.0.0.99 is not loopback
 * ```
 */
export class OutboundPolicy {
  /** The restriction. */
  readonly mode: OutboundMode;
  readonly #gateway: Ipv4Address;

  /**
   * @param mode The restriction.
   * @param gateway The gateway's address on the guest link (maps to 127.0.0.1).
   */
  constructor(mode: OutboundMode, gateway: Ipv4Address) {
    this.mode = mode;
    this.#gateway = gateway;
  }

  /**
   * The host address a guest destination maps to, or undefined when the restriction
   * forbids it.
   *
   * @param destination The destination the guest addressed.
   */
  hostAddress(destination: Ipv4Address): string | undefined {
    const mapped = destination === this.#gateway ? '127.0.0.1' : formatIpv4Address(destination);
    return this.allows(mapped) ? mapped : undefined;
  }

  /**
   * The guest-visible address of a host address (127.0.0.1 → the gateway), for
   * replies; the text as is otherwise.
   *
   * @param hostAddress An address a host socket talked to.
   */
  guestAddress(hostAddress: string): string {
    return hostAddress === '127.0.0.1' ? formatIpv4Address(this.#gateway) : hostAddress;
  }

  /**
   * Whether the host may contact `hostAddress` for the guest.
   *
   * @param hostAddress An IPv4 or IPv6 address as text.
   */
  allows(hostAddress: string): boolean {
    if (this.mode === 'none') return false;
    if (this.mode === 'all') return true;
    const family = isIP(hostAddress);
    if (family === 4) return hostAddress.startsWith('127.');
    return family === 6 && hostAddress === '::1';
  }
}
