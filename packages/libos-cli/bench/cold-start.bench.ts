/**
 * P5 (PERFORMANCE.md), cold start: from spawning `libos run` on the http-server image
 * (built once by `libos build`, as a user would ship it) to the first HTTP response
 * through user-mode networking — process start, loading the image, opening the disk,
 * booting the machine, DHCP, mounting FAT, the request — against a `node:http` hello
 * server's cold start to its first response, in the same run.
 *
 * Runs the built CLI (`packages/libos-cli/dist/bin.js`, made by `npm run build`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, makeImage } from '@libos/cli';
import type { Comparison, Workload } from '../../../bench/harness.js';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'packages', 'libos-cli', 'dist', 'bin.js');
const dir = mkdtempSync(join(tmpdir(), 'libos-cold-'));
let prepared: Promise<{ image: string; disk: string }> | undefined;
const children = new Set<ChildProcess>();

function prepare(): Promise<{ image: string; disk: string }> {
  prepared ??= (async () => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`);
    const built = await buildImage({
      entry: join(root, 'examples', 'http-server', 'main.ts'),
      outDir: dir,
    });
    const disk = join(dir, 'www.img');
    await makeImage({
      dir: join(root, 'examples', 'http-server', 'www'),
      image: disk,
      label: 'WWW',
    });
    return { image: built.outputFile, disk };
  })();
  return prepared;
}

/** Starts `args`, waits for a line matching `port`, GETs / from it once; resolves on the response. */
async function coldStart(args: string[], port: RegExp): Promise<void> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const found = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port within 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = port.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', () => reject(new Error(`exited before serving:\n${out}`)));
  });
  await new Promise<void>((resolve, reject) => {
    get({ host: '127.0.0.1', port: found, path: '/' }, (response) => {
      response.resume();
      response.once('end', () =>
        response.statusCode === 200
          ? resolve()
          : reject(new Error(`status ${response.statusCode}`)),
      );
    }).once('error', reject);
  });
}

/** Stops every process the previous sample started (SIGINT, then waits for it). */
async function reap(): Promise<void> {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    children.delete(child);
  }
}

/** Stops the last sample's processes and removes the images (bench/run.ts calls it). */
export async function teardown(): Promise<void> {
  await reap();
  rmSync(dir, { recursive: true, force: true });
}

const libosRun: Workload = {
  name: 'libos run http-server.mjs → first response',
  ops: 1,
  setup: async () => {
    await reap();
    await prepare();
  },
  run: async () => {
    const { image, disk } = await prepare();
    await coldStart(
      [bin, 'run', image, '--net', 'user,hostfwd=tcp:127.0.0.1:0-:80', '--disk', `${disk},ro`],
      /forwarding tcp 127\.0\.0\.1:(\d+)/,
    );
  },
};

const HELLO = `require('node:http').createServer((q, s) => s.end('hello')).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); });`;

const nodeHello: Workload = {
  name: 'node:http hello server → first response',
  ops: 1,
  setup: reap,
  run: () => coldStart(['-e', HELLO], /port (\d+)/),
};

export const comparisons: Comparison[] = [
  {
    id: 'P5-cold',
    title:
      'cold start to first served request: libos run of the http-server image vs a node:http hello server',
    conditions:
      'built CLI (dist/bin.js) on the minified http-server image, user-mode networking (DHCP, no ARP probe), 2 MiB read-only FAT image; node -e hello server',
    subject: libosRun,
    baseline: nodeHello,
  },
];
