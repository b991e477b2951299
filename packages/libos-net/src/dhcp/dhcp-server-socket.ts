/**
 * Runs a sans-IO {@link DhcpServer} on a libos {@link Stack}: a UDP socket on port 67
 * with broadcast enabled, each request handled and its reply sent.
 */

import type { Clock } from '@libos/sched';
import type { Stack } from '../stack/stack.js';
import type { UdpSocket } from '../stack/udp-socket.js';
import { DHCP_SERVER_PORT } from './dhcp-client.js';
import type { DhcpServer, DhcpServerOutcome } from './dhcp-server.js';

/**
 * Options of {@link serveDhcp}.
 *
 * @example
 * ```ts
 * import type { ServeDhcpOptions } from '@libos/net';
 * const options: ServeDhcpOptions = { stack, server, clock, onOutcome: (o) => console.log(o.action) };
 * ```
 */
export interface ServeDhcpOptions {
  /** The stack whose port 67 the server takes. */
  readonly stack: Stack;
  /** The server state machine. */
  readonly server: DhcpServer;
  /** The clock `now` is read from for each request. */
  readonly clock: Clock;
  /** Called with each outcome (for logging and tests). */
  readonly onOutcome?: (outcome: DhcpServerOutcome) => void;
}

/**
 * A running DHCP server: close it to release port 67.
 *
 * @example
 * ```ts
 * const running = serveDhcp({ stack, server, clock });
 * running.close();
 * await running.done;
 * ```
 */
export interface RunningDhcpServer {
  /** The UDP socket bound to port 67. */
  readonly socket: UdpSocket;
  /** Replies that could not be sent (no route, ARP failure, closed socket). */
  readonly sendFailures: number;
  /** Settles when the socket has closed and the loop ended. */
  readonly done: Promise<void>;
  /** Closes the socket; idempotent. */
  close(): void;
}

/**
 * Binds UDP port 67 on `stack` (with broadcast, RFC 2131 §4.1) and answers every request
 * with `server`. The loop runs while the stack is polled and ends on `close()`.
 *
 * @throws {@link StackError} `EADDRINUSE` when port 67 is taken.
 * @example
 * ```ts
 * import { DhcpServer, serveDhcp } from '@libos/net';
 * const server = new DhcpServer({ serverAddress: '10.0.2.2', prefixLength: 24, poolStart: '10.0.2.15' });
 * const running = serveDhcp({ stack: gateway, server, clock });
 * ```
 */
export function serveDhcp(options: ServeDhcpOptions): RunningDhcpServer {
  const { stack, server, clock, onOutcome } = options;
  const socket = stack.bindUdp({ port: DHCP_SERVER_PORT, broadcast: true });
  let sendFailures = 0;
  const loop = async (): Promise<void> => {
    while (!socket.closed) {
      let message: Awaited<ReturnType<UdpSocket['receive']>>;
      try {
        message = await socket.receive();
      } catch {
        // EBADF once closed ends the loop; an ICMP error about an earlier reply does not.
        continue;
      }
      const outcome = server.handle(
        message.data,
        { address: message.address, port: message.port },
        clock.now(),
      );
      onOutcome?.(outcome);
      if (!('reply' in outcome)) continue;
      const reply = outcome.reply;
      try {
        await socket.send(reply.payload, reply.destination, reply.destinationPort);
      } catch {
        sendFailures++;
      }
    }
  };
  const done = loop();
  return {
    socket,
    get sendFailures() {
      return sendFailures;
    },
    done,
    close: () => socket.close(),
  };
}
