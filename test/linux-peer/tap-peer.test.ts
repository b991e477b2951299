/**
 * The host kernel in a fresh network namespace as a peer: ARP both ways between a TAP
 * device (bridged by socat) and a libos DgramFramePort. Root only.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, it } from 'vitest';
import { expectArpBothWays } from './arp-frames.js';
import { describeWithTapPeer } from './describe-with-linux-peer.js';
import { startTapPeer, type TapPeer } from './tap-peer.js';

describeWithTapPeer('TAP-in-netns peer', () => {
  let peer: TapPeer | undefined;
  beforeAll(async () => {
    peer = await startTapPeer({
      mac: '02:00:00:00:02:01',
      hostMac: Uint8Array.of(2, 0, 0, 0, 2, 2),
    });
  }, 30_000);
  afterAll(async () => {
    await peer?.stop();
  }, 30_000);

  it('exchanges ARP with the host kernel over a TAP in its own namespace', async () => {
    const p = peer!;
    const hasPing = spawnSync('sh', ['-c', 'command -v ping'], { stdio: 'ignore' }).status === 0;
    await expectArpBothWays({
      port: p.port,
      run: (script, ms) => p.run(script, ms),
      ifname: p.ifname,
      peerMac: p.mac,
      hostMac: Uint8Array.of(2, 0, 0, 0, 2, 2),
      net: [10, 9, 0],
      ping: hasPing ? 'ping' : 'busybox ping',
    });
  }, 60_000);
});
