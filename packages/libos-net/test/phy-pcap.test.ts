import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLink, PcapFile, PcapWriter, PhyError } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { VirtualClock } from '@libos/sched';
import { afterAll, describe, expect, it } from 'vitest';

/** Hex with spaces → bytes. */
function hex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/), (h) => Number.parseInt(h, 16));
}

const GUEST_MAC = '52 54 00 12 34 56';
const GATEWAY_MAC = '52 55 0a 00 02 02';

/** RFC 826 ARP request: who-has 10.0.2.2 tell 10.0.2.15 (42 bytes). */
const ARP_REQUEST = hex(`
  ff ff ff ff ff ff ${GUEST_MAC} 08 06
  00 01 08 00 06 04 00 01 ${GUEST_MAC} 0a 00 02 0f
  00 00 00 00 00 00 0a 00 02 02`);

/** IPv4 (RFC 791) + UDP (RFC 768) 10.0.2.15:12345 → 10.0.2.2:54321, payload "ping" (46 bytes). */
const UDP_DATAGRAM = hex(`
  ${GATEWAY_MAC} ${GUEST_MAC} 08 00
  45 00 00 20 1c 46 40 00 40 11 06 77 0a 00 02 0f 0a 00 02 02
  30 39 d4 31 00 0c 04 8a 70 69 6e 67`);

/** IPv4 + ICMP echo request (RFC 792) 10.0.2.2 → 10.0.2.15, id 1 seq 1 (50 bytes). */
const ICMP_ECHO = hex(`
  ${GUEST_MAC} ${GATEWAY_MAC} 08 00
  45 00 00 24 00 01 40 00 40 01 22 c8 0a 00 02 02 0a 00 02 0f
  08 00 66 68 00 01 00 01 61 62 63 64 65 66 67 68`);

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describeNetDevice('PcapWriter over an in-process link', {
  create: async () => {
    const [inner, peer] = createLink();
    const device = new PcapWriter(inner, { clock: new VirtualClock(), sink: () => {} });
    return { device, peer };
  },
});

describe('PcapFile', () => {
  it('writes the classic header and µs records, byte for byte', () => {
    const chunks: Uint8Array[] = [];
    const file = new PcapFile((c) => chunks.push(c.slice()), { snapLength: 16 });
    file.writePacket(ARP_REQUEST, 1_700_000_000_123_456);
    const bytes = concat(chunks);
    expect([...bytes.subarray(0, 24)]).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0,
    ]);
    // 1_700_000_000 = 0x6553f100, 123_456 = 0x0001e240; captured 16 of 42 bytes.
    expect([...bytes.subarray(24, 40)]).toEqual([
      0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00, 16, 0, 0, 0, 42, 0, 0, 0,
    ]);
    expect([...bytes.subarray(40)]).toEqual([...ARP_REQUEST.subarray(0, 16)]);
    expect(bytes.length).toBe(56);
    expect(file.packets).toBe(1);
    expect(file.bytesWritten).toBe(56);
  });

  it('rejects a bad snap length and PcapWriter without exactly one output', () => {
    expect(() => new PcapFile(() => {}, { snapLength: 0 })).toThrow(PhyError);
    const [a] = createLink();
    expect(() => new PcapWriter(a, { clock: new VirtualClock() })).toThrow(PhyError);
    const file = new PcapFile(() => {});
    expect(() => new PcapWriter(a, { clock: new VirtualClock(), file, sink: () => {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('records only the chosen directions, and only frames the device accepted', () => {
    const clock = new VirtualClock();
    const file = new PcapFile(() => {});
    const [a, b] = createLink({ queueFrames: 1 });
    const rxOnly = new PcapWriter(a, { clock, file, directions: 'rx' });
    const both = new PcapWriter(b, { clock, file });
    expect(rxOnly.transmit(ARP_REQUEST.length, (f) => f.set(ARP_REQUEST))).toBe(true);
    expect(file.packets).toBe(0);
    expect(rxOnly.transmit(60, () => {})).toBe(false); // refused: nothing recorded
    expect(both.receive(() => {}, 8)).toBe(1);
    expect(file.packets).toBe(1);
  });
});

function toolAvailable(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const required = process.env.CI === 'true';
const haveTools = toolAvailable('tcpdump') && toolAvailable('tshark');
if (!haveTools && !required) {
  console.warn('phy-pcap: tcpdump/tshark not installed (apt-get install tcpdump tshark): skipping');
}

describe.skipIf(!haveTools && !required)('PcapWriter output read by tcpdump and tshark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'libos-pcap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Captures ARP + UDP transmitted and an ICMP echo received, 1.5 s apart from a 2023 epoch. */
  function capture(): string {
    const chunks: Uint8Array[] = [];
    const clock = new VirtualClock(1_700_000_000_000_001);
    const [guestEnd, gatewayEnd] = createLink();
    const guest = new PcapWriter(guestEnd, { clock, sink: (c) => chunks.push(c.slice()) });
    expect(guest.transmit(ARP_REQUEST.length, (f) => f.set(ARP_REQUEST))).toBe(true);
    clock.advanceBy(1_500_000);
    expect(guest.transmit(UDP_DATAGRAM.length, (f) => f.set(UDP_DATAGRAM))).toBe(true);
    clock.advanceBy(1_500_000);
    expect(gatewayEnd.transmit(ICMP_ECHO.length, (f) => f.set(ICMP_ECHO))).toBe(true);
    expect(guest.receive(() => {}, 8)).toBe(1);
    const path = join(dir, 'capture.pcap');
    writeFileSync(path, concat(chunks));
    expect(readFileSync(path).length).toBe(24 + 3 * 16 + 42 + 46 + 50);
    return path;
  }

  it('tcpdump decodes every frame with the right time, addresses and protocol', () => {
    const path = capture();
    const out = execFileSync('tcpdump', ['-r', path, '-nn', '-tt'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^1700000000\.000001 ARP, Request who-has 10\.0\.2\.2 tell 10\.0\.2\.15, length 28$/,
    );
    expect(lines[1]).toMatch(
      /^1700000001\.500001 IP 10\.0\.2\.15\.12345 > 10\.0\.2\.2\.54321: UDP, length 4$/,
    );
    expect(lines[2]).toMatch(
      /^1700000003\.000001 IP 10\.0\.2\.2 > 10\.0\.2\.15: ICMP echo request, id 1, seq 1, length 16$/,
    );
  });

  it('tshark reports the lengths, MACs, timestamps and protocols', () => {
    const path = capture();
    const out = execFileSync(
      'tshark',
      [
        '-r',
        path,
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.len',
        '-e',
        'eth.src',
        '-e',
        'eth.dst',
        '-e',
        'frame.time_epoch',
        '-e',
        'frame.protocols',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        'udp.dstport',
        '-e',
        'arp.dst.proto_ipv4',
        '-e',
        'icmp.type',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const rows = out
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    expect(rows).toHaveLength(3);
    const [arp, udp, icmp] = rows as [string[], string[], string[]];
    expect(arp.slice(0, 3)).toEqual(['42', '52:54:00:12:34:56', 'ff:ff:ff:ff:ff:ff']);
    expect(Number(arp[3])).toBeCloseTo(1_700_000_000.000001, 6);
    expect(arp[4]).toBe('eth:ethertype:arp');
    expect(arp[8]).toBe('10.0.2.2');
    expect(udp.slice(0, 3)).toEqual(['46', '52:54:00:12:34:56', '52:55:0a:00:02:02']);
    expect(Number(udp[3])).toBeCloseTo(1_700_000_001.500001, 6);
    expect(udp[4]).toMatch(/^eth:ethertype:ip:udp/);
    expect(udp.slice(5, 8)).toEqual(['10.0.2.15', '10.0.2.2', '54321']);
    expect(icmp.slice(0, 3)).toEqual(['50', '52:55:0a:00:02:02', '52:54:00:12:34:56']);
    expect(icmp[4]).toMatch(/^eth:ethertype:ip:icmp/);
    expect(icmp.slice(5, 7)).toEqual(['10.0.2.2', '10.0.2.15']);
    expect(icmp[9]).toBe('8');
  });
});
