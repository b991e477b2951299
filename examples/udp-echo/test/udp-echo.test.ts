/**
 * The udp-echo example: its image (libos build) links @libos/net but no byte of
 * @libos/fs, and booted on a Node host with user-mode networking it echoes datagrams
 * sent to the host's forwarded 127.0.0.1 port.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installHost } from '@libos/boot';
import { nodeHost } from '@libos/boot/node';
import { buildImage } from '@libos/cli';
import { createUserNetwork, type UserNetwork } from '@libos/net/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootExample } from '../../boot-example.js';

const entry = join(import.meta.dirname, '..', 'main.ts');
let dir: string;
let network: UserNetwork;
let host: ReturnType<typeof nodeHost>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'libos-udp-echo-'));
  network = await createUserNetwork({
    hostForwards: [{ protocol: 'udp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 7 }],
  });
  host = nodeHost({ net: [network.guestPort], log: () => {}, onClose: () => network.close() });
}, 30_000);

afterAll(async () => {
  installHost(undefined);
  await host?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('examples/udp-echo', () => {
  it('builds into an image with no @libos/fs in its link map', async () => {
    const image = await buildImage({ entry, outDir: dir });
    expect(image.notLinked).toContain('@libos/fs');
    expect(image.packages['@libos/fs'] ?? 0).toBe(0);
    expect(image.packages['@libos/net']).toBeGreaterThan(10_000);
    expect(image.packages['@libos/boot']).toBeGreaterThan(1_000);
  }, 60_000);

  it('echoes datagrams sent to the forwarded host port', async () => {
    await bootExample(host, () => import('../main.js'));
    const socket = createSocket('udp4');
    try {
      const replies: string[] = [];
      socket.on('message', (m) => replies.push(m.toString()));
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      const port = network.forwards[0]!.hostPort;
      for (let i = 0; i < 20 && replies.length < 3; i++) {
        for (const text of ['one', 'two', 'three']) {
          if (!replies.includes(text)) socket.send(text, port, '127.0.0.1');
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(new Set(replies)).toEqual(new Set(['one', 'two', 'three']));
    } finally {
      socket.close();
    }
  });
});
