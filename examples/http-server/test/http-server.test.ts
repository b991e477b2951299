/**
 * The http-server example booted in-process on a Node host with user-mode networking:
 * the site is built into a FAT image, the unikernel gets its address by DHCP, and the
 * host fetches every file through the 127.0.0.1 forward (node's fetch, keep-alive),
 * plus the error answers and path confinement, with raw sockets.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installHost, type Unikernel } from '@libos/boot';
import { nodeHost } from '@libos/boot/node';
import { buildFatImage } from '@libos/fs/node';
import { createUserNetwork, type UserNetwork } from '@libos/net/node';
import { FileBlockBackend } from '@libos/virtio/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootExample } from '../../boot-example.js';
import { resolvePath } from '../static-http.js';

const site = join(import.meta.dirname, '..', 'www');
let dir: string;
let network: UserNetwork;
let host: ReturnType<typeof nodeHost>;
let base: string;
const log: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'libos-http-'));
  const image = join(dir, 'www.img');
  await buildFatImage(site, image, { label: 'WWW' });
  network = await createUserNetwork({
    hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 80 }],
  });
  const disk = await FileBlockBackend.open(image, { readOnly: true });
  host = nodeHost({
    net: [network.guestPort],
    disks: [disk],
    log: (line) => log.push(line),
    onClose: async () => {
      await network.close();
      await disk.close();
    },
  });
  // main.ts serves forever (top-level await): wait for the boot, not for the import.
  await bootExample(host, () => import('../main.js'));
  base = `http://127.0.0.1:${network.forwards[0]!.hostPort}`;
}, 30_000);

afterAll(async () => {
  installHost(undefined);
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Sends raw bytes, returns everything until the server closes (bounded). */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: network.forwards[0]!.hostPort });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no close within 5 s'));
    }, 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
    socket.end(request);
  });
}

describe('examples/http-server', () => {
  it('boots with a kernel-like log: devices, DHCP lease, mounted disk', () => {
    const text = log.join('\n');
    expect(text).toMatch(/libos: booting on node: net \(nic\), www \(disk\)/);
    expect(text).toMatch(/virtio-net/);
    expect(text).toMatch(/virtio-blk/);
    expect(text).toMatch(
      /net: eth0 10\.0\.2\.15\/24 by DHCP from 10\.0\.2\.2, gateway 10\.0\.2\.2 in/,
    );
    expect(text).toMatch(/www: vda \S+ \S+ FAT\d+ "WWW" mounted read-only at \//);
    expect(text).toMatch(/libos: up in \d+\.\d{3} ms/);
    expect((host.kernels[0] as Unikernel<unknown>).bootMicros).toBeGreaterThan(0);
  });

  it('serves every file of the site byte for byte, with content types', async () => {
    for (const [path, file, type] of [
      ['/', 'index.html', 'text/html; charset=utf-8'],
      ['/style.css', 'style.css', 'text/css; charset=utf-8'],
      ['/about.txt', 'about.txt', 'text/plain; charset=utf-8'],
      ['/docs/layers.txt', 'docs/layers.txt', 'text/plain; charset=utf-8'],
    ] as const) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(await readFile(join(site, file)));
    }
  });

  it('answers 404, 405, 400 and HEAD, and keeps the connection for the next request', async () => {
    const missing = await fetch(`${base}/nope.html`);
    expect(missing.status).toBe(404);
    await missing.text();
    const post = await fetch(`${base}/`, { method: 'DELETE' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.text();
    const head = await fetch(`${base}/about.txt`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(
      String((await readFile(join(site, 'about.txt'))).length),
    );
    // Two pipelined requests on one connection, the second asks to close.
    const both = await raw(
      'GET /style.css HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(both.match(/HTTP\/1\.1 200 OK/g)).toHaveLength(1);
    expect(both).toMatch(/HTTP\/1\.1 404 Not Found[\s\S]*Connection: close/);
    expect(await raw('NONSENSE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });

  it('never leaves the served root', async () => {
    expect(resolvePath('/../../etc/passwd')).toBe('/etc/passwd');
    expect(resolvePath('/a/./b/../c')).toBe('/a/c');
    expect(resolvePath('/%2e%2e/%2e%2e/x')).toBe('/x');
    expect(resolvePath('http://evil/')).toBeUndefined();
    expect(resolvePath('/%E0%A4%A')).toBeUndefined();
    const escaped = await raw('GET /../../../../etc/passwd HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(escaped).toMatch(/^HTTP\/1\.1 404 Not Found/);
  });

  it('refuses a request head larger than 8 KiB with 431 and closes', async () => {
    const big = await raw(`GET / HTTP/1.1\r\nX-Fill: ${'a'.repeat(9000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large/);
  });
});
