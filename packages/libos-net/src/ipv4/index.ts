/**
 * Barrel of the IPv4 layer's data structures: ARP cache, fragment reassembler, routing
 * table and fragmentation planner.
 */
export {
  ArpCache,
  type ArpCacheEntry,
  ArpCacheError,
  type ArpCacheOptions,
} from './arp-cache.js';
export { FragmentationError, type FragmentPlan, planFragments } from './fragmenter.js';
export {
  type ExpiredDatagram,
  type FirstFragment,
  type FragmentKey,
  Ipv4Reassembler,
  type ReassemblerOptions,
  type ReassemblerStats,
  type ReassemblyDrop,
  ReassemblyError,
} from './reassembler.js';
export {
  Ipv4RoutingTable,
  type Route,
  type RouteSelector,
  RoutingError,
} from './routing-table.js';
