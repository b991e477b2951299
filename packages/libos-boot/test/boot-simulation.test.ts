/**
 * boot() under virtual time: two unikernels on a link, static addresses, a disk and an
 * entropy device; errors a user can cause; shutdown flushes the disk.
 */
import { BootError, type BootHost, boot, runSimulated, simulationHost } from '@libos/boot';
import { console as tty } from '@libos/boot/console';
import { fatDisk } from '@libos/boot/fs';
import { nic } from '@libos/boot/net';
import { entropy } from '@libos/boot/rng';
import { createFileSystem, mountFat } from '@libos/fs';
import { createLink } from '@libos/net';
import { Simulation } from '@libos/sched';
import { MemoryBlockBackend } from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { fatImage } from './fat-image.js';

describe('boot (simulation host)', () => {
  it('boots two unikernels that ping and talk TCP, with typed handles and a boot log', async () => {
    const sim = new Simulation({ seed: 3 });
    const [a, b] = createLink();
    const lines: string[] = [];
    const result = await runSimulated(sim, async () => {
      const host = simulationHost(sim, { onLog: (line) => lines.push(line) });
      const server = await boot(
        { net: nic({ backend: a, ipv4: { address: '10.0.0.1/24' } }), rng: entropy() },
        { host },
      );
      const client = await boot(
        { net: nic({ backend: b, ipv4: { address: '10.0.0.2/24' } }) },
        { host },
      );
      expect(server.services.net.address).toBe('10.0.0.1');
      const random = new Uint8Array(16);
      server.services.rng.source.fill(random);
      expect(random.some((x) => x !== 0)).toBe(true);

      const listener = server.services.net.stack.listenTcp({ port: 7 });
      const served = (async () => {
        const conn = await listener.accept();
        const got = await conn.read();
        await conn.write(got!);
        await conn.end();
      })();
      const conn = await client.services.net.stack.connectTcp({ address: '10.0.0.1', port: 7 });
      await conn.write(new TextEncoder().encode('hello'));
      const echo = await conn.read();
      await served;
      const rtt = await client.services.net.stack.ping('10.0.0.1');
      await client.shutdown();
      await server.shutdown();
      return { echo: new TextDecoder().decode(echo!), rtt: rtt.bytes, boot: server.bootMicros };
    });
    expect(result.echo).toBe('hello');
    expect(result.rtt).toBeGreaterThan(0);
    // Virtual time: booting costs no simulated time for static addresses.
    expect(result.boot).toBe(0);
    expect(lines[0]).toMatch(
      /^\[ +0\.000000\] libos: booting on simulation: net \(nic\), rng \(entropy\)$/,
    );
    expect(lines.some((l) => /virtio-net/.test(l))).toBe(true);
    expect(lines.some((l) => /net: eth0 [0-9a-f:]{17} mtu 1500, link up/.test(l))).toBe(true);
    expect(lines.some((l) => /net: eth0 10\.0\.0\.1\/24 \(static\)/.test(l))).toBe(true);
    expect(lines.filter((l) => /libos: up in/.test(l))).toHaveLength(2);
  });

  it('mounts a FAT disk read-only, refuses writes, and flushes a read-write disk at shutdown', async () => {
    const sim = new Simulation({ seed: 4 });
    const image = await fatImage(4 << 20, { '/www/index.html': '<h1>hi</h1>' }, 'WWW');
    const lines: string[] = [];
    const backend = new MemoryBlockBackend(image);
    await runSimulated(sim, async () => {
      const host = simulationHost(sim, { onLog: (l) => lines.push(l) });
      const ro = await boot({ www: fatDisk({ backend, readOnly: true }) }, { host });
      const text = await ro.services.www.fs.readFile('/www/index.html', 'utf8');
      expect(text).toBe('<h1>hi</h1>');
      await expect(ro.services.www.fs.writeFile('/x.txt', 'no')).rejects.toMatchObject({
        code: 'EROFS',
      });
      await ro.shutdown();

      const rw = await boot({ data: fatDisk({ backend, mountPoint: '/data' }) }, { host });
      await rw.services.data.fs.writeFile('/data/new.txt', 'kept');
      await rw.shutdown();
      expect(rw.isShutDown).toBe(true);
    });
    expect(lines.some((l) => /www: vda 4 MiB FAT12 "WWW" mounted read-only at \//.test(l))).toBe(
      true,
    );
    // Mount the bytes again outside the unikernel: the write survived shutdown.
    const { RamDisk } = await import('@libos/fs');
    const again = await mountFat(
      new RamDisk({ sectorCount: image.length / 512, contents: backend.bytes }),
      {
        clock: { now: () => 0 },
      },
    );
    const fs = createFileSystem();
    fs.mount('/', again);
    expect(await fs.readFile('/new.txt', 'utf8')).toBe('kept');
  });

  it('writes console output to the given sink', async () => {
    const sim = new Simulation({ seed: 5 });
    const out: string[] = [];
    await runSimulated(sim, async () => {
      const os = await boot(
        { tty: tty({ output: (bytes) => out.push(new TextDecoder().decode(bytes)) }) },
        { host: simulationHost(sim) },
      );
      await os.services.tty.print('booted\n');
      await os.shutdown();
    });
    expect(out.join('')).toBe('booted\n');
  });

  it('refuses to boot without a host, without a backend, or on a disk that is not FAT', async () => {
    await expect(boot({ net: nic() })).rejects.toMatchObject({
      name: 'BootError',
      code: 'NO_HOST',
    });
    const sim = new Simulation({ seed: 6 });
    await runSimulated(sim, async () => {
      const host: BootHost = simulationHost(sim);
      await expect(boot({ net: nic() }, { host })).rejects.toMatchObject({
        code: 'NO_BACKEND',
        service: 'net',
      });
      const blank = new MemoryBlockBackend(new Uint8Array(1 << 20));
      const failure = boot({ disk: fatDisk({ backend: blank }) }, { host });
      await expect(failure).rejects.toBeInstanceOf(BootError);
      await expect(failure).rejects.toMatchObject({ code: 'SERVICE_FAILED', service: 'disk' });
      await expect(failure).rejects.toThrow(/disk: vda \(1 MiB\) holds no FAT file system/);
    });
    expect(() => nic({ dhcpTimeoutMs: 0 })).toThrow(BootError);
  });

  it('times out waiting for a DHCP lease nobody answers, and tears the machine down', async () => {
    const sim = new Simulation({ seed: 7 });
    const [a] = createLink();
    const started = sim.now();
    await runSimulated(sim, async () => {
      await expect(
        boot({ net: nic({ backend: a, dhcpTimeoutMs: 3000 }) }, { host: simulationHost(sim) }),
      ).rejects.toMatchObject({
        code: 'SERVICE_FAILED',
        message: 'net: no DHCP lease within 3000 ms',
      });
    });
    expect(sim.now() - started).toBeGreaterThanOrEqual(3_000_000);
  });
});
