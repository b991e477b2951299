/**
 * A real Linux kernel on the far end of libos frame ports: the guest boots, its NICs
 * carry the MACs we gave them, and ARP flows both ways through a StreamFramePort
 * (QEMU -netdev stream) and a DgramFramePort (QEMU -netdev dgram).
 */
import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { expectArpBothWays } from './arp-frames.js';
import { describeWithLinuxPeer } from './describe-with-linux-peer.js';
import { linuxPeerSupport } from './requirements.js';
import { useLinuxGuest } from './use-linux-guest.js';

const HOST_MACS = [
  Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x02),
  Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x35, 0x02),
];
const NICS = [
  { mac: '52:54:00:12:34:56', hostMac: HOST_MACS[0]!, transport: 'stream' as const },
  { mac: '52:54:00:12:35:56', hostMac: HOST_MACS[1]!, transport: 'dgram' as const },
];

describeWithLinuxPeer('Linux guest peer', () => {
  const guest = useLinuxGuest({ nics: NICS });

  it('boots the installed kernel, with each NIC carrying the MAC we gave it', async () => {
    const g = guest();
    const uname = await g.run('uname -r', 10_000);
    expect(uname).toEqual({ output: `${linuxPeerSupport().kernel?.version}\n`, exitCode: 0 });
    for (const nic of g.nics) {
      const r = await g.run(`cat /sys/class/net/${nic.name}/address`, 10_000);
      expect(r).toEqual({ output: `${nic.mac}\n`, exitCode: 0 });
    }
    const config = `/boot/config-${g.kernelVersion}`;
    if (existsSync(config) && /^CONFIG_PVH=y$/m.test(readFileSync(config, 'utf8'))) {
      expect(g.bootedFrom).toBe('vmlinux'); // the fast path works for a PVH-capable kernel
    }
    // The console protocol carries exit codes, stderr and multi-chunk scripts intact.
    expect(await g.run('echo oops >&2; exit 3', 10_000)).toEqual({ output: 'oops\n', exitCode: 3 });
    const long = 'x'.repeat(5000);
    expect(await g.run(`printf %s ${long} | wc -c`, 10_000)).toEqual({
      output: '5000\n',
      exitCode: 0,
    });
  }, 60_000);

  it('kills a command that outlives its timeout and keeps serving', async () => {
    const g = guest();
    const started = performance.now();
    await expect(g.run('sleep 30', 1000)).rejects.toMatchObject({ code: 'RUN_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(await g.run('echo alive', 10_000)).toEqual({ output: 'alive\n', exitCode: 0 });
  }, 60_000);

  it.each([0, 1])(
    'exchanges ARP with the guest kernel over NIC %i (stream, then dgram)',
    async (i) => {
      const g = guest();
      const nic = g.nics[i]!;
      await expectArpBothWays({
        port: nic.port,
        run: (script, ms) => g.run(script, ms),
        ifname: nic.name,
        peerMac: nic.mac,
        hostMac: HOST_MACS[i]!,
        net: [10, 0, 2 + i],
        ping: 'ping',
      });
    },
    60_000,
  );
});
