import { createSocket, type Socket } from 'node:dgram';
import type { FrameFiller } from '../net-device.js';
import { FramePortError } from './frame-port-error.js';
import {
  ETHERNET_HEADER_BYTES,
  HostFramePort,
  type HostFramePortOptions,
} from './host-frame-port.js';

/**
 * Options of {@link openDgramFramePort}.
 *
 * @example
 * ```ts
 * import type { DgramFramePortOptions } from '@libos/net/node';
 * const options: DgramFramePortOptions = { localPort: 0, remotePort: 10_000 };
 * ```
 */
export interface DgramFramePortOptions extends HostFramePortOptions {
  /** UDP port to bind on `host`; 0 (default) picks a free one (see `localPort`). */
  readonly localPort?: number;
  /**
   * UDP port of the peer on `host`. Without it the port learns the peer from the first
   * datagram it receives and refuses to transmit until then.
   */
  readonly remotePort?: number;
  /** Address bound and sent to; default `127.0.0.1`. */
  readonly host?: string;
  /** Datagrams handed to the OS but not yet reported sent before `transmit` says no. Default 64. */
  readonly maxInFlight?: number;
}

/**
 * A {@link NetDevice} over UDP, one Ethernet frame per datagram — the framing of QEMU's
 * `-netdev dgram` (and `-netdev socket,udp=…`). Datagrams from any source other than
 * the peer are ignored. UDP has no flow control, so a full receive queue drops (and
 * counts) frames, and `transmit` says no while `maxInFlight` datagrams are unsent.
 *
 * @example
 * ```ts
 * import { openDgramFramePort } from '@libos/net/node';
 * const port = await openDgramFramePort({ remotePort: 10_001 });
 * // qemu ... -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=10001,
 * //              remote.type=inet,remote.host=127.0.0.1,remote.port=<port.localPort>
 * await port.waitForFrame(1000);
 * ```
 */
export class DgramFramePort extends HostFramePort {
  /** The bound local UDP port. */
  readonly localPort: number;
  readonly #socket: Socket;
  readonly #host: string;
  readonly #maxInFlight: number;
  #remotePort: number | undefined;
  #inFlight = 0;
  #closing: Promise<void> | undefined;
  readonly #sent = (): void => {
    this.#inFlight--;
  };

  /**
   * Wraps a bound UDP socket. Prefer {@link openDgramFramePort}.
   *
   * @param socket - a bound `udp4`/`udp6` socket; the port owns it from now on
   * @param options - see {@link DgramFramePortOptions}
   */
  constructor(socket: Socket, options: DgramFramePortOptions = {}) {
    super(options);
    this.#socket = socket;
    this.#host = options.host ?? '127.0.0.1';
    this.#remotePort = options.remotePort;
    this.#maxInFlight = options.maxInFlight ?? 64;
    if (!Number.isInteger(this.#maxInFlight) || this.#maxInFlight < 1) {
      throw new FramePortError('BAD_OPTION', 'maxInFlight must be a positive integer');
    }
    this.localPort = socket.address().port;
    socket.on('message', (message, remote) => {
      if (this.isClosed || remote.address !== this.#host) return;
      if (this.#remotePort === undefined) this.#remotePort = remote.port;
      else if (remote.port !== this.#remotePort) return;
      if (message.length > this.maxReceiveLength) {
        this.stats.receiveDropped++;
        return;
      }
      // Receivers get plain Uint8Array views: Buffer#slice would not copy.
      const frame = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      if (!this.enqueue(frame)) this.stats.receiveDropped++;
    });
    socket.on('error', (e) => {
      this.markClosed(new FramePortError('SOCKET_ERROR', e.message, e));
      socket.close();
    });
    socket.on('close', () => this.markClosed());
  }

  /** The peer's UDP port, once known. */
  get remotePort(): number | undefined {
    return this.#remotePort;
  }

  /**
   * Sets (or changes) the peer's UDP port, e.g. once the peer has been started.
   *
   * @param port - the peer's UDP port on `host`
   */
  setRemotePort(port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new FramePortError('BAD_OPTION', `not a UDP port: ${port}`);
    }
    this.#remotePort = port;
  }

  /** {@inheritDoc NetDevice.transmit} */
  transmit(length: number, fill: FrameFiller): boolean {
    const remotePort = this.#remotePort;
    if (
      this.isClosed ||
      this.#closing !== undefined ||
      remotePort === undefined ||
      length < ETHERNET_HEADER_BYTES ||
      length > this.maxTransmitLength ||
      this.#inFlight >= this.#maxInFlight
    ) {
      this.stats.transmitRefused++;
      return false;
    }
    // The OS may send after this call returns, so each datagram needs its own buffer.
    const datagram = new Uint8Array(length);
    fill(datagram);
    this.#inFlight++;
    this.#socket.send(datagram, remotePort, this.#host, this.#sent);
    this.stats.framesTransmitted++;
    this.stats.bytesTransmitted += length;
    return true;
  }

  /** Closes the socket. Frames already received stay receivable. Idempotent. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = this.closed;
      try {
        this.#socket.close();
      } catch {
        this.markClosed(); // already closed by an error
      }
    }
    return this.#closing;
  }
}

/**
 * Binds a UDP socket on 127.0.0.1 (or `options.host`) and returns a frame port that
 * exchanges one Ethernet frame per datagram with the peer at `options.remotePort`.
 *
 * @param options - see {@link DgramFramePortOptions}
 * @throws {@link FramePortError} `SOCKET_ERROR` when binding fails.
 * @example
 * ```ts
 * import { openDgramFramePort } from '@libos/net/node';
 * const a = await openDgramFramePort();
 * const b = await openDgramFramePort({ remotePort: a.localPort });
 * b.transmit(60, (frame) => frame.fill(0xff, 0, 6)); // a learns b's port from this
 * ```
 */
export function openDgramFramePort(options: DgramFramePortOptions = {}): Promise<DgramFramePort> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const onError = (e: Error): void => {
      socket.close();
      reject(new FramePortError('SOCKET_ERROR', `bind failed: ${e.message}`, e));
    };
    socket.once('error', onError);
    socket.bind(options.localPort ?? 0, host, () => {
      socket.off('error', onError);
      try {
        resolve(new DgramFramePort(socket, options));
      } catch (e) {
        socket.close();
        reject(e);
      }
    });
  });
}
