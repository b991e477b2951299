/**
 * A small static-file HTTP/1.1 server on a libos TCP stream: GET and HEAD, keep-alive
 * and pipelining (RFC 9112 §9.3), Content-Length framing, 400/404/405/414/431
 * answers, and no path can leave the served root (RFC 3986 §5.2.4 dot segments are
 * resolved before the lookup). Files are read through the unikernel's FileSystem and
 * kept in a small cache (the disk is read-only).
 */
import type { FileSystem } from '@libos/fs';
import type { TcpStream } from '@libos/net';

/** Longest request head accepted (request line + headers). */
const MAX_HEAD_BYTES = 8192;
/** Files kept in the cache (bytes in total). */
const CACHE_BYTES = 8 << 20;

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json',
  png: 'image/png',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
};

const encoder = new TextEncoder();
const decoder = new TextDecoder('latin1');

/** Counters of a {@link StaticServer}. */
export interface StaticServerStats {
  connections: number;
  requests: number;
  notFound: number;
  badRequests: number;
}

/** Serves the files under `root` of `fs`. */
export class StaticServer {
  readonly stats: StaticServerStats = { connections: 0, requests: 0, notFound: 0, badRequests: 0 };
  readonly #fs: FileSystem;
  readonly #root: string;
  readonly #cache = new Map<string, Uint8Array | null>();
  #cachedBytes = 0;

  constructor(fs: FileSystem, root = '/') {
    this.#fs = fs;
    this.#root = root.endsWith('/') ? root.slice(0, -1) : root;
  }

  /** Serves one connection until the client closes it or asks to. Never throws. */
  async serve(conn: TcpStream): Promise<void> {
    this.stats.connections++;
    let buffered: Uint8Array = new Uint8Array(0);
    try {
      for (;;) {
        const end = headEnd(buffered);
        if (end < 0 || end > MAX_HEAD_BYTES) {
          if (end > MAX_HEAD_BYTES || buffered.length > MAX_HEAD_BYTES) {
            await this.#reply(conn, 431, 'Request Header Fields Too Large', false, false);
            break;
          }
          const chunk = await conn.read();
          if (chunk === null) break;
          buffered = concat(buffered, chunk);
          continue;
        }
        const head = decoder.decode(buffered.subarray(0, end));
        buffered = buffered.subarray(end + 4);
        const keepAlive = await this.#handle(conn, head);
        if (!keepAlive) break;
      }
      await conn.end();
    } catch {
      conn.abort(); // reset by the peer, or the unikernel is shutting down
    }
  }

  /** Answers one request; returns whether the connection stays open. */
  async #handle(conn: TcpStream, head: string): Promise<boolean> {
    this.stats.requests++;
    const [requestLine = '', ...headerLines] = head.split('\r\n');
    const parts = requestLine.split(' ');
    if (parts.length !== 3 || !/^HTTP\/1\.[01]$/.test(parts[2]!)) {
      this.stats.badRequests++;
      await this.#reply(conn, 400, 'Bad Request', false, false);
      return false;
    }
    const [method, target, version] = parts as [string, string, string];
    const connection = headerValue(headerLines, 'connection')?.toLowerCase();
    // RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    const keepAlive = version === 'HTTP/1.1' ? connection !== 'close' : connection === 'keep-alive';
    if (
      headerValue(headerLines, 'content-length') !== undefined ||
      headerValue(headerLines, 'transfer-encoding') !== undefined
    ) {
      this.stats.badRequests++;
      await this.#reply(conn, 400, 'Bad Request', false, false);
      return false; // no request bodies here: refuse rather than mis-frame the next request
    }
    if (method !== 'GET' && method !== 'HEAD') {
      await this.#reply(
        conn,
        405,
        'Method Not Allowed',
        keepAlive,
        method === 'HEAD',
        'Allow: GET, HEAD\r\n',
      );
      return keepAlive;
    }
    if (target.length > 2048) {
      await this.#reply(conn, 414, 'URI Too Long', false, false);
      return false;
    }
    const path = resolvePath(target);
    if (path === undefined) {
      this.stats.badRequests++;
      await this.#reply(conn, 400, 'Bad Request', keepAlive, method === 'HEAD');
      return keepAlive;
    }
    const file = path.endsWith('/') ? `${path}index.html` : path;
    const body = await this.#file(file);
    if (body === null) {
      this.stats.notFound++;
      await this.#reply(conn, 404, 'Not Found', keepAlive, method === 'HEAD');
      return keepAlive;
    }
    const type = TYPES[file.slice(file.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    const header = encoder.encode(
      `HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nServer: libos\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n`,
    );
    await conn.write(method === 'HEAD' ? header : concat(header, body));
    return keepAlive;
  }

  async #reply(
    conn: TcpStream,
    status: number,
    reason: string,
    keepAlive: boolean,
    headOnly: boolean,
    extra = '',
  ): Promise<void> {
    const body = `${status} ${reason}\n`;
    const text = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n${extra}${keepAlive ? '' : 'Connection: close\r\n'}\r\n${headOnly ? '' : body}`;
    await conn.write(encoder.encode(text));
  }

  /** The file's bytes, or null when there is no such regular file. */
  async #file(path: string): Promise<Uint8Array | null> {
    const cached = this.#cache.get(path);
    if (cached !== undefined) return cached;
    let bytes: Uint8Array | null;
    try {
      const full = `${this.#root}${path}`;
      const stat = await this.#fs.stat(full);
      bytes = stat.isFile() ? await this.#fs.readFile(full) : null;
    } catch {
      bytes = null;
    }
    const size = bytes?.length ?? 0;
    if (this.#cachedBytes + size <= CACHE_BYTES) {
      this.#cache.set(path, bytes);
      this.#cachedBytes += size;
    }
    return bytes;
  }
}

/** Index of the CRLF CRLF ending a request head, or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10)
      return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function headerValue(lines: readonly string[], name: string): string | undefined {
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name)
      return line.slice(colon + 1).trim();
  }
  return undefined;
}

/**
 * The absolute path a request target names, dot segments removed (RFC 3986 §5.2.4),
 * or undefined for a target that is not an origin-form path (RFC 9112 §3.2.1) or does
 * not decode.
 */
export function resolvePath(target: string): string | undefined {
  if (!target.startsWith('/')) return undefined;
  const query = target.search(/[?#]/);
  let path: string;
  try {
    path = decodeURIComponent(query < 0 ? target : target.slice(0, query));
  } catch {
    return undefined;
  }
  if (path.includes('\0') || path.includes('\\')) return undefined;
  const out: string[] = [];
  const segments = path.split('/').slice(1);
  for (const segment of segments) {
    if (segment === '..') out.pop();
    else if (segment !== '.' && segment !== '') out.push(segment);
  }
  const trailing = path.endsWith('/') || segments.at(-1) === '..' || segments.at(-1) === '.';
  return `/${out.join('/')}${trailing && out.length > 0 ? '/' : ''}`;
}
