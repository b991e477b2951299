import { createConnection } from 'node:net';
import { FramePortError } from './frame-port-error.js';
import type { StreamAddress } from './stream-address.js';
import { DEFAULT_STREAM_HOST } from './stream-address.js';
import { StreamFramePort, type StreamFramePortOptions } from './stream-frame-port.js';

/**
 * Connects to a listening peer (e.g. QEMU started with
 * `-netdev stream,id=n0,server=on,addr.type=unix,addr.path=…`) and returns the port.
 *
 * @param address - unix socket path or TCP port (host default 127.0.0.1)
 * @param options - see {@link StreamFramePortOptions}
 * @throws {@link FramePortError} `SOCKET_ERROR` when the connection fails.
 * @example
 * ```ts
 * import { connectStreamFramePort } from '@libos/net/node';
 * const port = await connectStreamFramePort({ port: 5555 });
 * port.transmit(60, (frame) => frame.fill(0xff, 0, 6));
 * await port.close();
 * ```
 */
export function connectStreamFramePort(
  address: StreamAddress,
  options: StreamFramePortOptions = {},
): Promise<StreamFramePort> {
  return new Promise((resolve, reject) => {
    const socket =
      'path' in address
        ? createConnection({ path: address.path })
        : createConnection({ port: address.port, host: address.host ?? DEFAULT_STREAM_HOST });
    const onError = (e: Error): void => {
      socket.destroy();
      reject(new FramePortError('SOCKET_ERROR', `connect failed: ${e.message}`, e));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      try {
        resolve(new StreamFramePort(socket, options));
      } catch (e) {
        socket.destroy();
        reject(e);
      }
    });
  });
}
