/**
 * The libos stack against a Linux guest under QEMU (virtio-net, -netdev stream): a DHCP
 * lease from busybox udhcpd, pings both ways (fragmented too), ICMP port unreachable
 * seen by Linux's traceroute, and ARP cache entries on both sides.
 */
import { createStack, formatIpv4Address, type Stack } from '@libos/net';
import type { HostFramePort } from '@libos/net/node';
import { HostClock, HostEntropy } from '@libos/sched';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithLinuxPeer } from './describe-with-linux-peer.js';
import { runStack, type StackRunner } from './run-stack.js';
import { useLinuxGuest } from './use-linux-guest.js';

const HOST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x99, 0x00, 0x02);
const GUEST_MAC = '52:54:00:99:00:01';

const UDHCPD_CONF = [
  'start 10.0.2.100',
  'end 10.0.2.110',
  'interface eth0',
  'lease_file /tmp/udhcpd.leases',
  'option subnet 255.255.255.0',
  'option router 10.0.2.15',
  'option dns 10.0.2.15',
  'option lease 600',
  'auto_time 1',
].join('\n');

describeWithLinuxPeer('libos stack vs a Linux guest (QEMU)', () => {
  const guest = useLinuxGuest({
    nics: [{ mac: GUEST_MAC, hostMac: HOST_MAC, transport: 'stream' }],
  });
  let stack: Stack | undefined;
  let runner: StackRunner | undefined;

  beforeAll(async () => {
    const g = guest();
    await g.run(
      `ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && touch /tmp/udhcpd.leases && ` +
        `printf '%s\\n' '${UDHCPD_CONF.split('\n').join("' '")}' > /tmp/udhcpd.conf && ` +
        `(udhcpd -f /tmp/udhcpd.conf </dev/null >/tmp/udhcpd.log 2>&1 &)`,
      15_000,
    );
    const port = g.nics[0]!.port as HostFramePort;
    const clock = new HostClock();
    stack = createStack({ devices: [port], clock, entropy: new HostEntropy(), ipv4: 'dhcp' });
    runner = runStack(stack, port, clock);
  }, 60_000);

  afterAll(async () => {
    await runner?.stop();
  });

  it('gets a lease from busybox udhcpd', async () => {
    const s = stack!;
    const iface = s.interfaces[0]!;
    for (let i = 0; i < 600 && !iface.ipv4; i++) await new Promise((r) => setTimeout(r, 50));
    expect(iface.ipv4, 'no lease within 30 s').toBeDefined();
    expect(formatIpv4Address(iface.ipv4!.address)).toMatch(/^10\.0\.2\.1(0\d|10)$/);
    const lease = s.dhcpClient(iface)!.lease!;
    expect(lease.routers).toEqual([0x0a00020f]);
    expect(lease.dnsServers).toEqual([0x0a00020f]);
    expect(lease.leaseTime).toBe(600);
    expect(s.resolver.servers).toEqual([0x0a00020f]);
    // udhcpd writes its lease file every `auto_time` seconds.
    const mac = Array.from(HOST_MAC, (b) => b.toString(16).padStart(2, '0')).join(':');
    const leases = await guest().run(
      `for i in 1 2 3 4 5; do dumpleases -f /tmp/udhcpd.leases | grep -q ${mac} && break; sleep 1; done; dumpleases -f /tmp/udhcpd.leases`,
      15_000,
    );
    expect(leases.output.toLowerCase()).toContain(mac);
    expect(leases.output).toContain(formatIpv4Address(iface.ipv4!.address));
  }, 60_000);

  it('answers pings from Linux, also fragmented, and Linux learned our MAC', async () => {
    const me = formatIpv4Address(stack!.interfaces[0]!.ipv4!.address);
    const r = await guest().run(
      `ping -c 2 -W 3 ${me} && ping -c 1 -W 3 -s 3000 ${me} && ip neigh show ${me}`,
      40_000,
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain('52:54:00:99:00:02');
  }, 60_000);

  it('pings Linux through the default route learned from DHCP', async () => {
    const reply = await stack!.ping('10.0.2.15', { size: 1800, timeoutMicros: 5_000_000 });
    expect(reply.bytes).toBe(1800);
    expect(reply.ttl).toBe(64);
  }, 30_000);

  it("answers Linux's UDP traceroute probes with ICMP port unreachable", async () => {
    const me = formatIpv4Address(stack!.interfaces[0]!.ipv4!.address);
    const r = await guest().run(`traceroute -n -q 1 -w 3 -m 2 ${me}`, 30_000);
    expect(r.exitCode, r.output).toBe(0);
    // One hop, answered by us: traceroute stops at the port-unreachable reply.
    expect(r.output).toMatch(new RegExp(` 1  ${me.replace(/\./g, '\\.')} `));
    expect(stack!.stats.icmp.errorsSent).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
