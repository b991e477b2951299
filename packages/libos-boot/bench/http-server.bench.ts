/**
 * Requests/s of the http-server unikernel through user-mode networking, with `wrk` (a
 * load generator nobody here wrote) on loopback, against the same static files served
 * by `node:http` directly on 127.0.0.1, in the same run.
 *
 * libos path: wrk → host TCP 127.0.0.1 → user-network forward → gateway libos stack →
 * link → virtio-net device model → virtqueues → guest libos stack → StaticServer
 * (examples/http-server) reading the FAT disk over virtio-blk (files cached after the
 * first read, as a page cache would). Baseline: wrk → node:http with the files in memory.
 *
 * `ops` is what wrk reports as completed requests; the time includes wrk's start-up,
 * which is the same for both sides. Needs `wrk` on PATH (Debian: apt-get install wrk;
 * `.ci/run` installs it).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { boot } from '@libos/boot';
import { fatDisk } from '@libos/boot/fs';
import { nic } from '@libos/boot/net';
import type { NodeHost } from '@libos/boot/node';
import { buildFatImage } from '@libos/fs/node';
import type { Comparison, Workload } from '../../../bench/harness.js';
import { StaticServer } from '../../../examples/http-server/static-http.js';
import { userNetworkHost } from './user-network-host.js';

const run = promisify(execFile);
const quick = process.env['LIBOS_BENCH_QUICK'] === '1';
const SECONDS = quick ? 1 : 3;
const CONNECTIONS = 16;
const site = join(import.meta.dirname, '..', '..', '..', 'examples', 'http-server', 'www');

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    // wrk --version exits 1 after printing its version.
    return (e as { status?: number }).status === 1;
  }
}

let libos: Promise<{ port: number; host: NodeHost }> | undefined;
let baseline: Promise<{ port: number; server: Server }> | undefined;

function startLibos(): Promise<{ port: number; host: NodeHost }> {
  libos ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libos-http-bench-'));
    const image = join(dir, 'www.img');
    await buildFatImage(site, image, { label: 'WWW' });
    const { host, network } = await userNetworkHost(
      image,
      [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 80 }],
      () => rmSync(dir, { recursive: true, force: true }),
    );
    const os = await boot(
      { net: nic({ ipv4: { dhcp: { probeMicros: 0 } } }), www: fatDisk({ readOnly: true }) },
      { host },
    );
    const server = new StaticServer(os.services.www.fs);
    const listener = os.services.net.stack.listenTcp({ port: 80, backlog: 256 });
    void (async () => {
      for await (const conn of listener) void server.serve(conn);
    })();
    return { port: network.forwards[0]!.hostPort, host };
  })();
  return libos;
}

function startBaseline(): Promise<{ port: number; server: Server }> {
  baseline ??= new Promise((resolve) => {
    const index = readFileSync(join(site, 'index.html'));
    const server = createServer((request, response) => {
      if (request.url !== '/') {
        response
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          .end('404 Not Found\n');
        return;
      }
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': index.length,
        server: 'node',
      });
      response.end(index);
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as AddressInfo).port, server }),
    );
  });
  return baseline;
}

/** A workload whose `ops` is the request count wrk reported for its last run. */
function wrkWorkload(name: string, port: () => Promise<number>): Workload {
  let completed = 0;
  return {
    name,
    get ops() {
      return completed;
    },
    run: async () => {
      const url = `http://127.0.0.1:${await port()}/`;
      const { stdout } = await run(
        'wrk',
        ['-t', '1', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, url],
        {
          timeout: (SECONDS + 30) * 1000,
        },
      );
      const requests = /(\d+) requests in/.exec(stdout);
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/.exec(stdout);
      if (requests === null) throw new Error(`wrk printed no request count:\n${stdout}`);
      if (errors !== null) throw new Error(`wrk saw errors:\n${stdout}`);
      completed = Number(requests[1]);
    },
  };
}

/** Shuts the unikernel and its host down and closes the node:http server (bench/run.ts calls it). */
export async function teardown(): Promise<void> {
  await (await libos)?.host.close();
  const node = await baseline;
  node?.server.closeAllConnections();
  await new Promise<void>((resolve) => (node ? node.server.close(() => resolve()) : resolve()));
}

export const comparisons: Comparison[] = hasWrk()
  ? [
      {
        id: 'HTTP-USERNET',
        title:
          'GET / (index.html) from the http-server unikernel through user-mode networking, wrk on loopback, vs node:http',
        conditions: `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s keep-alive; libos: user network forward → gateway stack → virtio-net → guest stack → FAT-backed StaticServer`,
        subject: wrkWorkload(
          'libos http-server (user networking)',
          async () => (await startLibos()).port,
        ),
        baseline: wrkWorkload(
          'node:http, same file from memory',
          async () => (await startBaseline()).port,
        ),
      },
    ]
  : [];
if (!hasWrk())
  console.error('http-server.bench: wrk is not installed (apt-get install wrk); skipped');
