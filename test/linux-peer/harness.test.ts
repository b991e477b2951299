/**
 * The harness's own building blocks, without booting anything: the cpio writer (checked
 * by busybox's cpio reader) and the module dependency order (from the real modules.dep).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCpio } from './cpio.js';
import { describeWithLinuxPeer } from './describe-with-linux-peer.js';
import { moduleLoadOrder, moduleName } from './kernel.js';
import { linuxPeerSupport } from './requirements.js';

describe('moduleName', () => {
  it('strips directories and compression suffixes and normalises dashes', () => {
    expect(moduleName('kernel/drivers/net/virtio_net.ko')).toBe('virtio_net');
    expect(moduleName('kernel/drivers/char/hw_random/virtio-rng.ko.xz')).toBe('virtio_rng');
    expect(moduleName('kernel/net/core/failover.ko.zst')).toBe('failover');
  });
});

describeWithLinuxPeer('Linux peer harness parts', () => {
  it('writes a newc archive that busybox cpio lists and extracts byte-exact', () => {
    const payload = Uint8Array.from({ length: 1001 }, (_, i) => (i * 7) & 0xff);
    const archive = writeCpio([
      { kind: 'directory', path: 'bin' },
      { kind: 'file', path: 'bin/data', data: payload, mode: 0o755 },
      { kind: 'symlink', path: 'bin/link', target: 'data' },
      { kind: 'file', path: 'odd-name.txt', data: new TextEncoder().encode('abc') },
    ]);
    expect(archive.length % 4).toBe(0);
    const { busybox } = linuxPeerSupport();
    const list = spawnSync(busybox, ['cpio', '-t'], { input: archive, encoding: 'utf8' });
    expect(list.stdout.trim().split('\n')).toEqual(['bin', 'bin/data', 'bin/link', 'odd-name.txt']);
    const dir = mkdtempSync(join(tmpdir(), 'libos-cpio-'));
    try {
      const x = spawnSync(busybox, ['cpio', '-i', '-d'], { input: archive, cwd: dir });
      expect(x.status).toBe(0);
      expect(new Uint8Array(readFileSync(join(dir, 'bin/data')))).toEqual(payload);
      expect(statSync(join(dir, 'bin/data')).mode & 0o777).toBe(0o755);
      expect(readlinkSync(join(dir, 'bin/link'))).toBe('data');
      expect(readFileSync(join(dir, 'odd-name.txt'), 'utf8')).toBe('abc');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('orders virtio-net modules after their dependencies', () => {
    const kernel = linuxPeerSupport().kernel!;
    const order = moduleLoadOrder(kernel.modulesDir, ['virtio_pci', 'virtio_net']).map(moduleName);
    const before = (a: string, b: string): boolean => order.indexOf(a) < order.indexOf(b);
    for (const m of ['virtio_ring', 'virtio', 'failover', 'net_failover', 'virtio_net']) {
      if (order.length > 0) expect(order, m).toContain(m);
    }
    expect(before('virtio_ring', 'virtio')).toBe(true);
    expect(before('virtio', 'virtio_pci')).toBe(true);
    expect(before('failover', 'net_failover')).toBe(true);
    expect(before('net_failover', 'virtio_net')).toBe(true);
    expect(new Set(order).size).toBe(order.length);
    expect(() => moduleLoadOrder(kernel.modulesDir, ['no_such_module_xyz'])).toThrow(/not found/);
  });
});
