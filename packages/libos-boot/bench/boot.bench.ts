/**
 * P5 (PERFORMANCE.md): boot time of the http-server machine in-process — `boot()` of a
 * NIC configured by DHCP through user-mode networking plus a read-only FAT disk, from
 * the call until every service is up (`Unikernel.bootMicros`, host clock). Each reading
 * boots a fresh unikernel on a fresh host and user network and shuts it down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boot } from '@libos/boot';
import { fatDisk } from '@libos/boot/fs';
import { nic } from '@libos/boot/net';
import { buildFatImage } from '@libos/fs/node';
import type { Gauge } from '../../../bench/harness.js';
import { userNetworkHost } from './user-network-host.js';

const dir = mkdtempSync(join(tmpdir(), 'libos-p5-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const site = join(import.meta.dirname, '..', '..', '..', 'examples', 'http-server', 'www');
const image = join(dir, 'www.img');
let built: Promise<unknown> | undefined;

/** Boots the http-server's services once; returns the boot time in ms. */
async function bootOnce(dhcp: boolean): Promise<number> {
  built ??= buildFatImage(site, image, { label: 'WWW' });
  await built;
  const { host } = await userNetworkHost(image);
  try {
    const os = await boot(
      {
        // As examples/http-server: DHCP without the ARP probe (the gateway is alone on the link).
        net: nic({
          ipv4: dhcp
            ? { dhcp: { probeMicros: 0 } }
            : { address: '10.0.2.15/24', gateway: '10.0.2.2' },
        }),
        www: fatDisk({ readOnly: true }),
      },
      { host },
    );
    return os.bootMicros / 1000;
  } finally {
    await host.close();
  }
}

export const gauges: Gauge[] = [
  {
    id: 'P5-boot',
    title:
      'boot() of the http-server machine in-process: NIC by DHCP + read-only FAT disk, until every service is up',
    conditions:
      'node host, user-mode network (gateway DHCP, no ARP probe), 16 MiB guest memory, 2 MiB FAT image file',
    unit: 'ms',
    read: () => bootOnce(true),
    goalAtMost: 5,
  },
  {
    id: 'P5-boot-static',
    title: 'the same boot with a static address (no DHCP exchange)',
    conditions: 'as P5-boot, ipv4 10.0.2.15/24',
    unit: 'ms',
    read: () => bootOnce(false),
    goalAtMost: 5,
  },
];
