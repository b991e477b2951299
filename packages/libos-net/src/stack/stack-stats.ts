/**
 * Counters of one protocol layer, like a section of `netstat -s`: packets received
 * and sent, and drops keyed by reason (`'bad-checksum'`, `'no-socket'`, ...).
 *
 * @example
 * ```ts
 * import type { LayerStats } from '@libos/net';
 * function dropped(layer: LayerStats): number {
 *   return Object.values(layer.dropped).reduce((a, b) => a + b, 0);
 * }
 * ```
 */
export interface LayerStats {
  /** Packets this layer accepted from the layer below. */
  received: number;
  /** Packets this layer handed to the layer below. */
  sent: number;
  /** Packets dropped, by reason. A reason appears once it first happens. */
  readonly dropped: Record<string, number>;
}

/**
 * All counters of a {@link Stack}, per protocol.
 *
 * @example
 * ```ts
 * const { ipv4, udp } = stack.stats;
 * console.log(ipv4.received, udp.dropped['no-socket'] ?? 0);
 * ```
 */
export interface StackStats {
  /** Ethernet: frames in and out; drops such as `'not-for-us'`, `'unknown-ethertype'`. */
  readonly ethernet: LayerStats;
  /** ARP: requests and replies; drops such as `'off-subnet'`, `'non-unicast-sender'`. */
  readonly arp: LayerStats & {
    /** Replies or requests claiming one of our addresses from another station. */
    conflicts: number;
  };
  /** IPv4: packets; fragments; drops such as `'bad-checksum'`, `'reassembly-timeout'`. */
  readonly ipv4: LayerStats & {
    /** Fragments received. */
    fragmentsReceived: number;
    /** Datagrams completed by reassembly. */
    reassembled: number;
    /** Fragments sent (counted in `sent` too). */
    fragmentsSent: number;
  };
  /** ICMPv4: messages; errors sent and received. */
  readonly icmp: LayerStats & {
    /** Error messages (unreachable, time exceeded) sent. */
    errorsSent: number;
    /** Error messages received and matched to a socket or ping. */
    errorsDelivered: number;
  };
  /** UDP: datagrams; drops such as `'no-socket'`, `'receive-queue-full'`. */
  readonly udp: LayerStats;
}

function layer(): LayerStats {
  return { received: 0, sent: 0, dropped: {} };
}

/** @internal Fresh zeroed counters. */
export function createStackStats(): StackStats {
  return {
    ethernet: layer(),
    arp: { ...layer(), conflicts: 0 },
    ipv4: { ...layer(), fragmentsReceived: 0, reassembled: 0, fragmentsSent: 0 },
    icmp: { ...layer(), errorsSent: 0, errorsDelivered: 0 },
    udp: layer(),
  };
}

/** @internal Counts one drop. */
export function countDrop(stats: LayerStats, reason: string): void {
  stats.dropped[reason] = (stats.dropped[reason] ?? 0) + 1;
}

/**
 * Renders counters as text in the spirit of `netstat -s`: one section per protocol,
 * one line per counter, drops by reason.
 *
 * @example
 * ```ts
 * import { formatStackStats } from '@libos/net';
 * console.log(formatStackStats(stack.stats));
 * // Ip:
 * //     120 total packets received
 * //     ...
 * ```
 */
export function formatStackStats(stats: StackStats): string {
  const sections: [string, LayerStats, Record<string, number>][] = [
    ['Ethernet', stats.ethernet, {}],
    ['Arp', stats.arp, { conflicts: stats.arp.conflicts }],
    [
      'Ip',
      stats.ipv4,
      {
        'fragments received': stats.ipv4.fragmentsReceived,
        'datagrams reassembled': stats.ipv4.reassembled,
        'fragments sent': stats.ipv4.fragmentsSent,
      },
    ],
    [
      'Icmp',
      stats.icmp,
      { 'errors sent': stats.icmp.errorsSent, 'errors delivered': stats.icmp.errorsDelivered },
    ],
    ['Udp', stats.udp, {}],
  ];
  const lines: string[] = [];
  for (const [name, s, extra] of sections) {
    lines.push(`${name}:`, `    ${s.received} received`, `    ${s.sent} sent`);
    for (const [label, n] of Object.entries(extra)) lines.push(`    ${n} ${label}`);
    for (const [reason, n] of Object.entries(s.dropped)) lines.push(`    ${n} dropped: ${reason}`);
  }
  return lines.join('\n');
}
