/**
 * Outbound NAT for UDP: the gateway intercepts every guest datagram that no gateway
 * socket takes (any destination); each guest flow (address and port) gets a host
 * `node:dgram` socket of its own that sends to the mapped destinations, and datagrams
 * coming back from a destination the flow sent to reach the guest from that original
 * destination. Flows close after `idleMs` without traffic; at most `maxFlows` are open,
 * the least recently used closed first. A destination the `outbound` restriction forbids
 * gets ICMP "administratively prohibited" back and no host socket.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Stack } from '../../stack/stack.js';
import type { UdpMessage, UdpSocket } from '../../stack/udp-socket.js';
import { type Ipv4Address, parseIpv4Address } from '../../wire/ipv4-address.js';
import type { UserNetworkStats } from './host-forward.js';
import type { OutboundPolicy } from './outbound-policy.js';

/** Destinations remembered per flow for filtering replies. */
const MAX_PEERS_PER_FLOW = 256;

/**
 * What a {@link UdpNat} needs from its network.
 *
 * @example
 * ```ts
 * const context: UdpNatContext = { gateway, stats, wake, policy, idleMs: 60_000, maxFlows: 256 };
 * ```
 */
export interface UdpNatContext {
  /** The gateway stack whose intercepting UDP socket is served. */
  readonly gateway: Stack;
  /** Counters to update. */
  readonly stats: UserNetworkStats;
  /** Asks the gateway loop to poll. */
  readonly wake: () => void;
  /** Address map and restriction. */
  readonly policy: OutboundPolicy;
  /** A flow without traffic either way for this long is closed (ms). */
  readonly idleMs: number;
  /** Most flows open at once. */
  readonly maxFlows: number;
}

interface Flow {
  readonly key: string;
  readonly guestAddress: Ipv4Address;
  readonly guestPort: number;
  readonly socket: Socket;
  /** `host:port` of every destination this flow sent to (replies only from these). */
  readonly peers: Set<string>;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Serves the gateway's intercepting UDP socket until closed.
 *
 * @example
 * ```ts
 * const nat = new UdpNat(context);
 * console.log(nat.flows);
 * nat.close();
 * ```
 */
export class UdpNat {
  readonly #context: UdpNatContext;
  readonly #socket: UdpSocket;
  /** Insertion order = recency (re-inserted on use). */
  readonly #flows = new Map<string, Flow>();
  #closed = false;

  /** @param context The gateway, counters, wake-up, policy and flow limits. */
  constructor(context: UdpNatContext) {
    this.#context = context;
    this.#socket = context.gateway.interceptUdp({ receiveQueue: 256 });
    void this.#serve();
  }

  /** Flows open right now. */
  get flows(): number {
    return this.#flows.size;
  }

  /** Stops intercepting and closes every flow's host socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    for (const flow of [...this.#flows.values()]) this.#closeFlow(flow);
  }

  async #serve(): Promise<void> {
    while (!this.#closed) {
      let message: UdpMessage;
      try {
        message = await this.#socket.receive();
      } catch {
        // EBADF once closed ends the loop; an ICMP error about a reply does not.
        continue;
      }
      this.#outbound(message);
    }
  }

  #outbound(message: UdpMessage): void {
    const { stats, policy } = this.#context;
    const host = policy.hostAddress(message.destination);
    if (host === undefined) {
      stats.natBlocked++;
      // Like a filtering router: ICMP "administratively prohibited" (rate-limited).
      this.#socket.refuse(message);
      this.#context.wake();
      return;
    }
    const flow = this.#flow(message.address, message.port);
    const peer = `${host}:${message.destinationPort}`;
    if (!flow.peers.has(peer)) {
      if (flow.peers.size >= MAX_PEERS_PER_FLOW) {
        flow.peers.delete(flow.peers.values().next().value as string);
      }
      flow.peers.add(peer);
    }
    flow.timer.refresh();
    stats.natUdpToHost++;
    stats.bytesToHost += message.data.length;
    flow.socket.send(message.data, message.destinationPort, host, (error) => {
      if (error) stats.natUdpDropped++;
    });
  }

  #flow(address: Ipv4Address, port: number): Flow {
    const key = `${address}:${port}`;
    const known = this.#flows.get(key);
    if (known) {
      this.#flows.delete(key);
      this.#flows.set(key, known);
      return known;
    }
    const { stats, policy, idleMs, maxFlows } = this.#context;
    if (this.#flows.size >= maxFlows) {
      const oldest = this.#flows.values().next().value as Flow;
      stats.natUdpEvicted++;
      this.#closeFlow(oldest);
    }
    const socket = createSocket({ type: 'udp4' });
    stats.hostSocketsOpened++;
    stats.natUdpFlows++;
    stats.natUdpActive++;
    const flow: Flow = {
      key,
      guestAddress: address,
      guestPort: port,
      socket,
      peers: new Set(),
      timer: setTimeout(() => {
        stats.natUdpExpired++;
        this.#closeFlow(flow);
      }, idleMs),
    };
    socket.on('error', () => {});
    socket.on('message', (data, from) => this.#inbound(flow, data, from));
    // Sends made before the bind completes are queued by node:dgram.
    socket.bind({ port: 0, ...(policy.mode === 'loopback' ? { address: '127.0.0.1' } : {}) });
    this.#flows.set(key, flow);
    return flow;
  }

  #inbound(flow: Flow, data: Buffer, from: RemoteInfo): void {
    const { stats, wake, policy } = this.#context;
    if (this.#closed || this.#flows.get(flow.key) !== flow) return;
    if (!flow.peers.has(`${from.address}:${from.port}`)) {
      // Only destinations the guest sent to may answer (address- and port-dependent filtering).
      stats.natUdpDropped++;
      return;
    }
    flow.timer.refresh();
    stats.natUdpToGuest++;
    stats.bytesToGuest += data.length;
    const source = {
      address: parseIpv4Address(policy.guestAddress(from.address)),
      port: from.port,
    };
    this.#socket.sendFrom(data, source, flow.guestAddress, flow.guestPort).then(wake, () => {
      stats.natUdpDropped++;
    });
    wake();
  }

  #closeFlow(flow: Flow): void {
    if (this.#flows.get(flow.key) !== flow) return;
    this.#flows.delete(flow.key);
    this.#context.stats.natUdpActive--;
    clearTimeout(flow.timer);
    flow.socket.close();
  }
}
