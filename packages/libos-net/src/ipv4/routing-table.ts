/**
 * The IPv4 routing table: longest-prefix match over `network/prefixLength` routes
 * (RFC 1812 §5.2.4.3; RFC 1122 §3.3.1).
 */

/**
 * Thrown by {@link Ipv4RoutingTable} on an invalid route (`'EINVAL'`: prefix length not
 * 0..32, host bits set in the network, a non-uint32 address, a bad metric) or a route that
 * is already present with identical fields (`'EEXIST'`).
 *
 * @example
 * ```ts
 * import { Ipv4RoutingTable, RoutingError } from '@libos/net';
 * const table = new Ipv4RoutingTable();
 * try {
 *   table.add({ network: 0x0a000001, prefixLength: 24, interfaceId: 0 }); // host bits set
 * } catch (e) {
 *   if (e instanceof RoutingError) console.log(e.code); // 'EINVAL'
 * }
 * ```
 */
export class RoutingError extends Error {
  /** Stable error code. */
  readonly code: 'EINVAL' | 'EEXIST';
  /**
   * @param code - the stable code
   * @param message - a human-readable explanation
   */
  constructor(code: 'EINVAL' | 'EEXIST', message: string) {
    super(message);
    this.code = code;
    this.name = 'RoutingError';
  }
}

/**
 * A route: destinations within `network/prefixLength` go out of `interfaceId`, to
 * `gateway` if given, otherwise directly to the destination (on-link).
 *
 * @example
 * ```ts
 * import type { Route } from '@libos/net';
 * const defaultRoute: Route = { network: 0, prefixLength: 0, gateway: 0x0a000202, interfaceId: 'eth0' };
 * ```
 */
export interface Route {
  /** Network address as uint32, with all host bits zero. */
  readonly network: number;
  /** Prefix length, 0..32 (0 is the default route). */
  readonly prefixLength: number;
  /** Next-hop IPv4 address as uint32; absent for an on-link route. */
  readonly gateway?: number;
  /** The interface the route leaves by. */
  readonly interfaceId: number | string;
  /** Preference among routes of equal prefix length: lower wins; default 0. */
  readonly metric?: number;
}

/**
 * What {@link Ipv4RoutingTable.remove} matches: the prefix, and optionally the other fields.
 *
 * @example
 * ```ts
 * import type { RouteSelector } from '@libos/net';
 * const viaEth1: RouteSelector = { network: 0, prefixLength: 0, interfaceId: 'eth1' };
 * ```
 */
export interface RouteSelector {
  /** Network address as uint32. */
  readonly network: number;
  /** Prefix length, 0..32. */
  readonly prefixLength: number;
  /** If given, only routes with this gateway (IPv4 address as uint32). */
  readonly gateway?: number;
  /** If given, only routes through this interface. */
  readonly interfaceId?: number | string;
  /** If given, only routes with this metric. */
  readonly metric?: number;
}

interface Entry {
  readonly route: Route;
  readonly metric: number;
  readonly order: number;
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/** The netmask of a prefix length as uint32 (`/0` → 0, `/32` → 0xffffffff). */
function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffff_ffff << (32 - prefixLength)) >>> 0;
}

function sameRoute(a: Route, b: Route): boolean {
  return (
    a.network === b.network &&
    a.prefixLength === b.prefixLength &&
    a.gateway === b.gateway &&
    a.interfaceId === b.interfaceId &&
    (a.metric ?? 0) === (b.metric ?? 0)
  );
}

/**
 * An IPv4 routing table with longest-prefix match. Routes are kept in one `Map` per prefix
 * length (network → routes), so a lookup costs one map probe per prefix length in use.
 * Among routes with the same prefix, the lowest metric wins, then the earliest added.
 *
 * @example
 * ```ts
 * import { Ipv4RoutingTable } from '@libos/net';
 * const table = new Ipv4RoutingTable();
 * table.add({ network: 0x0a000200, prefixLength: 24, interfaceId: 'eth0' }); // 10.0.2.0/24
 * table.add({ network: 0, prefixLength: 0, gateway: 0x0a000202, interfaceId: 'eth0' }); // default
 * table.lookup(0x0a000205); // the /24, on-link
 * table.lookup(0x08080808); // the default route, via 10.0.2.2
 * ```
 */
export class Ipv4RoutingTable {
  /** Index = prefix length; each map: network → entries sorted by (metric, order). */
  readonly #byLength: Array<Map<number, Entry[]> | undefined> = new Array(33).fill(undefined);
  /** Prefix lengths in use, longest first. */
  #lengths: number[] = [];
  #count = 0;
  #nextOrder = 0;

  /** Number of routes. */
  get size(): number {
    return this.#count;
  }

  /**
   * Adds a route (stored as a frozen copy).
   *
   * @param route - the route to add
   * @returns the stored route (what {@link Ipv4RoutingTable.lookup} will return)
   * @throws {@link RoutingError} `'EINVAL'` for an invalid route, `'EEXIST'` if an identical
   * route is present
   */
  add(route: Route): Route {
    const { network, prefixLength, gateway, interfaceId } = route;
    const metric = route.metric ?? 0;
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
      throw new RoutingError('EINVAL', `prefix length must be 0..32, got ${prefixLength}`);
    }
    if (!isUint32(network)) {
      throw new RoutingError('EINVAL', `network is not an IPv4 address as uint32: ${network}`);
    }
    if ((network & ~maskOf(prefixLength)) >>> 0 !== 0) {
      throw new RoutingError('EINVAL', `host bits set in network for a /${prefixLength} route`);
    }
    if (gateway !== undefined && !isUint32(gateway)) {
      throw new RoutingError('EINVAL', `gateway is not an IPv4 address as uint32: ${gateway}`);
    }
    if (!Number.isSafeInteger(metric) || metric < 0) {
      throw new RoutingError('EINVAL', `metric must be a non-negative integer, got ${metric}`);
    }
    if (typeof interfaceId !== 'number' && typeof interfaceId !== 'string') {
      throw new RoutingError('EINVAL', 'interfaceId must be a number or a string');
    }
    const stored: Route = Object.freeze(
      gateway === undefined
        ? { network, prefixLength, interfaceId, metric }
        : { network, prefixLength, gateway, interfaceId, metric },
    );
    let map = this.#byLength[prefixLength];
    if (map === undefined) {
      map = new Map();
      this.#byLength[prefixLength] = map;
      this.#lengths.push(prefixLength);
      this.#lengths.sort((a, b) => b - a);
    }
    let list = map.get(network);
    if (list === undefined) {
      list = [];
      map.set(network, list);
    }
    if (list.some((e) => sameRoute(e.route, stored))) {
      throw new RoutingError('EEXIST', 'an identical route is already present');
    }
    const entry: Entry = { route: stored, metric, order: this.#nextOrder++ };
    // Keep (metric, order) order: insert after every entry with metric ≤ this one.
    let at = list.length;
    while (at > 0 && list[at - 1]!.metric > metric) at--;
    list.splice(at, 0, entry);
    this.#count++;
    return stored;
  }

  /**
   * Removes every route with the selector's prefix whose other given fields match.
   *
   * @param selector - prefix, and optionally gateway, interface and metric to match
   * @returns how many routes were removed
   */
  remove(selector: RouteSelector): number {
    const map = this.#byLength[selector.prefixLength];
    const list = map?.get(selector.network);
    if (map === undefined || list === undefined) return 0;
    const kept = list.filter(
      (e) =>
        !(
          ('gateway' in selector ? e.route.gateway === selector.gateway : true) &&
          (selector.interfaceId === undefined || e.route.interfaceId === selector.interfaceId) &&
          (selector.metric === undefined || e.metric === selector.metric)
        ),
    );
    const removed = list.length - kept.length;
    if (removed === 0) return 0;
    this.#count -= removed;
    if (kept.length > 0) map.set(selector.network, kept);
    else map.delete(selector.network);
    if (map.size === 0) {
      this.#byLength[selector.prefixLength] = undefined;
      this.#lengths = this.#lengths.filter((l) => l !== selector.prefixLength);
    }
    return removed;
  }

  /**
   * Removes every route through `interfaceId` (e.g. when the link goes down).
   *
   * @param interfaceId - the interface
   * @returns how many routes were removed
   */
  removeInterface(interfaceId: number | string): number {
    let removed = 0;
    for (const route of this.routes()) {
      if (route.interfaceId === interfaceId) removed += this.remove(route);
    }
    return removed;
  }

  /**
   * The best route to `destination`: longest prefix, then lowest metric, then the earliest
   * added; `undefined` when no route (not even a default route) covers it.
   *
   * @param destination - IPv4 address as uint32 (an int32 is normalised with `>>> 0`)
   */
  lookup(destination: number): Route | undefined {
    const lengths = this.#lengths;
    for (let i = 0; i < lengths.length; i++) {
      const length = lengths[i]!;
      const list = this.#byLength[length]!.get((destination & maskOf(length)) >>> 0);
      if (list !== undefined) return list[0]!.route;
    }
    return undefined;
  }

  /** Every route, in the order they were added. */
  routes(): Route[] {
    const all: Entry[] = [];
    for (const map of this.#byLength) {
      if (map === undefined) continue;
      for (const list of map.values()) all.push(...list);
    }
    all.sort((a, b) => a.order - b.order);
    return all.map((e) => e.route);
  }

  /** Removes every route. */
  clear(): void {
    this.#byLength.fill(undefined);
    this.#lengths = [];
    this.#count = 0;
  }
}
