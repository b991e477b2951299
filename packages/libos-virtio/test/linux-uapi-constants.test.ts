/**
 * Our spec constants checked against a peer nobody here wrote: the Linux kernel's uapi
 * headers (Debian's linux-libc-dev, installed by .ci/run).
 */
import { readFileSync } from 'node:fs';
import {
  AVAIL_F_NO_INTERRUPT,
  DescriptorFlag,
  DeviceStatus,
  DeviceType,
  FeatureBit,
  MMIO_MAGIC_VALUE,
  MmioInterrupt,
  MmioRegister,
  USED_F_NO_NOTIFY,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';

function defines(header: string): Map<string, number> {
  const text = readFileSync(`/usr/include/linux/${header}`, 'utf8');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
    out.set(m[1]!, Number(m[2]));
  }
  for (const m of text.matchAll(/^#define\s+(\w+)\s+\(1 << (\d+)\)/gm)) {
    out.set(m[1]!, 1 << Number(m[2]));
  }
  return out;
}

describe('constants agree with the Linux uapi headers', () => {
  it('MMIO register offsets (virtio_mmio.h)', () => {
    const h = defines('virtio_mmio.h');
    const linuxName: Record<keyof typeof MmioRegister, string> = {
      MAGIC_VALUE: 'VIRTIO_MMIO_MAGIC_VALUE',
      VERSION: 'VIRTIO_MMIO_VERSION',
      DEVICE_ID: 'VIRTIO_MMIO_DEVICE_ID',
      VENDOR_ID: 'VIRTIO_MMIO_VENDOR_ID',
      DEVICE_FEATURES: 'VIRTIO_MMIO_DEVICE_FEATURES',
      DEVICE_FEATURES_SEL: 'VIRTIO_MMIO_DEVICE_FEATURES_SEL',
      DRIVER_FEATURES: 'VIRTIO_MMIO_DRIVER_FEATURES',
      DRIVER_FEATURES_SEL: 'VIRTIO_MMIO_DRIVER_FEATURES_SEL',
      QUEUE_SEL: 'VIRTIO_MMIO_QUEUE_SEL',
      QUEUE_NUM_MAX: 'VIRTIO_MMIO_QUEUE_NUM_MAX',
      QUEUE_NUM: 'VIRTIO_MMIO_QUEUE_NUM',
      QUEUE_READY: 'VIRTIO_MMIO_QUEUE_READY',
      QUEUE_NOTIFY: 'VIRTIO_MMIO_QUEUE_NOTIFY',
      INTERRUPT_STATUS: 'VIRTIO_MMIO_INTERRUPT_STATUS',
      INTERRUPT_ACK: 'VIRTIO_MMIO_INTERRUPT_ACK',
      STATUS: 'VIRTIO_MMIO_STATUS',
      QUEUE_DESC_LOW: 'VIRTIO_MMIO_QUEUE_DESC_LOW',
      QUEUE_DESC_HIGH: 'VIRTIO_MMIO_QUEUE_DESC_HIGH',
      QUEUE_DRIVER_LOW: 'VIRTIO_MMIO_QUEUE_AVAIL_LOW',
      QUEUE_DRIVER_HIGH: 'VIRTIO_MMIO_QUEUE_AVAIL_HIGH',
      QUEUE_DEVICE_LOW: 'VIRTIO_MMIO_QUEUE_USED_LOW',
      QUEUE_DEVICE_HIGH: 'VIRTIO_MMIO_QUEUE_USED_HIGH',
      SHM_SEL: 'VIRTIO_MMIO_SHM_SEL',
      SHM_LEN_LOW: 'VIRTIO_MMIO_SHM_LEN_LOW',
      SHM_LEN_HIGH: 'VIRTIO_MMIO_SHM_LEN_HIGH',
      SHM_BASE_LOW: 'VIRTIO_MMIO_SHM_BASE_LOW',
      SHM_BASE_HIGH: 'VIRTIO_MMIO_SHM_BASE_HIGH',
      QUEUE_RESET: 'VIRTIO_MMIO_QUEUE_RESET',
      CONFIG_GENERATION: 'VIRTIO_MMIO_CONFIG_GENERATION',
      CONFIG: 'VIRTIO_MMIO_CONFIG',
    };
    for (const [ours, theirs] of Object.entries(linuxName)) {
      if (!h.has(theirs) && theirs === 'VIRTIO_MMIO_QUEUE_RESET') continue; // older headers lack it
      expect(h.get(theirs), theirs).toBe(MmioRegister[ours as keyof typeof MmioRegister]);
    }
    expect(h.get('VIRTIO_MMIO_INT_VRING')).toBe(MmioInterrupt.USED_BUFFER);
    expect(h.get('VIRTIO_MMIO_INT_CONFIG')).toBe(MmioInterrupt.CONFIG_CHANGE);
    // "virt" read as a little-endian u32
    expect(new DataView(new TextEncoder().encode('virt').buffer).getUint32(0, true)).toBe(
      MMIO_MAGIC_VALUE,
    );
  });

  it('status bits and feature bits (virtio_config.h)', () => {
    const h = defines('virtio_config.h');
    expect(h.get('VIRTIO_CONFIG_S_ACKNOWLEDGE')).toBe(DeviceStatus.ACKNOWLEDGE);
    expect(h.get('VIRTIO_CONFIG_S_DRIVER')).toBe(DeviceStatus.DRIVER);
    expect(h.get('VIRTIO_CONFIG_S_DRIVER_OK')).toBe(DeviceStatus.DRIVER_OK);
    expect(h.get('VIRTIO_CONFIG_S_FEATURES_OK')).toBe(DeviceStatus.FEATURES_OK);
    expect(h.get('VIRTIO_CONFIG_S_NEEDS_RESET')).toBe(DeviceStatus.DEVICE_NEEDS_RESET);
    expect(h.get('VIRTIO_CONFIG_S_FAILED')).toBe(DeviceStatus.FAILED);
    for (const [name, bit] of Object.entries(FeatureBit)) {
      if (name === 'INDIRECT_DESC' || name === 'EVENT_IDX') continue; // in virtio_ring.h
      const theirs = h.get(`VIRTIO_F_${name}`);
      // Bits newer than the installed headers are absent there; every bit present must agree.
      const newerThanHeaders = ['NOTIFICATION_DATA', 'NOTIF_CONFIG_DATA', 'RING_RESET'];
      if (theirs === undefined && newerThanHeaders.includes(name)) continue;
      expect(theirs, name).toBe(bit);
    }
  });

  it('ring flags and feature bits (virtio_ring.h)', () => {
    const h = defines('virtio_ring.h');
    expect(h.get('VRING_DESC_F_NEXT')).toBe(DescriptorFlag.NEXT);
    expect(h.get('VRING_DESC_F_WRITE')).toBe(DescriptorFlag.WRITE);
    expect(h.get('VRING_DESC_F_INDIRECT')).toBe(DescriptorFlag.INDIRECT);
    expect(h.get('VRING_AVAIL_F_NO_INTERRUPT')).toBe(AVAIL_F_NO_INTERRUPT);
    expect(h.get('VRING_USED_F_NO_NOTIFY')).toBe(USED_F_NO_NOTIFY);
    expect(h.get('VIRTIO_RING_F_INDIRECT_DESC')).toBe(FeatureBit.INDIRECT_DESC);
    expect(h.get('VIRTIO_RING_F_EVENT_IDX')).toBe(FeatureBit.EVENT_IDX);
  });

  it('device IDs (virtio_ids.h)', () => {
    const h = defines('virtio_ids.h');
    expect(h.get('VIRTIO_ID_NET')).toBe(DeviceType.NET);
    expect(h.get('VIRTIO_ID_BLOCK')).toBe(DeviceType.BLOCK);
    expect(h.get('VIRTIO_ID_CONSOLE')).toBe(DeviceType.CONSOLE);
    expect(h.get('VIRTIO_ID_RNG')).toBe(DeviceType.ENTROPY);
  });
});
