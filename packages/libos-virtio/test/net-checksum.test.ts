/**
 * Transmit checksum offload (VIRTIO_NET_F_CSUM, virtio 1.2 §5.1.6.2): the driver marks
 * TCP/UDP frames NEEDS_CSUM with the pseudo-header sum in place, the device completes the
 * checksum before the frame reaches the wire. Checked against an independent RFC 1071
 * implementation written here. And receive checksum offload: DATA_VALID (GUEST_CSUM).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { createLink, type NetDevice } from '@libos/net';
import {
  addInternetChecksum,
  finishInternetChecksum,
  InlineLink,
  VirtioNetDeviceModel,
  VirtioNetDriver,
  VirtioNetHeaderFlag,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { netRig, rawRig } from './net-fixture.js';

/** RFC 1071, the plain way: 16-bit big-endian words, 32-bit sum, fold, complement. */
function rfc1071(parts: Uint8Array[]): number {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length + (p.length & 1), 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length + (p.length & 1); // each part padded to an even length
  }
  let sum = 0;
  const view = new DataView(all.buffer);
  for (let i = 0; i + 1 < all.length; i += 2) sum += view.getUint16(i, false);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const DST = Uint8Array.of(2, 0, 0, 0, 0, 2);
const SRC = Uint8Array.of(2, 0, 0, 0, 0, 1);

function udp4Frame(payload: Uint8Array, padTo = 0): Uint8Array {
  const ipLen = 20 + 8 + payload.length;
  const frame = new Uint8Array(Math.max(14 + ipLen, padTo));
  frame.set(DST, 0);
  frame.set(SRC, 6);
  frame[12] = 0x08;
  frame[13] = 0x00;
  const ip = frame.subarray(14);
  ip.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0]);
  ip.set([10, 0, 0, 1], 12);
  ip.set([10, 0, 0, 2], 16);
  const ipSum = rfc1071([ip.subarray(0, 20)]);
  ip[10] = ipSum >> 8;
  ip[11] = ipSum & 0xff;
  const udp = ip.subarray(20);
  const udpLen = 8 + payload.length;
  udp.set([0x30, 0x39, 0x00, 0x35, udpLen >> 8, udpLen & 0xff, 0, 0]);
  udp.set(payload, 8);
  return frame;
}

function udp4Checksum(frame: Uint8Array): number {
  const ipLen = (frame[16]! << 8) | frame[17]!;
  const udp = frame.slice(34, 14 + ipLen);
  udp[6] = 0;
  udp[7] = 0;
  const pseudo = Uint8Array.of(
    ...frame.subarray(26, 34),
    0,
    17,
    udp.length >> 8,
    udp.length & 0xff,
  );
  return rfc1071([pseudo, udp]) || 0xffff;
}

function tcp6Frame(payload: Uint8Array): Uint8Array {
  const tcpLen = 20 + payload.length;
  const frame = new Uint8Array(14 + 40 + tcpLen);
  frame.set(DST, 0);
  frame.set(SRC, 6);
  frame[12] = 0x86;
  frame[13] = 0xdd;
  const ip = frame.subarray(14);
  ip.set([0x60, 0, 0, 0, tcpLen >> 8, tcpLen & 0xff, 6, 64]);
  for (let i = 0; i < 16; i++) {
    ip[8 + i] = 0xfe - i;
    ip[24 + i] = 0x20 + i;
  }
  const tcp = ip.subarray(40);
  tcp.set([0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0xaa, 0xbb]);
  tcp.set(payload, 20);
  return frame;
}

function tcp6Checksum(frame: Uint8Array): number {
  const tcp = frame.slice(54);
  tcp[16] = 0;
  tcp[17] = 0;
  const pseudo = new Uint8Array(40);
  pseudo.set(frame.subarray(22, 54), 0);
  pseudo.set([0, 0, tcp.length >> 8, tcp.length & 0xff, 0, 0, 0, 6], 32);
  return rfc1071([pseudo, tcp]);
}

type Rig = Awaited<ReturnType<typeof netRig>>;

function sendAndCatch(rig: Rig, frame: Uint8Array): Uint8Array {
  expect(rig.driver.transmit(frame.length, (buf) => buf.set(frame))).toBe(true);
  const got: Uint8Array[] = [];
  rig.wire.receive((f) => {
    got.push(f.slice());
  }, 8);
  expect(got).toHaveLength(1);
  return got[0]!;
}

describe('virtio-net transmit checksum offload', () => {
  it('our checksum helpers agree with the independent RFC 1071 implementation', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(finishInternetChecksum(addInternetChecksum(bytes, 0, bytes.length, 0))).toBe(
          rfc1071([bytes]),
        );
      }),
    );
  });

  it('a UDP/IPv4 frame sent with a zero checksum arrives with the correct one', async () => {
    const rig = await netRig();
    expect(rig.driver.capabilities.checksumOffload.transmit).toBe(true);
    const payload = Uint8Array.from({ length: 101 }, (_, i) => (i * 37) & 0xff);
    const frame = udp4Frame(payload);
    const got = sendAndCatch(rig, frame);
    const expected = udp4Checksum(frame);
    expect((got[40]! << 8) | got[41]!).toBe(expected);
    expect(expected).not.toBe(0);
    // Everything but the checksum field is untouched.
    expect(Array.from(got.subarray(0, 40))).toEqual(Array.from(frame.subarray(0, 40)));
    expect(Array.from(got.subarray(42))).toEqual(Array.from(frame.subarray(42)));
    expect(rig.driver.stats.txChecksumOffloads).toBe(1);
    expect(rig.model.stats.txChecksums).toBe(1);
  });

  it('overwrites a wrong checksum the stack left in place', async () => {
    const rig = await netRig();
    const frame = udp4Frame(Uint8Array.of(1, 2, 3, 4, 5));
    frame[40] = 0xde;
    frame[41] = 0xad;
    const got = sendAndCatch(rig, frame);
    expect((got[40]! << 8) | got[41]!).toBe(udp4Checksum(frame));
  });

  it('random UDP payloads, including zero-padded minimum-size frames', async () => {
    const rig = await netRig();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), fc.boolean(), (payload, pad) => {
        const frame = udp4Frame(payload, pad ? 60 : 0);
        const got = sendAndCatch(rig, frame);
        expect((got[40]! << 8) | got[41]!).toBe(udp4Checksum(frame));
      }),
      { numRuns: 200 },
    );
  });

  it('non-zero Ethernet padding: the driver computes the checksum itself', async () => {
    const rig = await netRig();
    const frame = udp4Frame(Uint8Array.of(9, 8, 7), 60);
    frame.fill(0x5a, 14 + 20 + 8 + 3); // padding after the IP packet
    const got = sendAndCatch(rig, frame);
    expect((got[40]! << 8) | got[41]!).toBe(udp4Checksum(frame));
    expect(rig.driver.stats.txChecksumOffloads).toBe(0);
  });

  it('a TCP/IPv6 frame arrives with the correct checksum', async () => {
    const rig = await netRig();
    const frame = tcp6Frame(Uint8Array.from({ length: 333 }, (_, i) => i & 0xff));
    const got = sendAndCatch(rig, frame);
    expect((got[70]! << 8) | got[71]!).toBe(tcp6Checksum(frame));
  });

  it('without CSUM negotiated the frame goes out exactly as written', async () => {
    const rig = await netRig({ driver: { checksumOffload: false } });
    expect(rig.driver.capabilities.checksumOffload.transmit).toBe(false);
    const frame = udp4Frame(Uint8Array.of(1, 2, 3));
    const got = sendAndCatch(rig, frame);
    expect(Array.from(got)).toEqual(Array.from(frame));
    expect(rig.model.stats.txChecksums).toBe(0);
  });

  it('the device completes a NEEDS_CSUM header written by hand', async () => {
    const rig = await rawRig();
    const frame = udp4Frame(Uint8Array.of(0xca, 0xfe, 0xba, 0xbe, 0x01));
    // Pseudo-header sum, not complemented, in the checksum field (§5.1.6.2).
    const udpLen = frame.length - 34;
    let sum = addInternetChecksum(frame, 26, 34, 17 + udpLen);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const sent = frame.slice();
    sent[40] = sum >> 8;
    sent[41] = sum & 0xff;
    const buf = rig.dma.alloc(12 + sent.length, 16)!;
    buf.bytes.fill(0, 0, 12);
    buf.bytes[0] = VirtioNetHeaderFlag.NEEDS_CSUM;
    buf.bytes[6] = 34; // csum_start (le16)
    buf.bytes[8] = 6; // csum_offset (le16)
    buf.bytes.set(sent, 12);
    expect(rig.core.queue(1).addBuffer(buf.addr, 12 + sent.length, false, 1)).toBe(true);
    rig.core.kick(1);
    const got: Uint8Array[] = [];
    rig.wire.receive((f) => {
      got.push(f.slice());
    }, 8);
    expect(got).toHaveLength(1);
    expect((got[0]![40]! << 8) | got[0]![41]!).toBe(udp4Checksum(frame));
  });
});

describe('virtio-net receive checksum offload (DATA_VALID)', () => {
  /** A backend that says it verified every frame's checksum (as a NIC would). */
  function verifyingBackend(inner: NetDevice): NetDevice {
    return {
      capabilities: { ...inner.capabilities, checksumOffload: { transmit: false, receive: true } },
      macAddress: inner.macAddress,
      transmit: (length, fill) => inner.transmit(length, fill),
      receive: (onFrame, budget) => inner.receive((frame) => onFrame(frame, true), budget),
    };
  }

  async function rig(guestCsum: boolean) {
    const memory = new GuestMemory(8 << 20);
    const link = new InlineLink(memory);
    const dma = new DmaAllocator(memory, { base: 0x10000, length: (8 << 20) - 0x10000 });
    const [backend, wire] = createLink();
    const model = new VirtioNetDeviceModel(
      { memory, base: 0x1000, link },
      verifyingBackend(backend),
    );
    model.start();
    const driver = await VirtioNetDriver.open({
      memory,
      dma,
      base: 0x1000,
      link,
      checksumOffload: guestCsum,
    });
    return { model, driver, wire };
  }

  it('with GUEST_CSUM, frames the backend verified arrive with checksumVerified', async () => {
    const { model, driver, wire } = await rig(true);
    const frame = udp4Frame(Uint8Array.of(1, 2, 3));
    wire.transmit(frame.length, (b) => b.set(frame));
    model.poll();
    const flags: boolean[] = [];
    expect(driver.receive((_f, verified) => flags.push(verified), 8)).toBe(1);
    expect(flags).toEqual([true]);
  });

  it('without GUEST_CSUM, the device sets no flags and the driver reports unverified', async () => {
    const { model, driver, wire } = await rig(false);
    expect(driver.capabilities.checksumOffload.receive).toBe(false);
    const frame = udp4Frame(Uint8Array.of(1, 2, 3));
    wire.transmit(frame.length, (b) => b.set(frame));
    model.poll();
    const flags: boolean[] = [];
    let header = -1;
    driver.receive((f, verified) => {
      flags.push(verified);
      header = new Uint8Array(f.buffer, f.byteOffset - 12, 1)[0]!;
    }, 8);
    expect(flags).toEqual([false]);
    expect(header).toBe(0); // §5.1.6.5.1: flags zero without GUEST_CSUM
  });
});
