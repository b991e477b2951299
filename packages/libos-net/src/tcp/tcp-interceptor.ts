/**
 * Transparent TCP (what Linux does with `IP_TRANSPARENT` and a TPROXY rule): a
 * {@link TcpInterceptor} receives the SYNs that no connection or listener of the layer
 * takes, whatever their destination address and port, and lets the application decide
 * each one before anything is answered: accept (SYN-ACK, then a {@link TcpStream}
 * whose local address and port are the original destination) or refuse (RST, so the
 * peer's connect fails with "connection refused"). The gateway of a user-mode network
 * uses it to splice a guest's outbound connections to host sockets.
 */
import type { AbortSignalLike } from '@libos/sched';
import type { Ipv4Address } from '../wire/ipv4-address.js';
import type { TcpRepr } from './tcp-segment.js';
import { TcpError, type TcpStream } from './tcp-stream.js';

/**
 * Options of {@link TcpLayer.intercept} (and `Stack.interceptTcp`).
 *
 * @example
 * ```ts
 * const interceptor = stack.interceptTcp({ backlog: 256 });
 * ```
 */
export interface TcpInterceptOptions {
  /**
   * Connection requests not yet accepted or refused, at most; SYNs beyond it are dropped
   * (the peer retransmits). Default 128.
   */
  readonly backlog?: number;
}

/** @internal What a request and an interceptor need from their layer. */
export interface TcpInterceptorHost {
  /** Sends SYN-ACK for `request`; resolves once ESTABLISHED. */
  acceptRequest(request: TcpConnectRequest, syn: TcpRepr): Promise<TcpStream>;
  /** Answers `request`'s SYN with RST. */
  refuseRequest(request: TcpConnectRequest, syn: TcpRepr): void;
  /** Forgets a closed interceptor. */
  releaseInterceptor(interceptor: TcpInterceptor): void;
}

/**
 * One intercepted SYN waiting for a decision. Nothing has been sent to the peer yet;
 * its retransmitted SYNs are absorbed until {@link TcpConnectRequest.accept} or
 * {@link TcpConnectRequest.refuse} is called.
 *
 * @example
 * ```ts
 * const request = await interceptor.nextRequest();
 * if (request.localPort !== 80) request.refuse();
 * else void serve(await request.accept());
 * ```
 */
export class TcpConnectRequest {
  /** The address the peer connects to (the original destination). */
  readonly localAddress: Ipv4Address;
  /** The port the peer connects to (the original destination port). */
  readonly localPort: number;
  /** The peer's address. */
  readonly remoteAddress: Ipv4Address;
  /** The peer's port. */
  readonly remotePort: number;
  readonly #host: TcpInterceptorHost;
  #syn: TcpRepr;
  #decided = false;

  /** @hidden Created by the {@link TcpLayer} for an intercepted SYN. */
  constructor(host: TcpInterceptorHost, syn: TcpRepr, local: Ipv4Address, remote: Ipv4Address) {
    this.#host = host;
    this.#syn = syn;
    this.localAddress = local;
    this.localPort = syn.destinationPort;
    this.remoteAddress = remote;
    this.remotePort = syn.sourcePort;
  }

  /** Whether {@link TcpConnectRequest.accept} or {@link TcpConnectRequest.refuse} was called. */
  get decided(): boolean {
    return this.#decided;
  }

  /**
   * Completes the handshake (SYN-ACK from the original destination) and resolves with
   * the connection once ESTABLISHED. Rejects with `EINVAL` when already decided, or
   * with the handshake's failure (`ECONNRESET`, `ETIMEDOUT`, `ENOBUFS`, ...).
   */
  accept(): Promise<TcpStream> {
    if (this.#decided) return Promise.reject(new TcpError('EINVAL', 'request already decided'));
    this.#decided = true;
    return this.#host.acceptRequest(this, this.#syn);
  }

  /** Answers the SYN with RST: the peer's connect fails with `ECONNREFUSED`. Idempotent. */
  refuse(): void {
    if (this.#decided) return;
    this.#decided = true;
    this.#host.refuseRequest(this, this.#syn);
  }

  /** @internal The peer retransmitted its SYN: answer the newest one. */
  updateSyn(syn: TcpRepr): void {
    this.#syn = syn;
  }
}

interface RequestWaiter {
  resolve(request: TcpConnectRequest): void;
  reject(error: TcpError): void;
  detach(): void;
}

/**
 * Receives the connection attempts no connection or listener takes, for any
 * destination address and port (see {@link TcpConnectRequest}). One per layer; made by
 * {@link TcpLayer.intercept} / `Stack.interceptTcp`, which also makes the stack accept
 * TCP segments addressed to other hosts.
 *
 * @example
 * ```ts
 * const interceptor = stack.interceptTcp();
 * for await (const request of interceptor) {
 *   console.log(`to ${formatIpv4Address(request.localAddress)}:${request.localPort}`);
 *   request.refuse();
 * }
 * ```
 */
export class TcpInterceptor implements AsyncIterable<TcpConnectRequest> {
  /** Most requests left undecided at once. */
  readonly backlog: number;
  readonly #host: TcpInterceptorHost;
  readonly #queue: TcpConnectRequest[] = [];
  readonly #waiters: RequestWaiter[] = [];
  #closed = false;

  /** @hidden Created by {@link TcpLayer.intercept}. */
  constructor(host: TcpInterceptorHost, options: TcpInterceptOptions) {
    const backlog = options.backlog ?? 128;
    if (!Number.isInteger(backlog) || backlog < 1) {
      throw new TcpError('EINVAL', `backlog must be a positive integer, got ${backlog}`);
    }
    this.#host = host;
    this.backlog = backlog;
  }

  /** Whether {@link TcpInterceptor.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Requests queued for {@link TcpInterceptor.nextRequest}. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * The next connection request, waiting for one if none is queued. Rejects with
   * `EINVAL` once closed, or `ECANCELED` on `signal`.
   *
   * @param signal Cancels the wait.
   */
  nextRequest(signal?: AbortSignalLike): Promise<TcpConnectRequest> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.reject(new TcpError('EINVAL', 'interceptor is closed'));
    if (signal?.aborted) return Promise.reject(new TcpError('ECANCELED', 'wait aborted'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new TcpError('ECANCELED', 'wait aborted'));
      };
      const waiter: RequestWaiter = {
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Iterates connection requests until the interceptor is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<TcpConnectRequest> {
    for (;;) {
      let request: TcpConnectRequest;
      try {
        request = await this.nextRequest();
      } catch (error) {
        if (this.#closed && this.#queue.length === 0) return;
        throw error;
      }
      yield request;
    }
  }

  /**
   * Stops intercepting: later SYNs for other hosts are dropped again (for local
   * addresses: RST), queued requests are refused, waits reject with `EINVAL`. Requests
   * already handed out may still be decided.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.releaseInterceptor(this);
    for (const request of this.#queue.splice(0)) request.refuse();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.detach();
      waiter.reject(new TcpError('EINVAL', 'interceptor is closed'));
    }
  }

  /**
   * @internal Whether one more undecided request fits.
   *
   * @param undecided Requests of the layer not yet accepted or refused.
   */
  hasRoom(undecided: number): boolean {
    return !this.#closed && undecided < this.backlog;
  }

  /** @internal A new request: to a waiter, or the queue. */
  offer(request: TcpConnectRequest): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.detach();
      waiter.resolve(request);
      return;
    }
    this.#queue.push(request);
  }
}
