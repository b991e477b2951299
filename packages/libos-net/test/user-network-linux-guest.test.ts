/**
 * createUserNetwork with a real Linux guest under QEMU (virtio-net, -netdev stream): the
 * guest's busybox `udhcpc` gets its lease from the libos DhcpServer on the gateway, and
 * the host fetches a page from busybox `httpd` in the guest through a TCP host forward
 * on 127.0.0.1, and busybox `wget` in the guest reaches a host `node:http` server through
 * outbound NAT (10.0.2.2 is the host's 127.0.0.1). Frames are bridged between QEMU's
 * stream port and `guestPort`.
 * Skips without QEMU / kernel / static busybox (fails instead under CI=true).
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { emitDnsRepr, parseDnsRepr } from '@libos/net';
import type { HostFramePort } from '@libos/net/node';
import { createUserNetwork, type UserNetwork } from '@libos/net/node';
import { HostClock } from '@libos/sched';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithLinuxPeer } from '../../../test/linux-peer/describe-with-linux-peer.js';
import { useLinuxGuest } from '../../../test/linux-peer/use-linux-guest.js';

const GUEST_MAC = '52:54:00:12:34:77';

/** udhcpc calls this with $1 = bound/renew/deconfig and the lease in the environment. */
const UDHCPC_SCRIPT = [
  '#!/bin/sh',
  'if [ "$1" = bound ] || [ "$1" = renew ]; then',
  '  ip addr add "$ip/$mask" dev "$interface"',
  '  echo "LEASE ip=$ip mask=$mask router=$router dns=$dns lease=$lease serverid=$serverid"',
  'fi',
].join('\n');

describeWithLinuxPeer('user-mode network with a Linux guest (QEMU)', () => {
  const guest = useLinuxGuest({ nics: [{ mac: GUEST_MAC, transport: 'stream' }] });
  let net: UserNetwork | undefined;
  let bridging = true;
  let bridge: Promise<void> | undefined;
  let upstream: DgramSocket | undefined;
  const asked: string[] = [];

  beforeAll(async () => {
    // A fake resolver on 127.0.0.1: A queries get 192.0.2.77, others an empty answer.
    const resolver = createSocket('udp4');
    upstream = resolver;
    resolver.on('message', (m, from) => {
      const query = parseDnsRepr(m);
      if (typeof query === 'string' || query.questions.length !== 1) return;
      const question = query.questions[0]!;
      asked.push(`${question.name}/${question.type}`);
      const answers =
        question.type === 1
          ? [
              {
                name: question.name,
                class: 1,
                ttl: 60,
                data: { type: 'A' as const, address: 0xc000024d },
              },
            ]
          : [];
      const reply = {
        ...query,
        response: true,
        recursionAvailable: true,
        answers,
        authorities: [],
        additionals: [],
      };
      resolver.send(emitDnsRepr(reply), from.port, from.address);
    });
    await new Promise<void>((resolve) => resolver.bind(0, '127.0.0.1', () => resolve()));
    net = await createUserNetwork({
      dhcp: { dnsServers: ['10.0.2.3'], leaseTime: 600 },
      outbound: 'loopback',
      dns: { upstream: { address: '127.0.0.1', port: resolver.address().port } },
      hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestPort: 80 }],
    });
    const qemu = guest().nics[0]!.port as HostFramePort;
    const port = net.guestPort;
    // A two-port bridge: every frame from QEMU goes to guestPort and back, bounded turns.
    bridge = (async () => {
      while (bridging) {
        qemu.receive((frame) => void port.transmit(frame.length, (b) => b.set(frame)), 64);
        port.receive((frame) => void qemu.transmit(frame.length, (b) => b.set(frame)), 64);
        await Promise.race([qemu.waitForFrame(5), port.waitForFrame(5)]);
      }
    })();
  }, 60_000);

  afterAll(async () => {
    bridging = false;
    await bridge;
    await net?.close();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  });

  it('busybox udhcpc gets 10.0.2.15 from the libos DHCP server', async () => {
    const g = guest();
    const r = await g.run(
      `printf '%s\\n' '${UDHCPC_SCRIPT.split('\n').join("' '")}' > /tmp/udhcpc.sh && chmod +x /tmp/udhcpc.sh && ` +
        'ip link set eth0 up && udhcpc -i eth0 -n -q -t 5 -T 2 -s /tmp/udhcpc.sh && ip -4 addr show eth0',
      40_000,
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain(
      'LEASE ip=10.0.2.15 mask=24 router=10.0.2.2 dns=10.0.2.3 lease=600 serverid=10.0.2.2',
    );
    expect(r.output).toContain('inet 10.0.2.15/24');
    const leases = net!.dhcpServer!.leases(new HostClock().now());
    expect(leases).toHaveLength(1);
    expect(leases[0]!.state).toBe('bound');
    const mac = Array.from(leases[0]!.hardwareAddress, (b) => b.toString(16).padStart(2, '0'));
    expect(mac.join(':')).toBe(GUEST_MAC);
    expect(net!.dhcpServer!.stats).toMatchObject({ offers: 1, acks: 1, naks: 0 });
  }, 60_000);

  it('the host fetches a page from busybox httpd in the guest through the forward', async () => {
    const g = guest();
    const r = await g.run(
      'mkdir -p /www && echo hello-from-linux > /www/index.html && ' +
        '(httpd -p 80 -h /www </dev/null >/dev/null 2>&1 &)',
      15_000,
    );
    expect(r.exitCode, r.output).toBe(0);
    const port = net!.forwards[0]!.hostPort;
    let body = '';
    // httpd may need a moment to listen: retry a few times, bounded.
    for (let attempt = 0; attempt < 10 && body === ''; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/index.html`, {
          signal: AbortSignal.timeout(10_000),
        });
        body = await res.text();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    expect(body).toBe('hello-from-linux\n');
    expect(net!.stats.tcpAccepted).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('busybox wget fetches a page from a host node:http server through outbound NAT', async () => {
    const server = createServer((req, res) => res.end(`hello-from-host ${req.url}`));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const { port } = server.address() as { port: number };
      // The guest has 10.0.2.15/24 from the DHCP test; 10.0.2.2 is on its link.
      const r = await guest().run(`wget -q -O - http://10.0.2.2:${port}/nat-check`, 30_000);
      expect(r.exitCode, r.output).toBe(0);
      expect(r.output).toContain('hello-from-host /nat-check');
      expect(net!.stats.natTcpConnections).toBeGreaterThanOrEqual(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);

  it('busybox nslookup resolves a name through the DNS relay on 10.0.2.2', async () => {
    const r = await guest().run('nslookup relay-check.example.test 10.0.2.2', 30_000);
    expect(r.output).toContain('192.0.2.77');
    expect(asked).toContain('relay-check.example.test/1');
    expect(net!.stats.dnsAnswers).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
