/**
 * virtio-rng constants checked against the Linux uapi headers: the device ID, and that
 * linux/virtio_rng.h defines no feature bits or config fields (virtio 1.2 §5.4.3–5.4.4),
 * matching a device model that offers none.
 */
import { readFileSync } from 'node:fs';
import { GuestMemory } from '@libos/mem';
import { SeededEntropy } from '@libos/sched';
import { DeviceType, EntropyDeviceModel, InlineLink } from '@libos/virtio';
import { describe, expect, it } from 'vitest';

describe('virtio-rng constants agree with the Linux uapi headers', () => {
  it('VIRTIO_ID_RNG is the device ID the model presents', () => {
    const ids = readFileSync('/usr/include/linux/virtio_ids.h', 'utf8');
    const linuxId = Number(ids.match(/^#define\s+VIRTIO_ID_RNG\s+(\d+)/m)?.[1]);
    expect(linuxId).toBe(DeviceType.ENTROPY);
    const memory = new GuestMemory(1 << 20);
    const device = new EntropyDeviceModel(
      { memory, base: 0x1000, link: new InlineLink(memory) },
      new SeededEntropy(1),
    );
    expect(memory.readU32(0x1000 + 0x008)).toBe(linuxId); // MMIO DeviceID register (§4.2.2)
    expect(device.core.transport.configSize).toBe(0);
  });

  it('virtio_rng.h has no feature bits and no config struct', () => {
    const header = readFileSync('/usr/include/linux/virtio_rng.h', 'utf8');
    expect(header).not.toMatch(/#define\s+VIRTIO_RNG_F_/);
    expect(header).not.toMatch(/struct\s+virtio_rng_config/);
  });
});
