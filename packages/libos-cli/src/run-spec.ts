import { CliError } from './cli-error.js';

/**
 * One host port forwarded into the guest by a `--net user` network, as QEMU writes it:
 * `hostfwd=tcp:127.0.0.1:8080-:80` (protocol `tcp` or `udp`, default `tcp`; host address
 * default `127.0.0.1`; host port 0 picks a free one; guest address default the DHCP
 * address).
 *
 * @example
 * ```ts
 * import type { HostForwardSpec } from '@libos/cli';
 * const web: HostForwardSpec = { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 };
 * ```
 */
export interface HostForwardSpec {
  /** `tcp` or `udp`. */
  readonly protocol: 'tcp' | 'udp';
  /** Host address to listen on. */
  readonly hostAddress: string;
  /** Host port; 0 picks a free one. */
  readonly hostPort: number;
  /** Guest address, when given (default: the address the guest gets by DHCP). */
  readonly guestAddress?: string;
  /** Guest port. */
  readonly guestPort: number;
}

/**
 * Where a `--net stream` backend connects or listens: a unix socket path, or a TCP
 * address and port (0 with `server`: any free port).
 *
 * @example
 * ```ts
 * import type { StreamSocketAddress } from '@libos/cli';
 * const unix: StreamSocketAddress = { path: '/tmp/n0.sock' };
 * const tcp: StreamSocketAddress = { host: '127.0.0.1', port: 5555 };
 * ```
 */
export type StreamSocketAddress =
  | {
      /** Path of the unix domain socket. */
      readonly path: string;
    }
  | {
      /** IPv4 address. */
      readonly host: string;
      /** TCP port. */
      readonly port: number;
    };

/**
 * A `--net` option of `libos run`, parsed: the backend of one NIC.
 *
 * - `user`: a user-mode network (DHCP, host port forwards; `createUserNetwork` from
 *   `@libos/net/node`);
 * - `stream`: QEMU's `-netdev stream` framing over a unix socket (`path`) or TCP
 *   (`host`, `port`), connecting to a peer or, with `server`, waiting for one;
 * - `dgram`: QEMU's `-netdev dgram`, one frame per UDP datagram between `local` and
 *   `remote` (without `remote`, the peer is learnt from the first datagram).
 *
 * @example
 * ```ts
 * import type { NetSpec } from '@libos/cli';
 * const nets: NetSpec[] = [
 *   { type: 'user', hostForwards: [] },
 *   { type: 'stream', address: { path: '/tmp/n0.sock' }, server: true },
 *   { type: 'dgram', host: '127.0.0.1', localPort: 10000, remotePort: 10001 },
 * ];
 * ```
 */
export type NetSpec =
  | {
      /** User-mode networking. */
      readonly type: 'user';
      /** Host ports forwarded into the guest, in order. */
      readonly hostForwards: readonly HostForwardSpec[];
    }
  | {
      /** Stream framing over a socket. */
      readonly type: 'stream';
      /** A unix socket path, or a TCP host and port. */
      readonly address: StreamSocketAddress;
      /** Listen and wait for the peer instead of connecting. */
      readonly server: boolean;
    }
  | {
      /** One frame per UDP datagram. */
      readonly type: 'dgram';
      /** Address bound and sent to. */
      readonly host: string;
      /** Local UDP port (0: any free one). */
      readonly localPort: number;
      /** The peer's UDP port, when known. */
      readonly remotePort?: number;
    };

/**
 * A `--disk` option of `libos run`, parsed: a disk image file, read-write unless `ro`.
 *
 * @example
 * ```ts
 * import type { DiskSpec } from '@libos/cli';
 * const disk: DiskSpec = { path: 'www.img', readOnly: true };
 * ```
 */
export interface DiskSpec {
  /** The image file, as given. */
  readonly path: string;
  /** Open it read-only. */
  readonly readOnly: boolean;
}

const NET_TYPES = ['user', 'stream', 'dgram'] as const;

function usage(message: string): CliError {
  return new CliError('usage', message);
}

/** `key=value` options after the type, in order; a bare `key` has value `undefined`. */
function options(text: string, flag: string): { type: string; pairs: [string, string?][] } {
  const [type = '', ...rest] = text.split(',');
  const pairs = rest.map((part): [string, string?] => {
    if (part === '') throw usage(`bad ${flag} ${JSON.stringify(text)}: empty option`);
    const eq = part.indexOf('=');
    return eq < 0 ? [part] : [part.slice(0, eq), part.slice(eq + 1)];
  });
  return { type, pairs };
}

function parsePort(text: string | undefined, what: string, allowZero: boolean): number {
  const port = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw usage(`bad ${what} ${JSON.stringify(text ?? '')}: expected a port number`);
  }
  return port;
}

function parseIpv4(text: string, what: string): string {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    throw usage(`bad ${what} ${JSON.stringify(text)}: expected an IPv4 address`);
  }
  return text;
}

/** `ADDR:PORT` with both parts required. */
function parseEndpoint(text: string, what: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw usage(`bad ${what} ${JSON.stringify(text)}: expected ADDRESS:PORT`);
  return {
    host: parseIpv4(text.slice(0, colon), what),
    port: parsePort(text.slice(colon + 1), what, true),
  };
}

/**
 * Parses one QEMU-style host forward, the value of `hostfwd=`:
 * `[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport`.
 *
 * @param text e.g. `tcp:127.0.0.1:8080-:80`, `udp::5353-:53`, `tcp::0-10.0.2.15:80`
 * @returns the forward, with defaults filled in
 * @throws {@link CliError} `usage` when it does not parse
 * @example
 * ```ts
 * import { parseHostForward } from '@libos/cli';
 * parseHostForward('tcp:127.0.0.1:8080-:80');
 * // { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }
 * ```
 */
export function parseHostForward(text: string): HostForwardSpec {
  const match = /^(tcp|udp)?:([^:-]*):(\d*)-([^:]*):(\d*)$/.exec(text);
  if (match === null) {
    throw usage(
      `bad hostfwd ${JSON.stringify(text)}: expected tcp:HOSTADDR:HOSTPORT-[GUESTADDR]:GUESTPORT (e.g. tcp:127.0.0.1:8080-:80)`,
    );
  }
  const [, protocol = 'tcp', hostAddress, hostPort, guestAddress, guestPort] = match;
  return {
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    hostAddress: hostAddress ? parseIpv4(hostAddress, 'hostfwd host address') : '127.0.0.1',
    hostPort: parsePort(hostPort, `hostfwd host port in ${JSON.stringify(text)}`, true),
    ...(guestAddress ? { guestAddress: parseIpv4(guestAddress, 'hostfwd guest address') } : {}),
    guestPort: parsePort(guestPort, `hostfwd guest port in ${JSON.stringify(text)}`, false),
  };
}

function isOn(value: string | undefined, key: string): boolean {
  if (value === undefined || value === 'on') return true;
  if (value === 'off') return false;
  throw usage(`bad ${key}=${value}: expected on or off`);
}

/**
 * Parses the value of one `--net` option of `libos run`:
 *
 * - `user[,hostfwd=tcp:127.0.0.1:8080-:80]…` (any number of `hostfwd`);
 * - `stream,path=/tmp/n0.sock[,server]` or `stream,host=127.0.0.1,port=5555[,server]`
 *   (`server=on|off` too; `host` defaults to 127.0.0.1);
 * - `dgram,local=127.0.0.1:10000[,remote=127.0.0.1:10001]` (both on one address).
 *
 * @param text The option's value.
 * @returns The backend to open.
 * @throws {@link CliError} `usage` for an unknown type, an unknown or missing option, or
 * a value that does not parse.
 * @example
 * ```ts
 * import { parseNetSpec } from '@libos/cli';
 * parseNetSpec('user,hostfwd=tcp:127.0.0.1:8080-:80');
 * parseNetSpec('stream,path=/tmp/n0.sock,server');
 * parseNetSpec('dgram,local=127.0.0.1:10000,remote=127.0.0.1:10001');
 * ```
 */
export function parseNetSpec(text: string): NetSpec {
  const { type, pairs } = options(text, '--net');
  const seen = new Map<string, string | undefined>();
  const allowed: Record<(typeof NET_TYPES)[number], readonly string[]> = {
    user: ['hostfwd'],
    stream: ['path', 'host', 'port', 'server'],
    dgram: ['local', 'remote'],
  };
  const keys = (allowed as Record<string, readonly string[] | undefined>)[type];
  if (keys === undefined) {
    throw usage(`unknown --net type ${JSON.stringify(type)} (supported: ${NET_TYPES.join(', ')})`);
  }
  const forwards: HostForwardSpec[] = [];
  for (const [key, value] of pairs) {
    if (!keys.includes(key)) {
      throw usage(
        `unknown option ${JSON.stringify(key)} for --net ${type} (supported: ${keys.join(', ')})`,
      );
    }
    if (key === 'hostfwd') {
      if (value === undefined) throw usage('hostfwd needs a value, e.g. hostfwd=tcp::8080-:80');
      forwards.push(parseHostForward(value));
      continue;
    }
    if (seen.has(key)) throw usage(`--net ${type}: ${key} given twice`);
    if (key !== 'server' && value === undefined) throw usage(`--net ${type}: ${key} needs a value`);
    seen.set(key, value);
  }
  switch (type) {
    case 'user':
      return { type: 'user', hostForwards: forwards };
    case 'stream': {
      const path = seen.get('path');
      const server = seen.has('server') && isOn(seen.get('server'), 'server');
      if (path !== undefined) {
        if (seen.has('host') || seen.has('port')) {
          throw usage('--net stream: give either path= or host=/port=, not both');
        }
        return { type: 'stream', address: { path }, server };
      }
      if (!seen.has('port')) {
        throw usage('--net stream needs path=SOCKET or port=N (e.g. stream,path=/tmp/n0.sock)');
      }
      const host = parseIpv4(seen.get('host') ?? '127.0.0.1', '--net stream host');
      const port = parsePort(seen.get('port'), '--net stream port', server);
      return { type: 'stream', address: { host, port }, server };
    }
    default: {
      const localText = seen.get('local');
      if (localText === undefined) {
        throw usage('--net dgram needs local=ADDRESS:PORT (e.g. dgram,local=127.0.0.1:10000)');
      }
      const local = parseEndpoint(localText, '--net dgram local');
      const remoteText = seen.get('remote');
      if (remoteText === undefined)
        return { type: 'dgram', host: local.host, localPort: local.port };
      const remote = parseEndpoint(remoteText, '--net dgram remote');
      if (remote.host !== local.host) {
        throw usage('--net dgram: local and remote must use the same address');
      }
      if (remote.port === 0) throw usage('--net dgram: the remote port cannot be 0');
      return { type: 'dgram', host: local.host, localPort: local.port, remotePort: remote.port };
    }
  }
}

/**
 * Parses the value of one `--disk` option of `libos run`: `file.img` or `file.img,ro`.
 *
 * @param text The option's value.
 * @returns The image and its mode.
 * @throws {@link CliError} `usage` for an empty path or an unknown option.
 * @example
 * ```ts
 * import { parseDiskSpec } from '@libos/cli';
 * parseDiskSpec('www.img,ro'); // { path: 'www.img', readOnly: true }
 * ```
 */
export function parseDiskSpec(text: string): DiskSpec {
  const { type: path, pairs } = options(text, '--disk');
  if (path === '') throw usage('--disk needs an image file, e.g. --disk www.img,ro');
  let readOnly = false;
  for (const [key, value] of pairs) {
    if (key === 'ro' && value === undefined) readOnly = true;
    else if (key === 'rw' && value === undefined) readOnly = false;
    else {
      throw usage(`unknown option ${JSON.stringify(key)} for --disk (supported: ro, rw)`);
    }
  }
  return { path, readOnly };
}
