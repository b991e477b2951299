/**
 * nodeHost(): unikernels in real time on Node — a user network reached from a host
 * socket, clean close (kernels shut down, then onClose), and worker mode (device models
 * in a worker thread; backends that cannot cross a thread are refused with a clear
 * MACHINE_FAILED).
 */
import { connect } from 'node:net';
import { BootError, boot, type UnikernelControl } from '@libos/boot';
import { fatDisk } from '@libos/boot/fs';
import { nic } from '@libos/boot/net';
import { type NodeHost, nodeHost } from '@libos/boot/node';
import { entropy } from '@libos/boot/rng';
import { createFileSystem, mountFat, RamDisk } from '@libos/fs';
import { createLink } from '@libos/net';
import { createUserNetwork } from '@libos/net/node';
import { MemoryBlockBackend } from '@libos/virtio';
import { afterEach, describe, expect, it } from 'vitest';
import { fatImage } from './fat-image.js';

const hosts: NodeHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

/** Reads what a host TCP connection to 127.0.0.1:`port` receives until it closes. */
function readAll(port: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no end within ${timeoutMs} ms (got ${JSON.stringify(text)})`));
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(text));
  });
}

/** The text of `path` on a FAT image held in `bytes`. */
async function readImage(bytes: Uint8Array, path: string): Promise<string> {
  const disk = new RamDisk({ sectorCount: bytes.length / 512 });
  await disk.write(0, bytes);
  const fs = createFileSystem();
  fs.mount('/', await mountFat(disk, { clock: { now: () => 0 }, readOnly: true }));
  return fs.readFile(path, 'utf8');
}

/** A backend that cannot signal frames (one end of an in-process link). */
function createPlainDevice() {
  return createLink()[0];
}

describe('nodeHost', () => {
  it('boots on a user network reachable from a host port; close shuts down, then runs onClose', async () => {
    const network = await createUserNetwork({
      hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 7 }],
    });
    const order: string[] = [];
    const booted: UnikernelControl[] = [];
    const lines: string[] = [];
    const host = nodeHost({
      net: [network.guestPort],
      log: (line) => lines.push(line),
      onBooted: (k) => booted.push(k),
      onClose: async () => {
        order.push(`onClose (kernel shut down: ${host.kernels.every((k) => k.isShutDown)})`);
        await network.close();
      },
    });
    hosts.push(host);
    const os = await boot({ net: nic() }, { host });
    expect(booted).toEqual([os]);
    expect(host.kernels).toEqual([os]);
    expect(os.services.net.address).toBe('10.0.2.15');
    expect(lines.some((l) => /libos: booting on node: net \(nic\)/.test(l))).toBe(true);

    const listener = os.services.net.stack.listenTcp({ port: 7 });
    const served = (async () => {
      const conn = await listener.accept();
      await conn.write(new TextEncoder().encode('hello from the guest'));
      await conn.end();
    })();
    const port = network.forwards[0]!.hostPort;
    expect(await readAll(port)).toBe('hello from the guest');
    await served;

    expect(host.closed).toBe(false);
    const closing = host.close();
    expect(host.close()).toBe(closing);
    await closing;
    expect(host.closed).toBe(true);
    expect(os.isShutDown).toBe(true);
    expect(order).toEqual(['onClose (kernel shut down: true)']);
    expect(network.closed).toBe(true);
  }, 60_000);

  it('frames from a signalling backend wake the unikernel, during boot too: DHCP needs no polling', async () => {
    const network = await createUserNetwork({});
    const host = nodeHost({
      net: [network.guestPort],
      log: () => {},
      onClose: () => network.close(),
    });
    hosts.push(host);
    // Every backend signals its frames: the host only polls as a safety net.
    expect(host.netPollInterval).toBeGreaterThanOrEqual(50_000);
    // With NIC polling every 10 s, the four DHCP frames could only get through if each
    // frame woke the unikernel. Without the wake-ups during boot, the OFFER waits in the
    // backend until the client's first retransmission is due (4 s ± 1 s, RFC 2131
    // §4.1): a lease before 3 s shows the frames woke it — a protocol bound, not speed.
    const started = performance.now();
    const os = await boot(
      { net: nic({ ipv4: { dhcp: { probeMicros: 0 } } }) },
      { host, netPollInterval: 10_000_000 },
    );
    expect(os.services.net.address).toBe('10.0.2.15');
    expect(performance.now() - started).toBeLessThan(3_000);
    const plain = nodeHost({ net: [createPlainDevice()], log: () => {} });
    expect(plain.netPollInterval).toBeUndefined();
    await plain.close();
  }, 30_000);

  it('worker mode: device models in a worker thread; a shared-memory disk is written and flushed', async () => {
    const image = await fatImage(4 << 20, { '/hello.txt': 'from the image' }, 'SHARED');
    const shared = new Uint8Array(new SharedArrayBuffer(image.length));
    shared.set(image);
    const lines: string[] = [];
    const host = nodeHost({
      worker: true,
      disks: [new MemoryBlockBackend(shared)],
      log: (line) => lines.push(line),
    });
    hosts.push(host);
    const os = await boot({ data: fatDisk(), rng: entropy() }, { host });
    expect(lines.some((l) => /machine: worker mode/.test(l))).toBe(true);
    expect(os.services.data.device.model).toBeUndefined(); // the model lives in the worker
    expect(await os.services.data.fs.readFile('/hello.txt', 'utf8')).toBe('from the image');
    await os.services.data.fs.writeFile('/written.txt', 'through the worker');
    const random = new Uint8Array(32);
    os.services.rng.source.fill(random);
    expect(random.some((b) => b !== 0)).toBe(true);
    await host.close();
    expect(await readImage(shared, '/written.txt')).toBe('through the worker');
  }, 60_000);

  it('worker mode refuses a disk whose bytes cannot cross to the worker', async () => {
    const host = nodeHost({
      worker: true,
      disks: [new MemoryBlockBackend(new Uint8Array(1 << 20))],
      log: () => {},
    });
    hosts.push(host);
    const booting = boot({ data: fatDisk() }, { host });
    await expect(booting).rejects.toBeInstanceOf(BootError);
    await expect(booting).rejects.toMatchObject({
      code: 'MACHINE_FAILED',
      message: expect.stringMatching(/device 0 \(blk\): in worker mode a disk must be a file/),
    });
  });

  it('worker mode refuses an entropy device with its own source', async () => {
    const host = nodeHost({ worker: true, log: () => {} });
    hosts.push(host);
    const source = { fill: (bytes: Uint8Array) => void bytes.fill(4) };
    await expect(boot({ rng: entropy({ source }) }, { host })).rejects.toMatchObject({
      code: 'MACHINE_FAILED',
      message: expect.stringMatching(/device 0 \(rng\): in worker mode an entropy device draws/),
    });
  });
});
