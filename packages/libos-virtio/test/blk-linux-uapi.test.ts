/**
 * virtio-blk constants and layouts checked against the Linux uapi header
 * /usr/include/linux/virtio_blk.h (linux-libc-dev), a peer nobody here wrote.
 */
import { readFileSync } from 'node:fs';
import {
  BLK_CONFIG_SIZE,
  BLK_DISCARD_FLAG_UNMAP,
  BLK_ID_BYTES,
  BlkConfigOffset,
  BlkFeature,
  BlkRequestType,
  BlkStatus,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const header = readFileSync('/usr/include/linux/virtio_blk.h', 'utf8');

function defines(): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of header.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Field offsets of a packed C struct body, from its member declarations. */
function packedOffsets(structName: string): Map<string, number> {
  const start = header.indexOf(`struct ${structName} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = header.slice(start, header.indexOf('} __attribute__((packed));', start));
  const sizes: Record<string, number> = { __u8: 1, __virtio16: 2, __virtio32: 4, __virtio64: 8 };
  const out = new Map<string, number>();
  let at = 0;
  // The nested geometry struct is 4 bytes: cylinders (2), heads (1), sectors (1).
  const cleaned = body
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/struct virtio_blk_geometry \{[\s\S]*?\} geometry;/, '__virtio32 geometry;');
  for (const m of cleaned.matchAll(
    /(__u8|__virtio16|__virtio32|__virtio64)\s+(\w+)(?:\[(\d+)\])?;/g,
  )) {
    out.set(m[2]!, at);
    at += sizes[m[1]!]! * (m[3] ? Number(m[3]) : 1);
  }
  out.set('__end_of_write_zeroes', out.get('max_secure_erase_sectors') ?? at);
  return out;
}

describe('virtio-blk constants agree with linux/virtio_blk.h', () => {
  const h = defines();

  it('feature bits', () => {
    for (const [name, bit] of Object.entries(BlkFeature)) {
      expect(h.get(`VIRTIO_BLK_F_${name}`), name).toBe(bit);
    }
  });

  it('request types (those the header knows)', () => {
    for (const [name, type] of Object.entries(BlkRequestType)) {
      const theirs = h.get(`VIRTIO_BLK_T_${name}`);
      if (theirs === undefined && name === 'GET_LIFETIME') continue; // newer than some headers
      expect(theirs, name).toBe(type);
    }
  });

  it('status values, ID length and the unmap flag', () => {
    for (const [name, status] of Object.entries(BlkStatus)) {
      expect(h.get(`VIRTIO_BLK_S_${name}`), name).toBe(status);
    }
    expect(h.get('VIRTIO_BLK_ID_BYTES')).toBe(BLK_ID_BYTES);
    expect(h.get('VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP')).toBe(BLK_DISCARD_FLAG_UNMAP);
  });

  it('configuration field offsets (struct virtio_blk_config)', () => {
    const off = packedOffsets('virtio_blk_config');
    expect(off.get('capacity')).toBe(BlkConfigOffset.CAPACITY);
    expect(off.get('size_max')).toBe(BlkConfigOffset.SIZE_MAX);
    expect(off.get('seg_max')).toBe(BlkConfigOffset.SEG_MAX);
    expect(off.get('blk_size')).toBe(BlkConfigOffset.BLK_SIZE);
    expect(off.get('max_discard_sectors')).toBe(BlkConfigOffset.MAX_DISCARD_SECTORS);
    expect(off.get('max_discard_seg')).toBe(BlkConfigOffset.MAX_DISCARD_SEG);
    expect(off.get('discard_sector_alignment')).toBe(BlkConfigOffset.DISCARD_SECTOR_ALIGNMENT);
    expect(off.get('__end_of_write_zeroes')).toBe(BLK_CONFIG_SIZE);
  });
});
