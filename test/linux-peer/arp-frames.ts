/**
 * Hand-built ARP (RFC 826) over Ethernet II for the peer tests — deliberately
 * independent of the libos wire code under test.
 */
import type { NetDevice } from '@libos/net/node';
import { expect } from 'vitest';

export const macBytes = (text: string): Uint8Array =>
  Uint8Array.from(text.split(':'), (h) => Number.parseInt(h, 16));
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 826 ARP over Ethernet II (EtherType 0x0806), padded to the 60-byte minimum. */
export function arpFrame(
  op: 1 | 2,
  dst: Uint8Array,
  sha: Uint8Array,
  spa: readonly number[],
  tha: Uint8Array,
  tpa: readonly number[],
): Uint8Array {
  const f = new Uint8Array(60);
  f.set(dst, 0);
  f.set(sha, 6);
  f.set([0x08, 0x06], 12);
  f.set([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, op], 14); // htype Ethernet, ptype IPv4, hlen, plen, op
  f.set(sha, 22);
  f.set(spa, 28);
  f.set(tha, 32);
  f.set(tpa, 38);
  return f;
}

export interface Arp {
  dst: string;
  src: string;
  op: number;
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
}

export function parseArp(f: Uint8Array): Arp | undefined {
  if (f.length < 42 || f[12] !== 0x08 || f[13] !== 0x06) return undefined;
  if (hex(f.subarray(14, 20)) !== '000108000604') return undefined;
  const ip = (at: number): string => Array.from(f.subarray(at, at + 4)).join('.');
  return {
    dst: hex(f.subarray(0, 6)),
    src: hex(f.subarray(6, 12)),
    op: (f[20]! << 8) | f[21]!,
    sha: hex(f.subarray(22, 28)),
    spa: ip(28),
    tha: hex(f.subarray(32, 38)),
    tpa: ip(38),
  };
}

/** The first received ARP packet that `match` accepts, within `timeoutMs` (bounded loop). */
/** A NetDevice a test can sleep on (every host frame port). */
export type PolledPort = NetDevice & {
  waitForFrame(ms?: number): Promise<boolean>;
  readonly stats: { readonly transmitRefused: number };
};

export async function nextArp(
  port: PolledPort,
  match: (a: Arp) => boolean,
  timeoutMs: number,
): Promise<Arp> {
  const deadline = performance.now() + timeoutMs;
  const seen: string[] = [];
  while (performance.now() < deadline) {
    let found: Arp | undefined;
    port.receive((f) => {
      const a = parseArp(f);
      seen.push(hex(f.subarray(0, 14)));
      if (!found && a && match(a)) found = a;
    }, 64);
    if (found) return found;
    await port.waitForFrame(Math.max(1, deadline - performance.now()));
  }
  throw new Error(`no matching ARP within ${timeoutMs} ms; saw headers ${seen.join(' ')}`);
}

/** What {@link expectArpBothWays} needs: our port and a shell on the peer's side. */
export interface ArpPeer {
  readonly port: PolledPort;
  readonly run: (
    script: string,
    timeoutMs: number,
  ) => Promise<{ output: string; exitCode: number }>;
  /** The peer's interface on this link. */
  readonly ifname: string;
  /** Its MAC, `aa:bb:…`. */
  readonly peerMac: string;
  /** Our port's MAC. */
  readonly hostMac: Uint8Array;
  /** A /24: the peer gets .15, we are .2. */
  readonly net: readonly number[];
  /** The peer's ping command. */
  readonly ping: string;
}

/**
 * Configures the peer's interface, makes its kernel ARP for us (checking the who-has
 * byte by byte), then asks for its address with a hand-built request and checks the
 * kernel's reply and that it learned our MAC.
 */
export async function expectArpBothWays(p: ArpPeer): Promise<void> {
  const { port, hostMac } = p;
  const peerMac = macBytes(p.peerMac);
  const peerIp = [...p.net, 15];
  const hostIp = [...p.net, 2];
  const setup = await p.run(
    `ip addr add ${peerIp.join('.')}/24 dev ${p.ifname} && ip link set ${p.ifname} up`,
    10_000,
  );
  expect(setup).toEqual({ output: '', exitCode: 0 });
  port.receive(() => {}, 1024); // whatever the link-up produced so far

  // Peer → us: its ARP who-has for the host address, from its MAC, broadcast.
  const ping = await p.run(`${p.ping} -c 1 -W 1 ${hostIp.join('.')}`, 15_000);
  expect(ping.exitCode).not.toBe(0); // nobody answers ARP yet
  const whoHas = await nextArp(port, (a) => a.op === 1 && a.tpa === hostIp.join('.'), 10_000);
  expect(whoHas).toEqual({
    dst: 'ffffffffffff',
    src: hex(peerMac),
    op: 1,
    sha: hex(peerMac),
    spa: peerIp.join('.'),
    tha: whoHas.tha, // zeros, or a stale entry's address: not asserted
    tpa: hostIp.join('.'),
  });

  // Us → peer: who-has peerIp; the kernel answers to our MAC.
  const broadcast = macBytes('ff:ff:ff:ff:ff:ff');
  const request = arpFrame(1, broadcast, hostMac, hostIp, new Uint8Array(6), peerIp);
  expect(port.transmit(request.length, (buf) => buf.set(request))).toBe(true);
  const reply = await nextArp(port, (a) => a.op === 2, 10_000);
  expect(reply).toEqual({
    dst: hex(hostMac),
    src: hex(peerMac),
    op: 2,
    sha: hex(peerMac),
    spa: peerIp.join('.'),
    tha: hex(hostMac),
    tpa: hostIp.join('.'),
  });
  // ...and learned our address from the request (RFC 826 "merge" step).
  const neigh = await p.run(`ip neigh show ${hostIp.join('.')} dev ${p.ifname}`, 10_000);
  const hostMacText = Array.from(hostMac, (b) => b.toString(16).padStart(2, '0')).join(':');
  expect(neigh.output).toContain(`lladdr ${hostMacText}`);
  expect(port.stats.transmitRefused).toBe(0);
}
