/**
 * UDP sockets (RFC 768) of a {@link Stack}: bind, send, receive with async iteration,
 * a bounded receive queue (UDP drops rather than blocks), and ICMP errors reported on
 * the next receive, as Linux does for connected sockets (RFC 1122 §4.1.3.3).
 */
import type { AbortSignalLike } from '@libos/sched';
import { waitInLine } from '../cancellable-wait.js';
import { formatIpv4Address, type Ipv4Address, parseIpv4Address } from '../wire/ipv4-address.js';
import { StackError, type StackErrorCode } from './stack-error.js';

/**
 * One received datagram. `data` is the socket's own copy.
 *
 * @example
 * ```ts
 * for await (const { data, address, port } of socket) await socket.send(data, address, port);
 * ```
 */
export interface UdpMessage {
  /** Payload bytes. */
  readonly data: Uint8Array;
  /** Sender's address. */
  readonly address: Ipv4Address;
  /** Sender's port. */
  readonly port: number;
  /** The address the datagram was sent to (ours, or a broadcast address). */
  readonly destination: Ipv4Address;
  /** The port the datagram was sent to (this socket's, or for an intercepting socket any). */
  readonly destinationPort: number;
}

/**
 * An address and port, e.g. the source an intercepting socket answers from.
 *
 * @example
 * ```ts
 * import type { UdpEndpoint } from '@libos/net';
 * const dns: UdpEndpoint = { address: 0x0a000203, port: 53 }; // 10.0.2.3:53
 * ```
 */
export interface UdpEndpoint {
  /** IPv4 address (uint32). */
  readonly address: Ipv4Address;
  /** Port, 1..65535. */
  readonly port: number;
}

/**
 * Options of `Stack.interceptUdp`.
 *
 * @example
 * ```ts
 * const nat = stack.interceptUdp({ receiveQueue: 256 });
 * ```
 */
export interface UdpInterceptOptions {
  /** Datagrams queued before new ones are dropped. Default 64. */
  readonly receiveQueue?: number;
}

/**
 * Options of {@link Stack.bindUdp}.
 *
 * @example
 * ```ts
 * const socket = stack.bindUdp({ port: 5353, receiveQueue: 128, broadcast: true });
 * ```
 */
export interface UdpBindOptions {
  /** Local port; 0 or omitted picks a free ephemeral port (49152–65535, RFC 6335). */
  readonly port?: number;
  /** Local address (dotted quad or uint32); omitted = any address of the stack. */
  readonly address?: string | Ipv4Address;
  /** Datagrams queued before new ones are dropped. Default 64. */
  readonly receiveQueue?: number;
  /** Allow sending to broadcast addresses (like SO_BROADCAST). Default false. */
  readonly broadcast?: boolean;
}

/**
 * What a {@link UdpSocket} needs from the stack that owns it. {@link Stack} implements it.
 *
 * @example
 * ```ts
 * import type { UdpSocketHost } from '@libos/net';
 * const sent: Uint8Array[] = [];
 * const host: UdpSocketHost = {
 *   sendUdp: async (_socket, data) => { sent.push(data.slice()); },
 *   releaseUdp: () => {},
 *   refuseUdp: () => {},
 * };
 * ```
 */
export interface UdpSocketHost {
  /** Sends `data` from `socket` to `address`:`port`. */
  sendUdp(
    socket: UdpSocket,
    data: Uint8Array,
    address: Ipv4Address,
    port: number,
    from?: UdpEndpoint,
  ): Promise<void>;
  /** Forgets a closed socket and frees its port. */
  releaseUdp(socket: UdpSocket): void;
  /** Answers an intercepted datagram with an ICMP "administratively prohibited" error. */
  refuseUdp(message: UdpMessage): void;
}

interface Waiter {
  resolve(message: UdpMessage | undefined): void;
  reject(error: StackError): void;
}

/**
 * A bound UDP socket. Receive with `for await`, {@link UdpSocket.receive} or
 * {@link UdpSocket.tryReceive}; send with {@link UdpSocket.send}.
 *
 * @example
 * ```ts
 * const socket = stack.bindUdp({ port: 7 });
 * for await (const message of socket) {
 *   await socket.send(message.data, message.address, message.port); // echo
 * }
 * ```
 */
export class UdpSocket implements AsyncIterable<UdpMessage> {
  /** Local port. */
  readonly port: number;
  /** Local address, or 0 for any. */
  readonly address: Ipv4Address;
  /** Whether sending to broadcast addresses is allowed. */
  readonly broadcast: boolean;
  /** Whether this is the stack's intercepting socket (`Stack.interceptUdp`). */
  readonly intercepting: boolean;
  /** Datagrams dropped because the receive queue was full. */
  droppedDatagrams = 0;
  readonly #host: UdpSocketHost;
  readonly #queue: UdpMessage[] = [];
  readonly #capacity: number;
  readonly #errors: StackError[] = [];
  readonly #waiters: Waiter[] = [];
  #closed = false;

  /** @internal Created by {@link Stack.bindUdp}. */
  constructor(
    host: UdpSocketHost,
    port: number,
    address: Ipv4Address,
    options: UdpBindOptions & { readonly intercepting?: boolean },
  ) {
    this.#host = host;
    this.port = port;
    this.address = address;
    this.broadcast = options.broadcast ?? false;
    this.intercepting = options.intercepting ?? false;
    this.#capacity = options.receiveQueue ?? 64;
  }

  /** Whether {@link UdpSocket.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Datagrams waiting to be received. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Sends one datagram. Resolves once the datagram is handed to the interface (which
   * may hold it while ARP resolves the next hop); waits while the interface's transmit
   * backlog is full.
   *
   * @throws {@link StackError} `EMSGSIZE` above 65,507 bytes, `ENETUNREACH` without a
   *   route, `EACCES` to a broadcast address without `broadcast`, `EBADF` after close.
   */
  send(data: Uint8Array, address: string | Ipv4Address, port: number): Promise<void> {
    if (this.intercepting) {
      return Promise.reject(new StackError('EINVAL', 'an intercepting socket sends with sendFrom'));
    }
    return this.#sendTo(data, address, port, undefined);
  }

  /**
   * Sends one datagram from `from` — any address and port, typically the destination of
   * a datagram it intercepted — as {@link UdpSocket.send} otherwise does. Only the
   * intercepting socket (`Stack.interceptUdp`) may do this.
   *
   * @param data Payload.
   * @param from Source address and port to put in the headers.
   * @param address Destination address.
   * @param port Destination port.
   * @throws {@link StackError} `EINVAL` on a socket that is not intercepting or for a bad
   *   source port, and as {@link UdpSocket.send}.
   */
  sendFrom(
    data: Uint8Array,
    from: UdpEndpoint,
    address: string | Ipv4Address,
    port: number,
  ): Promise<void> {
    if (!this.intercepting) {
      return Promise.reject(
        new StackError('EINVAL', 'only an intercepting socket sends from any address'),
      );
    }
    if (!Number.isInteger(from.port) || from.port < 1 || from.port > 65535) {
      return Promise.reject(
        new StackError('EINVAL', `source port ${from.port} is outside 1..65535`),
      );
    }
    return this.#sendTo(data, address, port, from);
  }

  /**
   * Answers an intercepted datagram with ICMP destination unreachable, "communication
   * administratively prohibited" (RFC 1812 §5.2.7.1, code 13), as a filtering router
   * does; rate-limited like every ICMP error of the stack. The sender's socket then
   * fails its next receive (`EHOSTUNREACH` on libos and Linux). Only the intercepting
   * socket (`Stack.interceptUdp`) may do this.
   *
   * @param message A datagram this socket received.
   * @throws {@link StackError} `EINVAL` on a socket that is not intercepting.
   */
  refuse(message: UdpMessage): void {
    if (!this.intercepting) {
      throw new StackError('EINVAL', 'only an intercepting socket refuses datagrams');
    }
    this.#host.refuseUdp(message);
  }

  #sendTo(
    data: Uint8Array,
    address: string | Ipv4Address,
    port: number,
    from: UdpEndpoint | undefined,
  ): Promise<void> {
    if (this.#closed) return Promise.reject(new StackError('EBADF', 'socket is closed'));
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return Promise.reject(new StackError('EINVAL', `port ${port} is outside 1..65535`));
    }
    let destination: Ipv4Address;
    try {
      destination = typeof address === 'string' ? parseIpv4Address(address) : address;
    } catch {
      return Promise.reject(new StackError('EINVAL', `not an IPv4 address: ${String(address)}`));
    }
    return this.#host.sendUdp(this, data, destination, port, from);
  }

  /**
   * The next datagram, waiting for one if none is queued. Rejects with a pending ICMP
   * error first (`ECONNREFUSED` for port unreachable, `EHOSTUNREACH`, `ENETUNREACH`,
   * `EMSGSIZE`), or with `EBADF` once closed. With `signal`, an abort rejects with
   * `ECANCELED` and gives up the place in line, so the next datagram goes to the next
   * receiver.
   */
  receive(signal?: AbortSignalLike): Promise<UdpMessage> {
    return this.#next(signal).then((message) => {
      if (message === undefined) throw new StackError('EBADF', 'socket is closed');
      return message;
    });
  }

  /** A queued datagram, or undefined without waiting. Throws a pending ICMP error. */
  tryReceive(): UdpMessage | undefined {
    const error = this.#errors.shift();
    if (error) throw error;
    return this.#queue.shift();
  }

  /** Iterates datagrams until the socket is closed; ICMP errors end it by throwing. */
  async *[Symbol.asyncIterator](): AsyncIterator<UdpMessage> {
    for (;;) {
      const message = await this.#next();
      if (message === undefined) return;
      yield message;
    }
  }

  /** Releases the port; pending receives end (iteration stops, `receive` rejects). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.releaseUdp(this);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
  }

  /** @internal Queues a received datagram (copied by the caller). */
  deliver(message: UdpMessage): boolean {
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(message);
      return true;
    }
    if (this.#queue.length >= this.#capacity) {
      this.droppedDatagrams++;
      return false;
    }
    this.#queue.push(message);
    return true;
  }

  /** @internal Reports an ICMP error for a datagram this socket sent. */
  deliverError(code: StackErrorCode, address: Ipv4Address, port: number, detail: string): void {
    const error = new StackError(code, `${formatIpv4Address(address)}:${port} ${detail}`);
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.reject(error);
      return;
    }
    // Like SO_ERROR, keep a few; older ones are superseded.
    if (this.#errors.length >= 4) this.#errors.shift();
    this.#errors.push(error);
  }

  #next(signal?: AbortSignalLike): Promise<UdpMessage | undefined> {
    const error = this.#errors.shift();
    if (error) return Promise.reject(error);
    const message = this.#queue.shift();
    if (message) return Promise.resolve(message);
    if (this.#closed) return Promise.resolve(undefined);
    if (signal?.aborted) return Promise.reject(new StackError('ECANCELED', 'receive aborted'));
    return waitInLine<UdpMessage | undefined, Waiter>(
      this.#waiters,
      signal,
      () => new StackError('ECANCELED', 'receive aborted'),
      (resolve, reject) => ({ resolve, reject }),
    );
  }
}
