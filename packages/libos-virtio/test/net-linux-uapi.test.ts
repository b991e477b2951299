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
