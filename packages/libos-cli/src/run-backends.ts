import { resolve } from 'node:path';
import type { NetDevice } from '@libos/net';
import {
  type BoundHostForward,
  connectStreamFramePort,
  createUserNetwork,
  listenStreamFramePort,
  openDgramFramePort,
  type StreamAddress,
  type UserNetwork,
} from '@libos/net/node';
import type { BlockBackend } from '@libos/virtio';
import { FileBlockBackend } from '@libos/virtio/node';
import { CliError } from './cli-error.js';
import { PcapCapture } from './pcap-capture.js';
import type { DiskSpec, NetSpec } from './run-spec.js';

/** The host side of a `libos run`: NIC and disk backends in order, and how to close them. */
export interface RunBackends {
  /** One backend per `--net`, in order (recording to the capture with `--pcap`). */
  readonly net: readonly NetDevice[];
  /** One backend per `--disk`, in order. */
  readonly disks: readonly BlockBackend[];
  /** Every user network's forwards as bound (ephemeral ports resolved), in order. */
  readonly forwards: readonly BoundHostForward[];
  /** Closes networks, sockets and files, then flushes and closes the capture. */
  close(): Promise<void>;
}

/** What {@link openBackends} needs. */
export interface OpenBackendsOptions {
  /** The `--net` options, in order. */
  readonly net: readonly NetSpec[];
  /** The `--disk` options, in order. */
  readonly disks: readonly DiskSpec[];
  /** `--pcap`: the capture file. */
  readonly pcap?: string;
  /** Directory relative paths are resolved against. */
  readonly cwd: string;
  /** Progress lines for people (`waiting for a peer on …`). */
  readonly note: (line: string) => void;
  /** Aborted when the user interrupts (Ctrl-C) while a listener waits for its peer. */
  readonly signal?: AbortSignal;
}

function describeAddress(address: StreamAddress): string {
  return 'path' in address ? address.path : `${address.host ?? '127.0.0.1'}:${address.port}`;
}

function errorCode(e: unknown): string | undefined {
  let cause: unknown = e;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    cause = cause.cause;
  }
  return undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Opens the backends of `libos run`'s `--net`, `--disk` and `--pcap` options, in order.
 * If any fails, those already opened are closed before the {@link CliError} is thrown.
 *
 * @param options The parsed options.
 * @returns The backends.
 * @throws {@link CliError} `io` (a port in use, a socket refused), `not-found` (a disk
 * image or socket that does not exist).
 * @example
 * ```ts
 * const backends = await openBackends({
 *   net: [parseNetSpec('user,hostfwd=tcp::8080-:80')],
 *   disks: [parseDiskSpec('www.img,ro')],
 *   cwd: process.cwd(),
 *   note: (line) => console.log(line),
 * });
 * const host = nodeHost({ net: backends.net, disks: backends.disks, onClose: () => backends.close() });
 * ```
 */
export async function openBackends(options: OpenBackendsOptions): Promise<RunBackends> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Keep closing the rest.
      }
    }
  };
  const net: NetDevice[] = [];
  const disks: BlockBackend[] = [];
  const forwards: BoundHostForward[] = [];
  try {
    // The capture is closed last (registered first): the backends flush into it.
    const capture = options.pcap === undefined ? undefined : await openCapture(options);
    if (capture !== undefined) closers.push(() => capture.close());
    for (const [index, spec] of options.net.entries()) {
      const device = await openNet(spec, index, options, closers, forwards);
      net.push(capture === undefined ? device : capture.wrap(device));
    }
    for (const spec of options.disks) disks.push(await openDisk(spec, options.cwd, closers));
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { net, disks, forwards, close: closeAll };
}

async function openCapture(options: OpenBackendsOptions): Promise<PcapCapture> {
  const path = options.pcap ?? '';
  try {
    return await PcapCapture.open(resolve(options.cwd, path));
  } catch (e) {
    throw new CliError('io', `cannot write --pcap ${path}: ${message(e)}`);
  }
}

async function openNet(
  spec: NetSpec,
  index: number,
  options: OpenBackendsOptions,
  closers: (() => Promise<void>)[],
  forwards: BoundHostForward[],
): Promise<NetDevice> {
  const which = `--net ${spec.type} (NIC ${index})`;
  switch (spec.type) {
    case 'user': {
      let network: UserNetwork;
      try {
        network = await createUserNetwork({ hostForwards: spec.hostForwards });
      } catch (e) {
        throw new CliError('io', `${which}: ${message(e)}`);
      }
      closers.push(() => network.close());
      forwards.push(...network.forwards);
      return network.guestPort;
    }
    case 'stream': {
      const address: StreamAddress =
        'path' in spec.address
          ? { path: resolve(options.cwd, spec.address.path) }
          : { host: spec.address.host, port: spec.address.port };
      const where = describeAddress(address);
      if (!spec.server) {
        try {
          const port = await connectStreamFramePort(address);
          closers.push(() => port.close());
          return port;
        } catch (e) {
          const code = errorCode(e);
          throw new CliError(
            code === 'ENOENT' ? 'not-found' : 'io',
            code === 'ENOENT'
              ? `${which}: no socket at ${where} (start the server side first)`
              : code === 'ECONNREFUSED'
                ? `${which}: nothing listens on ${where} (start the server side first)`
                : `${which}: cannot connect to ${where}: ${message(e)}`,
          );
        }
      }
      let listener: Awaited<ReturnType<typeof listenStreamFramePort>>;
      try {
        listener = await listenStreamFramePort(address);
      } catch (e) {
        throw new CliError(
          'io',
          errorCode(e) === 'EADDRINUSE'
            ? `${which}: ${where} is already in use${'path' in address ? ' (remove the stale socket file?)' : ''}`
            : `${which}: cannot listen on ${where}: ${message(e)}`,
        );
      }
      const bound = describeAddress(listener.address);
      options.note(`libos: waiting for a stream peer on ${bound}`);
      const onAbort = (): void => void listener.close();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const port = await listener.accept();
        closers.push(() => port.close());
        options.note(`libos: stream peer connected on ${bound}`);
        return port;
      } catch (e) {
        throw new CliError(
          'io',
          options.signal?.aborted
            ? `${which}: interrupted while waiting for a peer on ${bound}`
            : `${which}: ${message(e)}`,
        );
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        await listener.close();
      }
    }
    case 'dgram': {
      try {
        const port = await openDgramFramePort({
          host: spec.host,
          localPort: spec.localPort,
          ...(spec.remotePort === undefined ? {} : { remotePort: spec.remotePort }),
        });
        closers.push(() => port.close());
        return port;
      } catch (e) {
        const inUse = errorCode(e) === 'EADDRINUSE';
        throw new CliError(
          'io',
          inUse
            ? `${which}: UDP port ${spec.host}:${spec.localPort} is already in use`
            : `${which}: cannot bind ${spec.host}:${spec.localPort}: ${message(e)}`,
        );
      }
    }
  }
}

async function openDisk(
  spec: DiskSpec,
  cwd: string,
  closers: (() => Promise<void>)[],
): Promise<BlockBackend> {
  let disk: FileBlockBackend;
  try {
    disk = await FileBlockBackend.open(resolve(cwd, spec.path), { readOnly: spec.readOnly });
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT') throw new CliError('not-found', `disk image not found: ${spec.path}`);
    if (code === 'EISDIR')
      throw new CliError('not-found', `disk image is a directory: ${spec.path}`);
    if (code === 'EACCES' || code === 'EROFS') {
      throw new CliError(
        'io',
        `cannot open disk image ${spec.path}${spec.readOnly ? '' : ' for writing (add ,ro?)'}: ${code}`,
      );
    }
    throw new CliError('io', `cannot open disk image ${spec.path}: ${message(e)}`);
  }
  closers.push(() => disk.close());
  return disk;
}
