/**
 * A UDP host port forward: a `node:dgram` socket on the host; datagrams from each host
 * peer go to the guest from a gateway UDP socket of their own, so the guest's replies
 * find their way back to that peer.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Stack } from '../../stack/stack.js';
import type { UdpSocket } from '../../stack/udp-socket.js';
import type { BoundHostForward, UserNetworkStats } from './host-forward.js';
import { bindError } from './listen-host.js';

/**
 * What a {@link UdpForward} needs from its network.
 *
 * @example
 * ```ts
 * const context: UdpForwardContext = { gateway, stats, wake: () => loop.wake(), maxPeers: 64 };
 * ```
 */
export interface UdpForwardContext {
  /** The gateway stack the datagrams are sent from. */
  readonly gateway: Stack;
  /** Counters to update. */
  readonly stats: UserNetworkStats;
  /** Asks the gateway loop to poll (after a datagram was queued). */
  readonly wake: () => void;
  /** Host peers tracked at once; the least recently active one is forgotten beyond it. */
  readonly maxPeers: number;
}

interface Peer {
  readonly address: string;
  readonly port: number;
  readonly socket: UdpSocket;
}

/**
 * One forwarded host UDP port. Each host peer (address and port) gets its own gateway
 * socket; at most `maxPeers` are kept, the least recently active closed first.
 *
 * @example
 * ```ts
 * const forward = await UdpForward.bind(rule, context);
 * console.log(forward.rule.hostPort);
 * await forward.close();
 * ```
 */
export class UdpForward {
  /** The rule as bound. */
  readonly rule: BoundHostForward;
  readonly #host: Socket;
  readonly #context: UdpForwardContext;
  /** Insertion order = recency (re-inserted on use). */
  readonly #peers = new Map<string, Peer>();
  #closed = false;

  private constructor(rule: BoundHostForward, host: Socket, context: UdpForwardContext) {
    this.rule = rule;
    this.#host = host;
    this.#context = context;
    host.on('message', (data, from) => this.#fromHost(data, from));
  }

  /**
   * Binds the rule's host address and port.
   *
   * @param rule The forward (hostPort 0 = ephemeral).
   * @param context The gateway, counters and wake-up.
   * @throws {@link UserNetworkError} `EADDRINUSE`, `EACCES` or `EINVAL` (rejects).
   */
  static bind(rule: BoundHostForward, context: UdpForwardContext): Promise<UdpForward> {
    const host = createSocket({ type: 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (error: unknown): void => {
        host.close();
        reject(bindError(error, rule));
      };
      host.once('error', onError);
      host.bind({ address: rule.hostAddress, port: rule.hostPort, exclusive: true }, () => {
        host.off('error', onError);
        host.on('error', () => {});
        resolve(new UdpForward({ ...rule, hostPort: host.address().port }, host, context));
      });
    });
  }

  /** Host peers currently tracked. */
  get peers(): number {
    return this.#peers.size;
  }

  /** Closes the host socket and every gateway socket; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const peer of this.#peers.values()) peer.socket.close();
    this.#peers.clear();
    await new Promise<void>((resolve) => this.#host.close(() => resolve()));
  }

  #fromHost(data: Buffer, from: RemoteInfo): void {
    if (this.#closed) return;
    const { stats, wake } = this.#context;
    const peer = this.#peer(from);
    if (!peer) {
      stats.udpDropped++;
      return;
    }
    stats.udpToGuest++;
    stats.bytesToGuest += data.length;
    peer.socket.send(data, this.rule.guestAddress, this.rule.guestPort).then(wake, () => {
      stats.udpDropped++;
    });
    wake();
  }

  #peer(from: RemoteInfo): Peer | undefined {
    const key = `${from.address}:${from.port}`;
    const known = this.#peers.get(key);
    if (known) {
      this.#peers.delete(key);
      this.#peers.set(key, known);
      return known;
    }
    if (this.#peers.size >= this.#context.maxPeers) {
      const [oldestKey, oldest] = this.#peers.entries().next().value as [string, Peer];
      this.#peers.delete(oldestKey);
      oldest.socket.close();
    }
    let socket: UdpSocket;
    try {
      socket = this.#context.gateway.bindUdp();
    } catch {
      return undefined;
    }
    const peer: Peer = { address: from.address, port: from.port, socket };
    this.#peers.set(key, peer);
    void this.#toHost(peer);
    return peer;
  }

  async #toHost(peer: Peer): Promise<void> {
    const { stats } = this.#context;
    while (!peer.socket.closed) {
      let message: Awaited<ReturnType<UdpSocket['receive']>>;
      try {
        message = await peer.socket.receive();
      } catch {
        // EBADF once closed ends the loop; an ICMP error (guest port closed) does not.
        continue;
      }
      if (this.#closed) return;
      stats.udpToHost++;
      stats.bytesToHost += message.data.length;
      this.#host.send(message.data, peer.port, peer.address);
    }
  }
}
