/**
 * Copies one TCP connection's bytes between a host `node:net` socket and a libos
 * {@link TcpStream} of the gateway stack, with back-pressure, half-close and resets
 * carried across. Used by host port forwards (host → guest) and by outbound NAT
 * (guest → host) alike.
 */
import type { Socket } from 'node:net';
import type { TcpStream } from '../../tcp/tcp-stream.js';
import type { UserNetworkStats } from './host-forward.js';

const READ_CHUNK = 65_536;

/**
 * How a splice ended: `clean` after FIN both ways, `guest-reset` when the guest's side
 * failed (RST, timeout), `host-closed` when the host socket errored or closed early,
 * `dropped` when its owner ended it.
 *
 * @example
 * ```ts
 * const onEnd = (how: SpliceEnd) => { if (how === 'guest-reset') stats.tcpReset++; };
 * ```
 */
export type SpliceEnd = 'clean' | 'guest-reset' | 'host-closed' | 'dropped';

/**
 * What a {@link TcpSplice} needs from its owner.
 *
 * @example
 * ```ts
 * const hooks: SpliceHooks = { stats, wake: () => loop.wake(), onEnd: (s, how) => splices.delete(s) };
 * ```
 */
export interface SpliceHooks {
  /** Byte counters (`bytesToGuest`, `bytesToHost`). */
  readonly stats: UserNetworkStats;
  /** Asks the gateway loop to poll (after TCP was given work). */
  readonly wake: () => void;
  /** Called once when the splice ends, after both sides were closed or reset. */
  readonly onEnd: (splice: TcpSplice, how: SpliceEnd) => void;
}

/**
 * One host socket spliced to one gateway TCP connection.
 *
 * Mapping: host data → `stream.write` (the host socket is paused until TCP took it);
 * host FIN → `stream.end()`; guest data → `socket.write` (reading pauses until
 * `'drain'`); guest FIN → `socket.end()`; guest RST or timeout → the host socket is
 * reset; a host socket error or early close → the guest connection is aborted (RST).
 *
 * @example
 * ```ts
 * const splice = new TcpSplice(socket, hooks);
 * splice.start(await gateway.connectTcp({ address: '10.0.2.15', port: 80 }));
 * ```
 */
export class TcpSplice {
  /** The host socket (paused until {@link TcpSplice.start}). */
  readonly socket: Socket;
  readonly #hooks: SpliceHooks;
  #stream: TcpStream | undefined;
  #hostEnded = false;
  #guestEnded = false;
  #ended = false;

  /**
   * @param socket The host socket; errors and close end the splice from now on.
   * @param hooks Counters, wake-up and the end callback.
   */
  constructor(socket: Socket, hooks: SpliceHooks) {
    this.socket = socket;
    this.#hooks = hooks;
    socket.on('error', () => this.#end('host-closed', true));
    socket.on('close', () => this.#end(this.#clean() ? 'clean' : 'host-closed', !this.#clean()));
  }

  /** Whether the splice has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Whether {@link TcpSplice.start} attached a guest connection (before or after the end). */
  get started(): boolean {
    return this.#stream !== undefined;
  }

  /**
   * Starts copying between the socket and `stream` (an established connection).
   *
   * @param stream The gateway's side of the guest connection.
   */
  start(stream: TcpStream): void {
    if (this.#ended) {
      stream.abort();
      this.#hooks.wake();
      return;
    }
    this.#stream = stream;
    stream.setNoDelay(true);
    this.#hostToGuest(stream);
    void this.#guestToHost(stream);
    this.socket.resume();
  }

  /** Ends the splice now: both sides are reset unless FIN went both ways. Idempotent. */
  drop(): void {
    this.#end('dropped', true);
  }

  #clean(): boolean {
    return this.#hostEnded && this.#guestEnded;
  }

  #hostToGuest(stream: TcpStream): void {
    const { socket } = this;
    const { stats, wake } = this.#hooks;
    socket.on('data', (chunk: Buffer) => {
      socket.pause();
      stats.bytesToGuest += chunk.length;
      stream.write(chunk).then(
        () => {
          wake();
          if (!socket.destroyed) socket.resume();
        },
        () => this.#end('guest-reset', true),
      );
      wake();
    });
    socket.on('end', () => {
      this.#hostEnded = true;
      // Host FIN → guest FIN after the data already queued.
      stream.end().then(wake, () => {});
      wake();
    });
  }

  async #guestToHost(stream: TcpStream): Promise<void> {
    const { socket } = this;
    const { stats, wake } = this.#hooks;
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await stream.read(READ_CHUNK);
      } catch {
        // Guest RST (or a timeout): reset the host side too.
        this.#end('guest-reset', true);
        return;
      }
      wake();
      if (socket.destroyed) return;
      if (chunk === null) {
        // Guest FIN → host FIN; the socket closes once the host has ended too.
        this.#guestEnded = true;
        socket.end();
        return;
      }
      stats.bytesToHost += chunk.length;
      if (!socket.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.on('drain', done);
          socket.on('close', done);
        });
      }
    }
  }

  /**
   * After FINs both ways nothing is reset (the guest connection finishes its close on
   * its own); otherwise both sides are reset, as a kernel resets a connection whose
   * socket went away with data in flight.
   */
  #end(how: SpliceEnd, reset: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    const { socket } = this;
    const stream = this.#stream;
    const abort = reset && !this.#clean();
    if (stream !== undefined) {
      if (abort) stream.abort();
      this.#hooks.wake();
    }
    if (!socket.destroyed) {
      // Never reset a socket we already ended: while its shutdown request is pending
      // libuv refuses the reset (EINVAL) and node (20.x) then never finishes that
      // request, so the process spins at 100% CPU in its exit cleanup instead of
      // exiting. Our FIN is out; a plain close is all that is left to do.
      if (!abort || socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    this.#hooks.onEnd(this, how);
  }
}
