/**
 * TCP against the Linux kernel in a QEMU guest: busybox wget fetches several MiB from an
 * unmodified node:http server running on libos TCP, libos fetches a file from busybox
 * httpd, and the same download survives a lossy link (seeded fault injector).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createStack, FaultInjector, type Stack, type TcpStream } from '@libos/net';
import { type HostFramePort, serveHttp } from '@libos/net/node';
import { HostClock, HostEntropy } from '@libos/sched';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithLinuxPeer } from './describe-with-linux-peer.js';
import { runStack, type StackRunner } from './run-stack.js';
import { useLinuxGuest } from './use-linux-guest.js';

const BODY = Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 2654435761) >>> 24);
const BODY_SHA = createHash('sha256').update(BODY).digest('hex');

async function readAll(conn: TcpStream): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) parts.push(chunk);
  return Buffer.concat(parts);
}

describeWithLinuxPeer('libos TCP vs a Linux guest (QEMU)', () => {
  const guest = useLinuxGuest({
    nics: [
      {
        mac: '52:54:00:77:00:01',
        hostMac: Uint8Array.of(0x52, 0x54, 0, 0x77, 0, 2),
        transport: 'stream',
      },
      {
        mac: '52:54:00:77:01:01',
        hostMac: Uint8Array.of(0x52, 0x54, 0, 0x77, 1, 2),
        transport: 'stream',
      },
    ],
  });
  let plain: Stack | undefined;
  let lossy: Stack | undefined;
  const runners: StackRunner[] = [];
  const http = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': BODY.length,
      });
      res.end(BODY);
    } else {
      res.writeHead(404).end('no\n');
    }
  });

  beforeAll(async () => {
    const g = guest();
    await g.run(
      'ip addr add 10.0.3.15/24 dev eth0 && ip link set eth0 up && ' +
        'ip addr add 10.0.4.15/24 dev eth1 && ip link set eth1 up && ' +
        'mkdir -p /www && dd if=/dev/urandom of=/www/file bs=1024 count=3072 2>/dev/null && ' +
        '(httpd -p 8081 -h /www </dev/null >/dev/null 2>&1 &)',
      30_000,
    );
    const clock = new HostClock();
    const port0 = g.nics[0]!.port as HostFramePort;
    const port1 = g.nics[1]!.port as HostFramePort;
    plain = createStack({
      devices: [port0],
      clock,
      entropy: new HostEntropy(),
      ipv4: { address: '10.0.3.2/24' },
    });
    // Second link: 2 % loss, 1 % duplication, 2 % reordering each way (seeded).
    const faults = { dropProbability: 0.02, duplicateProbability: 0.01, reorderProbability: 0.02 };
    const injector = new FaultInjector(port1, {
      clock,
      seed: 2026,
      tx: faults,
      rx: faults,
      queueFrames: 256,
    });
    lossy = createStack({
      devices: [injector],
      clock,
      entropy: new HostEntropy(),
      ipv4: { address: '10.0.4.2/24' },
    });
    runners.push(
      runStack(plain, port0, clock),
      runStack(lossy, port1, clock, () => injector.poll()),
    );
    serveHttp(plain.listenTcp({ port: 8080 }), http);
    serveHttp(lossy.listenTcp({ port: 8080 }), http);
  }, 120_000);

  afterAll(async () => {
    for (const r of runners) await r.stop();
    http.close();
  });

  it('Linux wget fetches 4 MiB from node:http on libos TCP, byte-exact', async () => {
    const r = await guest().run(
      'timeout 60 wget -q -O - http://10.0.3.2:8080/big | sha256sum',
      90_000,
    );
    expect(r.output.split(' ')[0]).toBe(BODY_SHA);
    const miss = await guest().run(
      'timeout 20 wget -q -O - http://10.0.3.2:8080/nothing; echo "exit $?"',
      30_000,
    );
    expect(miss.output).toContain('exit 1'); // 404 makes wget fail
  }, 120_000);

  it('libos fetches 3 MiB from busybox httpd, byte-exact', async () => {
    const expected = (await guest().run('sha256sum /www/file', 20_000)).output.split(' ')[0];
    const conn = await plain!.connectTcp({ address: '10.0.3.15', port: 8081 });
    await conn.write(new TextEncoder().encode('GET /file HTTP/1.0\r\nHost: 10.0.3.15\r\n\r\n'));
    const response = await readAll(conn);
    const split = response.indexOf('\r\n\r\n');
    expect(response.subarray(0, 12).toString()).toBe('HTTP/1.1 200');
    const body = response.subarray(split + 4);
    expect(body.length).toBe(3 << 20);
    expect(createHash('sha256').update(body).digest('hex')).toBe(expected);
  }, 120_000);

  it('the same 4 MiB download survives a lossy link', async () => {
    const r = await guest().run(
      'timeout 100 wget -q -O - http://10.0.4.2:8080/big | sha256sum',
      120_000,
    );
    expect(r.output.split(' ')[0]).toBe(BODY_SHA);
    const tcp = lossy!.tcp.stats;
    expect(tcp.sent).toBeGreaterThan(2800);
  }, 150_000);
});
