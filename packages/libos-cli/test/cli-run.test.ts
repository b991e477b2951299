/**
 * `libos run` end to end: a real app (test/fixtures/http-app.ts: boot + nic + two FAT
 * disks, an HTTP server) bundled and booted in a child process, reached from here
 * through each kind of `--net` backend, stopped with SIGINT / SIGTERM. The app's bundle
 * carries its own copy of @libos/boot, so every test here also checks that the host
 * `libos run` installs (`installHost`) is the one the app's `boot()` finds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeImage } from '@libos/cli';
import { createFileSystem, mountFat } from '@libos/fs';
import { FileBlockDevice } from '@libos/fs/node';
import { createStack, type NetDevice, type Stack } from '@libos/net';
import { connectStreamFramePort, listenStreamFramePort, openDgramFramePort } from '@libos/net/node';
import { HostClock, HostEntropy } from '@libos/sched';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LibosProcess } from './libos-process.js';
import { libos } from './run-cli.js';

const execFileAsync = promisify(execFile);
const required = process.env.CI === 'true';
const app = join(import.meta.dirname, 'fixtures', 'http-app.ts');
const fetchApp = join(import.meta.dirname, 'fixtures', 'fetch-app.ts');
const FORWARD = /libos: forwarding tcp 127\.0\.0\.1:(\d+) -> guest port 80\n/;
const INDEX = '<h1>hello from a libos disk</h1>\n';

async function hasTool(name: string): Promise<boolean> {
  try {
    await execFileAsync('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}
const hasMtype = await hasTool('mtype');
const hasTshark = await hasTool('tshark');
if (required && !(hasMtype && hasTshark)) {
  throw new Error('CI=true but mtools (mtype) or tshark is missing');
}
if (!hasMtype) console.warn('skipping the mtype cross-check of libos run disks: install mtools');
if (!hasTshark) console.warn('skipping the tshark check of libos run --pcap: install tshark');

let work = '';
let www = '';
const running: LibosProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-cli-run-'));
  await mkdir(join(work, 'www', 'docs'), { recursive: true });
  await writeFile(join(work, 'www', 'index.html'), INDEX);
  await writeFile(join(work, 'www', 'docs', 'a.txt'), 'nested file\n');
  await mkdir(join(work, 'empty'));
  www = join(work, 'www.img');
  await makeImage({ dir: join(work, 'www'), image: www, size: 4 << 20, label: 'WWW' });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function start(args: readonly string[], env: Readonly<Record<string, string>> = {}): LibosProcess {
  const p = new LibosProcess(['run', ...args], env);
  running.push(p);
  return p;
}

/** A fresh, empty read-write FAT image. */
async function emptyImage(name: string): Promise<string> {
  const image = join(work, name);
  await makeImage({ dir: join(work, 'empty'), image, size: 4 << 20, label: 'DATA' });
  return image;
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** A file's text on a FAT image, read with @libos/fs. */
async function readOnImage(image: string, path: string): Promise<string> {
  const disk = await FileBlockDevice.open(image, { readOnly: true });
  try {
    const fs = createFileSystem();
    fs.mount('/', await mountFat(disk, { clock: { now: () => Date.now() }, readOnly: true }));
    return await fs.readFile(path, 'utf8');
  } finally {
    await disk.close();
  }
}

async function mtype(image: string, path: string): Promise<string> {
  const env = { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C.UTF-8' };
  return (await execFileAsync('mtype', ['-i', image, `::${path}`], { env })).stdout;
}

async function fetchText(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text() };
}

describe('libos run --net user --disk', () => {
  it('serves a read-only disk through a forwarded port; SIGINT flushes the read-write disk, exit 0', async () => {
    const data = await emptyImage('data-sigint.img');
    const before = await sha256(www);
    const p = start([
      app,
      '--net',
      'user,hostfwd=tcp:127.0.0.1:0-:80',
      '--disk',
      `${www},ro`,
      '--disk',
      data,
    ]);
    const port = Number((await p.waitFor(FORWARD))[1]);
    expect(port).toBeGreaterThan(0);
    await p.waitFor(/http-app: serving on 10\.0\.2\.15:80/);
    // The boot log came first: devices, DHCP, both disks, up.
    expect(p.stdout).toMatch(/libos: booting on node: net \(nic\), www \(disk\), data \(disk\)/);
    expect(p.stdout).toMatch(/net: eth0 10\.0\.2\.15\/24 by DHCP from 10\.0\.2\.2/);
    expect(p.stdout).toMatch(/www: vda 4 MiB FAT\d+ "WWW" mounted read-only/);
    expect(p.stdout).toMatch(/data: vdb 4 MiB FAT\d+ "DATA" mounted read-write/);
    expect(p.stdout.indexOf('libos: up in')).toBeLessThan(p.stdout.search(FORWARD));

    const base = `http://127.0.0.1:${port}`;
    expect(await fetchText(`${base}/index.html`)).toEqual({ status: 200, text: INDEX });
    expect(await fetchText(`${base}/docs/a.txt`)).toEqual({ status: 200, text: 'nested file\n' });
    expect((await fetchText(`${base}/missing.txt`)).status).toBe(404);
    const stored = await fetchText(`${base}/note.txt`, {
      method: 'PUT',
      body: 'kept across shutdown',
    });
    expect(stored).toEqual({ status: 201, text: 'stored /note.txt\n' });

    const exit = await p.stop('SIGINT');
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/libos: shut down\n$/);
    expect(await readOnImage(data, '/note.txt')).toBe('kept across shutdown');
    if (hasMtype) expect(await mtype(data, 'note.txt')).toBe('kept across shutdown');
    expect(await sha256(www)).toBe(before); // read-only stayed untouched
  }, 120_000);

  it('--worker runs the device models in a worker thread; SIGTERM shuts down cleanly too', async () => {
    const data = await emptyImage('data-worker.img');
    const p = start([
      app,
      '--worker',
      '--mem',
      '32M',
      '--net',
      'user,hostfwd=tcp::0-:80',
      '--disk',
      `${www},ro`,
      '--disk',
      `${data},rw`,
    ]);
    const port = Number((await p.waitFor(FORWARD))[1]);
    expect(p.stdout).toMatch(/machine: worker mode, 32 MiB guest memory/);
    const base = `http://127.0.0.1:${port}`;
    expect(await fetchText(`${base}/index.html`)).toEqual({ status: 200, text: INDEX });
    const body = 'x'.repeat(100_000); // many sectors through the worker's virtio-blk model
    expect((await fetchText(`${base}/big.txt`, { method: 'PUT', body })).status).toBe(201);

    const exit = await p.stop('SIGTERM');
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(await readOnImage(data, '/big.txt')).toBe(body);
  }, 120_000);
});

/** Drives a test-side stack on `device` in real time until `stop()`. */
function driveStack(device: NetDevice, address: string): { stack: Stack; stop: () => void } {
  const clock = new HostClock();
  const stack = createStack({
    devices: [device],
    clock,
    entropy: new HostEntropy(),
    ipv4: { address },
  });
  const timer = setInterval(() => stack.poll(clock.now()), 1);
  return { stack, stop: () => clearInterval(timer) };
}

/** `GET path` over HTTP/1.0 from the test-side stack; the response body. */
async function httpGet(stack: Stack, address: string, path: string): Promise<string> {
  const conn = await stack.connectTcp({ address, port: 80 });
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: guest\r\n\r\n`));
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    const chunk = await conn.read();
    if (chunk === null) break;
    chunks.push(chunk);
  }
  await conn.end();
  const text = Buffer.concat(chunks).toString('utf8');
  expect(text).toMatch(/^HTTP\/1\.[01] 200 /);
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}

const staticApp = { HTTP_APP_IPV4: '10.0.0.2/24', HTTP_APP_DISKS: '0' };

describe('libos run --net stream / dgram', () => {
  it('stream,path=SOCKET,server waits for a peer; a test-side stack reaches the app over it', async () => {
    const socket = join(work, 'n0.sock');
    const p = start([app, '--net', `stream,path=${socket},server`], staticApp);
    await p.waitFor(/libos: waiting for a stream peer on .*n0\.sock\n/);
    const port = await connectStreamFramePort({ path: socket });
    const peer = driveStack(port, '10.0.0.1/24');
    try {
      await p.waitFor(/http-app: serving on 10\.0\.0\.2:80/);
      expect(p.stdout).toMatch(/net: eth0 10\.0\.0\.2\/24 \(static\)/);
      expect(p.stdout).not.toMatch(/libos: forwarding/);
      expect(await httpGet(peer.stack, '10.0.0.2', '/address')).toBe('10.0.0.2\n');
      const exit = await p.stop('SIGINT');
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
    } finally {
      peer.stop();
      await port.close();
    }
  }, 120_000);

  it('two libos processes on one stream socket: the client app fetches, shuts down, exits 0 by itself', async () => {
    const socket = join(work, 'n2.sock');
    const server = start([app, '--net', `stream,path=${socket},server`], staticApp);
    await server.waitFor(/libos: waiting for a stream peer/);
    const client = start([fetchApp, '--net', `stream,path=${socket}`]);
    const done = await client.wait(60_000);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/fetch-app: HTTP\/1\.[01] 200 OK body "10\.0\.0\.2\\n"\n/);
    expect(done.stdout).not.toMatch(/libos: shut down/); // it ended by itself
    await server.waitFor(/http-app: serving on 10\.0\.0\.2:80/);
    expect((await server.stop('SIGINT')).code).toBe(0);
  }, 120_000);

  it('stream,…,server: Ctrl-C while waiting for the peer exits 0 and removes the socket', async () => {
    const socket = join(work, 'n1.sock');
    const p = start([app, '--net', `stream,path=${socket},server`], staticApp);
    await p.waitFor(/libos: waiting for a stream peer on .*n1\.sock\n/);
    expect(existsSync(socket)).toBe(true);
    const exit = await p.stop('SIGINT');
    expect(exit.stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/libos: shut down\n$/);
    expect(exit.stdout).not.toMatch(/libos: booting/);
    expect(existsSync(socket)).toBe(false);
  }, 120_000);

  it('stream,port=N connects to a listening peer', async () => {
    const listener = await listenStreamFramePort({ port: 0 });
    const tcpPort = 'port' in listener.address ? listener.address.port : 0;
    const p = start([app, '--net', `stream,host=127.0.0.1,port=${tcpPort}`], staticApp);
    const port = await listener.accept(60_000);
    await listener.close();
    const peer = driveStack(port, '10.0.0.1/24');
    try {
      await p.waitFor(/http-app: serving on 10\.0\.0\.2:80/);
      const reply = await peer.stack.ping('10.0.0.2');
      expect(reply.bytes).toBeGreaterThan(0);
      expect(await httpGet(peer.stack, '10.0.0.2', '/address')).toBe('10.0.0.2\n');
      expect((await p.stop('SIGINT')).code).toBe(0);
    } finally {
      peer.stop();
      await port.close();
    }
  }, 120_000);

  it('dgram,local=…,remote=… exchanges frames with a UDP peer', async () => {
    // A free UDP port for libos: bind, read, release.
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const libosPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const port = await openDgramFramePort({ remotePort: libosPort });
    const peer = driveStack(port, '10.0.0.1/24');
    const p = start(
      [app, '--net', `dgram,local=127.0.0.1:${libosPort},remote=127.0.0.1:${port.localPort}`],
      staticApp,
    );
    try {
      await p.waitFor(/http-app: serving on 10\.0\.0\.2:80/);
      expect(await httpGet(peer.stack, '10.0.0.2', '/address')).toBe('10.0.0.2\n');
      expect((await p.stop('SIGINT')).code).toBe(0);
    } finally {
      peer.stop();
      await port.close();
    }
  }, 120_000);
});

/** The records of a classic little-endian µs pcap file. */
function pcapRecords(bytes: Buffer): { seconds: number; frame: Buffer }[] {
  expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(bytes.readUInt32LE(20)).toBe(1); // LINKTYPE_ETHERNET
  const records: { seconds: number; frame: Buffer }[] = [];
  for (let at = 24; at < bytes.length; ) {
    const captured = bytes.readUInt32LE(at + 8);
    records.push({
      seconds: bytes.readUInt32LE(at),
      frame: bytes.subarray(at + 16, at + 16 + captured),
    });
    at += 16 + captured;
  }
  return records;
}

describe('libos run --pcap', () => {
  it('records both directions of an .mjs image from libos build to a file tshark reads', async () => {
    const out = join(work, 'image');
    const built = await libos(['build', app, '--out', out]);
    expect(built.code).toBe(0);
    // The image carries its own copy of @libos/boot: it finds libos run's host by the global slot.
    expect(built.stdout).toMatch(/^\s+[1-9]\d* B {2}@libos\/boot$/m);
    const capture = join(work, 'run.pcap');
    const started = Math.floor(Date.now() / 1000);
    const p = start(
      [join(out, 'http-app.mjs'), '--pcap', capture, '--net', 'user,hostfwd=tcp:127.0.0.1:0-:80'],
      { HTTP_APP_DISKS: '0' },
    );
    const port = Number((await p.waitFor(FORWARD))[1]);
    expect(await fetchText(`http://127.0.0.1:${port}/address`)).toEqual({
      status: 200,
      text: '10.0.2.15\n',
    });
    expect((await p.stop('SIGINT')).code).toBe(0);

    const records = pcapRecords(await readFile(capture));
    const guestMac = records
      .map((r) => r.frame.subarray(6, 12).toString('hex'))
      .find((mac) => mac.startsWith('525400'));
    expect(guestMac).toBeDefined();
    const fromGuest = records.filter((r) => r.frame.subarray(6, 12).toString('hex') === guestMac);
    const toGuest = records.filter((r) => r.frame.subarray(0, 6).toString('hex') === guestMac);
    expect(fromGuest.length).toBeGreaterThan(3);
    expect(toGuest.length).toBeGreaterThan(3);
    for (const r of records) expect(Math.abs(r.seconds - started)).toBeLessThan(120); // wall-clock stamps

    if (hasTshark) {
      const { stdout } = await execFileAsync(
        'tshark',
        ['-r', capture, '-T', 'fields', '-e', 'frame.protocols', '-e', 'http.request.uri'],
        {
          env: { ...process.env, LC_ALL: 'C.UTF-8' },
        },
      );
      expect(stdout).toMatch(/eth:ethertype:ip:udp:dhcp/);
      expect(stdout).toMatch(/eth:ethertype:arp/);
      expect(stdout).toMatch(/eth:ethertype:ip:tcp:http\t\/address/);
      expect(stdout.trim().split('\n')).toHaveLength(records.length);
    }
  }, 180_000);
});
