/**
 * virtio-net constants checked against the Linux kernel's uapi header
 * (/usr/include/linux/virtio_net.h), a source nobody here wrote.
 */
import { readFileSync } from 'node:fs';
import {
  VIRTIO_NET_HDR_SIZE,
  VirtioNetConfigOffset,
  VirtioNetFeature,
  VirtioNetGsoType,
  VirtioNetHeaderFlag,
  VirtioNetStatus,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { netRig, rawRig, tcpFrame } from './net-fixture.js';

const text = readFileSync('/usr/include/linux/virtio_net.h', 'utf8');

function defines(): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** `[6]` or `[ETH_ALEN]` (from linux/if_ether.h). */
function arrayLength(dim: string | undefined): number {
  if (dim === undefined) return 1;
  if (/^\d+$/.test(dim)) return Number(dim);
  const ether = readFileSync('/usr/include/linux/if_ether.h', 'utf8');
  const m = new RegExp(`^#define\\s+${dim}\\s+(\\d+)`, 'm').exec(ether);
  if (m === null) throw new Error(`unknown array size ${dim}`);
  return Number(m[1]);
}

/** Field names of a C struct, in order, with their byte size (u8/__u8 = 1, __virtio16 = 2…). */
function structFields(name: string): [string, number][] {
  const body = new RegExp(`struct ${name} \\{([\\s\\S]*?)\\n\\};`).exec(text)?.[1];
  if (body === undefined) throw new Error(`struct ${name} not found`);
  const sizes: Record<string, number> = {
    __u8: 1,
    __le16: 2,
    __virtio16: 2,
    __u16: 2,
    __le32: 4,
    __virtio32: 4,
  };
  const out: [string, number][] = [];
  for (const m of body.matchAll(/^\s*(__\w+)\s+(\w+)(?:\[(\w+)\])?[^;]*;/gm)) {
    const size = sizes[m[1]!];
    if (size === undefined) continue;
    out.push([m[2]!, size * arrayLength(m[3])]);
  }
  return out;
}

describe('virtio-net constants agree with linux/virtio_net.h', () => {
  const h = defines();

  it('feature bits', () => {
    for (const [name, bit] of Object.entries(VirtioNetFeature)) {
      expect(h.get(`VIRTIO_NET_F_${name}`), name).toBe(bit);
    }
  });

  it('header flags, GSO types and status bits', () => {
    expect(h.get('VIRTIO_NET_HDR_F_NEEDS_CSUM')).toBe(VirtioNetHeaderFlag.NEEDS_CSUM);
    expect(h.get('VIRTIO_NET_HDR_F_DATA_VALID')).toBe(VirtioNetHeaderFlag.DATA_VALID);
    expect(h.get('VIRTIO_NET_HDR_GSO_NONE')).toBe(VirtioNetGsoType.NONE);
    expect(h.get('VIRTIO_NET_HDR_GSO_TCPV4')).toBe(VirtioNetGsoType.TCPV4);
    expect(h.get('VIRTIO_NET_S_LINK_UP')).toBe(VirtioNetStatus.LINK_UP);
  });

  it('configuration layout (struct virtio_net_config)', () => {
    const fields = structFields('virtio_net_config');
    let offset = 0;
    const at = new Map<string, number>();
    for (const [name, size] of fields) {
      at.set(name, offset);
      offset += size;
    }
    expect(at.get('mac')).toBe(VirtioNetConfigOffset.MAC);
    expect(at.get('status')).toBe(VirtioNetConfigOffset.STATUS);
    expect(at.get('max_virtqueue_pairs')).toBe(VirtioNetConfigOffset.MAX_VIRTQUEUE_PAIRS);
    expect(at.get('mtu')).toBe(VirtioNetConfigOffset.MTU);
  });

  it('header size: struct virtio_net_hdr_mrg_rxbuf is 12 bytes', () => {
    const hdr = structFields('virtio_net_hdr');
    expect(hdr.map(([n]) => n)).toEqual([
      'flags',
      'gso_type',
      'hdr_len',
      'gso_size',
      'csum_start',
      'csum_offset',
    ]);
    const base = hdr.reduce((n, [, s]) => n + s, 0);
    const mrg = structFields('virtio_net_hdr_mrg_rxbuf');
    expect(mrg.map(([n]) => n)).toEqual(['num_buffers']);
    expect(base + mrg[0]![1]).toBe(VIRTIO_NET_HDR_SIZE);
  });
});

describe('virtio-net TSO header agrees with linux/virtio_net.h', () => {
  const h = defines();
  /** Byte offset of each struct virtio_net_hdr field, from the uapi header. */
  const offsets = new Map<string, number>();
  let at = 0;
  for (const [name, size] of structFields('virtio_net_hdr')) {
    offsets.set(name, at);
    at += size;
  }
  const off = (name: string): number => offsets.get(name)!;
  const le16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);

  it('TSO feature bits and GSO type values', () => {
    expect(h.get('VIRTIO_NET_F_HOST_TSO4')).toBe(VirtioNetFeature.HOST_TSO4);
    expect(h.get('VIRTIO_NET_F_GUEST_TSO4')).toBe(VirtioNetFeature.GUEST_TSO4);
    expect(h.get('VIRTIO_NET_HDR_GSO_TCPV4')).toBe(VirtioNetGsoType.TCPV4);
  });

  it('the driver writes gso_type, hdr_len, gso_size, csum_start, csum_offset at the uapi offsets', async () => {
    const rig = await netRig();
    const big = tcpFrame({ dst: rig.wire.macAddress, src: rig.driver.macAddress, payload: 5000 });
    expect(rig.driver.transmit(big.length, (b) => b.set(big))).toBe(true);
    // Find the descriptor the driver used (struct virtq_desc: le64 addr, le32 len, …).
    const q = rig.driver.core.queue(1);
    let header: Uint8Array | null = null;
    for (let i = 0; i < q.size; i++) {
      const d = q.addresses.desc + 16 * i;
      if (rig.memory.readU32(d + 8) === 12 + big.length) {
        header = rig.memory.bytes(rig.memory.readU64Number(d), 12).slice();
      }
    }
    expect(header).not.toBeNull();
    const hdr = header!;
    expect(hdr[off('flags')]).toBe(h.get('VIRTIO_NET_HDR_F_NEEDS_CSUM'));
    expect(hdr[off('gso_type')]).toBe(h.get('VIRTIO_NET_HDR_GSO_TCPV4'));
    expect(le16(hdr, off('hdr_len'))).toBe(54);
    expect(le16(hdr, off('gso_size'))).toBe(1460);
    expect(le16(hdr, off('csum_start'))).toBe(34);
    expect(le16(hdr, off('csum_offset'))).toBe(16);
  });

  it('the device reads gso_size from the uapi offset', async () => {
    const rig = await rawRig({
      features: (1n << 0n) | (1n << BigInt(h.get('VIRTIO_NET_F_HOST_TSO4')!)),
    });
    const frame = tcpFrame({
      dst: Uint8Array.of(2, 0, 0, 0, 0, 2),
      src: Uint8Array.of(2, 0, 0, 0, 0, 1),
      payload: 5000,
    });
    const hdr = new Uint8Array(12);
    const set16 = (o: number, v: number) => {
      hdr[o] = v & 0xff;
      hdr[o + 1] = v >> 8;
    };
    hdr[off('flags')] = h.get('VIRTIO_NET_HDR_F_NEEDS_CSUM')!;
    hdr[off('gso_type')] = h.get('VIRTIO_NET_HDR_GSO_TCPV4')!;
    set16(off('hdr_len'), 54);
    set16(off('gso_size'), 1000);
    set16(off('csum_start'), 34);
    set16(off('csum_offset'), 16);
    const packet = rig.dma.alloc(12 + frame.length, 16)!;
    packet.bytes.set(hdr);
    packet.bytes.set(frame, 12);
    rig.core.queue(1).addBuffer(packet.addr, 12 + frame.length, false, 1);
    rig.core.kick(1);
    const lengths: number[] = [];
    while (rig.wire.receive((f) => lengths.push(f.length), 64) > 0);
    expect(lengths).toEqual([1054, 1054, 1054, 1054, 1054]);
  });
});
