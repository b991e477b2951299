/**
 * The libos stack against the host Linux kernel in a fresh network namespace (TAP via
 * socat): UDP echo both ways with socat, and a DHCP lease plus a DNS answer from a real
 * dnsmasq; the capture of it all opens in tshark. Root only (see tap-peer.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStack, formatIpv4Address, PcapWriter, type Stack } from '@libos/net';
import { HostClock, HostEntropy } from '@libos/sched';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithTapPeer } from './describe-with-linux-peer.js';
import { runStack, type StackRunner } from './run-stack.js';
import { startTapPeer, type TapPeer } from './tap-peer.js';

const HOST_MAC = Uint8Array.of(2, 0, 0, 0, 3, 2);
const required = process.env.CI === 'true';
const hasDnsmasq = spawnSync('sh', ['-c', 'command -v dnsmasq'], { stdio: 'ignore' }).status === 0;

describeWithTapPeer('libos stack vs the host kernel (TAP in a namespace)', () => {
  let peer: TapPeer | undefined;
  let stack: Stack | undefined;
  let runner: StackRunner | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'libos-tap-stack-'));
  const chunks: Uint8Array[] = [];

  beforeAll(async () => {
    peer = await startTapPeer({ mac: '02:00:00:00:03:01', hostMac: HOST_MAC });
    await peer.run(
      `ip addr add 10.7.0.1/24 dev ${peer.ifname} && ip link set ${peer.ifname} up && ip link set lo up`,
    );
    const clock = new HostClock();
    const capture = new PcapWriter(peer.port, {
      clock,
      sink: (chunk) => chunks.push(chunk.slice()),
    });
    stack = createStack({
      devices: [{ device: capture, ipv4: 'dhcp' }],
      clock,
      entropy: new HostEntropy(),
    });
    runner = runStack(stack, peer.port, clock);
  }, 30_000);

  afterAll(async () => {
    await runner?.stop();
    await peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('gets a DHCP lease from dnsmasq and resolves a name through it', async () => {
    if (!hasDnsmasq) {
      if (required)
        throw new Error('dnsmasq is required under CI=true (apt-get install dnsmasq-base)');
      console.warn('skipping: dnsmasq not installed');
      return;
    }
    const p = peer!;
    const s = stack!;
    // dnsmasq in the namespace: DHCP for 10.7.0.50-59; DNS for peer.libos.test and a CNAME to it.
    const pidFile = join(dir, 'dnsmasq.pid');
    await p.run(
      `dnsmasq --interface=${p.ifname} --bind-interfaces --except-interface=lo --no-resolv --no-hosts ` +
        `--dhcp-range=10.7.0.50,10.7.0.59,255.255.255.0,1h --dhcp-option=option:router,10.7.0.1 ` +
        `--dhcp-option=option:dns-server,10.7.0.1 --host-record=peer.libos.test,10.7.0.1 --local=/libos.test/ ` +
        `--cname=www.libos.test,peer.libos.test --dhcp-leasefile=${join(dir, 'leases')} --pid-file=${pidFile} --user=root`,
      10_000,
    );
    try {
      const iface = s.interfaces[0]!;
      for (let i = 0; i < 200 && !iface.ipv4; i++) await new Promise((r) => setTimeout(r, 50));
      expect(iface.ipv4, 'no lease within 10 s').toBeDefined();
      const address = formatIpv4Address(iface.ipv4!.address);
      expect(address).toMatch(/^10\.7\.0\.5\d$/);
      expect(iface.ipv4!.prefixLength).toBe(24);
      expect(s.dhcpClient(iface)?.lease?.routers).toEqual([0x0a070001]);
      // dnsmasq recorded the lease for our MAC.
      const leases = (await p.run(`cat ${join(dir, 'leases')}`)).output;
      expect(leases).toContain('02:00:00:00:03:02');
      expect(leases).toContain(address);
      const answer = await s.resolve('www.libos.test', 'A');
      expect(answer.addresses.map((a) => a.address)).toEqual([0x0a070001]);
      expect(answer.cnameChain.length).toBeGreaterThanOrEqual(1);
      await expect(s.resolve('missing.libos.test', 'A')).rejects.toMatchObject({
        code: 'ENOTFOUND',
      });
    } finally {
      await p.run(`kill $(cat ${pidFile})`);
    }
  }, 60_000);

  it('echoes UDP both ways with socat', async () => {
    const p = peer!;
    const s = stack!;
    if (!s.interfaces[0]!.ipv4) s.configureIpv4(s.interfaces[0]!, { address: '10.7.0.2/24' });
    const me = formatIpv4Address(s.interfaces[0]!.ipv4!.address);
    // Linux → libos: a libos echo socket, socat in the namespace sends and prints the reply.
    const echo = s.bindUdp({ port: 7007 });
    const echoing = (async () => {
      for await (const m of echo) await echo.send(m.data, m.address, m.port);
    })();
    const fromLinux = await p.run(
      `echo hello-from-linux | timeout 5 socat -t 2 - UDP:${me}:7007`,
      10_000,
    );
    expect(fromLinux.output.trim()).toBe('hello-from-linux');
    echo.close();
    await echoing;
    // libos → Linux: socat echo server in the namespace, libos sends and receives.
    const pidFile = join(dir, 'socat.pid');
    await p.run(
      `socat UDP-RECVFROM:7008,fork EXEC:cat </dev/null >/dev/null 2>&1 & echo $! > ${pidFile}`,
      5_000,
    );
    try {
      const client = s.bindUdp();
      const big = new Uint8Array(3000).map((_, i) => (i * 13) & 0xff); // fragmented both ways
      // One receive outstanding across attempts: an abandoned receive() would take the
      // next reply. Until socat is up, the kernel answers with port unreachable.
      let reply: Uint8Array | undefined;
      let pending = client.receive();
      for (let attempt = 0; attempt < 40 && !reply; attempt++) {
        await client.send(big, '10.7.0.1', 7008);
        const outcome = await Promise.race([
          pending.then(
            (m) => m.data,
            () => 'refused' as const,
          ),
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 250)),
        ]);
        if (outcome === 'refused') pending = client.receive();
        else if (outcome !== 'timeout') reply = outcome;
      }
      expect(reply).toEqual(big);
      client.close();
    } finally {
      await p.run(`kill $(cat ${pidFile})`);
    }
  }, 60_000);

  it('answers pings from Linux, and pings Linux', async () => {
    const p = peer!;
    const s = stack!;
    const me = formatIpv4Address(s.interfaces[0]!.ipv4!.address);
    const ping =
      spawnSync('sh', ['-c', 'command -v ping'], { stdio: 'ignore' }).status === 0
        ? 'ping'
        : 'busybox ping';
    const r = await p.run(`${ping} -c 2 -W 2 ${me} && ${ping} -c 1 -W 2 -s 4000 ${me}`, 20_000);
    expect(r.exitCode, r.output).toBe(0);
    const reply = await s.ping('10.7.0.1', { size: 2000, timeoutMicros: 2_000_000 });
    expect(reply.bytes).toBe(2000);
  }, 60_000);

  it('wrote a capture that tshark reads: DHCP, DNS, UDP, ICMP and ARP', () => {
    if (spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status !== 0) {
      if (required) throw new Error('tshark is required under CI=true');
      return;
    }
    const file = join(dir, 'capture.pcap');
    writeFileSync(file, Buffer.concat(chunks));
    const protocols = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-e', 'frame.protocols'],
      {
        encoding: 'utf8',
      },
    );
    for (const p of ['arp', 'icmp', 'udp']) expect(protocols).toContain(p);
    if (hasDnsmasq) {
      expect(protocols).toContain('dhcp');
      expect(protocols).toContain('dns');
    }
    // tshark finds no malformed packets in what libos sent or received.
    const malformed = execFileSync(
      'tshark',
      ['-r', file, '-Y', '_ws.malformed || _ws.expert.severity == error'],
      {
        encoding: 'utf8',
      },
    );
    expect(malformed.trim()).toBe('');
  });
});
