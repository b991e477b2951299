import { DeviceStatus, FeatureBit, featureMask, MmioRegister, TransportError } from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { inlinePair, queueSetup, SUPPORTED } from './transport-fixture.js';

const WITH_RESET = SUPPORTED | featureMask(FeatureBit.RING_RESET);

describe('device reset (§2.4)', () => {
  it('writing 0 to Status clears features, queues, interrupts and status on the device', async () => {
    let resets = 0;
    const { device, driver } = inlinePair({ deviceHandlers: { onReset: () => resets++ } });
    await driver.initialize({
      supportedFeatures: SUPPORTED,
      queues: [queueSetup(0, 64), queueSetup(1, 32)],
    });
    device.signalUsedBuffers();
    driver.stop();
    device.signalUsedBuffers();
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS)).toBe(1);
    await driver.writeRegister(MmioRegister.QUEUE_SEL, 1);
    expect(resets).toBe(1);

    await driver.reset();
    expect(resets).toBe(2);
    expect(device.status).toBe(0);
    expect(driver.status).toBe(0);
    expect(device.negotiatedFeatures).toBeNull();
    expect(device.driverOk).toBe(false);
    for (const index of [0, 1]) {
      const q = device.queue(index);
      expect(q.ready).toBe(false);
      expect(q.size).toBe(q.maxSize);
      expect(q.descriptorArea).toBe(0n);
      expect(q.driverArea).toBe(0n);
      expect(q.deviceArea).toBe(0n);
    }
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS)).toBe(0);
    expect(driver.readRegister(MmioRegister.QUEUE_SEL)).toBe(0);
    expect(driver.readRegister(MmioRegister.QUEUE_READY)).toBe(0);
    // Features written before the reset are gone: FEATURES_OK without rewriting them fails.
    await driver.addStatus(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    await driver.addStatus(DeviceStatus.FEATURES_OK);
    expect(device.lastViolation?.code).toBe('FEATURES_WITHOUT_VERSION_1');
  });

  it('a ring reset (§2.6.1) clears one queue when RING_RESET was negotiated', async () => {
    const disabled: number[] = [];
    const { device, driver } = inlinePair({
      deviceHandlers: { onQueueDisabled: (i) => disabled.push(i) },
    });
    await driver.initialize({
      supportedFeatures: WITH_RESET,
      queues: [queueSetup(0, 64), queueSetup(1, 32)],
    });
    await driver.writeRegister(MmioRegister.QUEUE_SEL, 1);
    await driver.writeRegister(MmioRegister.QUEUE_RESET, 1);
    expect(disabled).toEqual([1]);
    expect(device.queue(1).ready).toBe(false);
    expect(device.queue(0).ready).toBe(true);
    expect(driver.readRegister(MmioRegister.QUEUE_RESET)).toBe(1);
    await driver.setupQueue(queueSetup(1, 16));
    expect(device.queue(1)).toMatchObject({ ready: true, size: 16 });
    expect(driver.readRegister(MmioRegister.QUEUE_RESET)).toBe(0);
  });

  it('refuses a ring reset without RING_RESET negotiated', async () => {
    const { device, driver } = inlinePair();
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64)] });
    await driver.writeRegister(MmioRegister.QUEUE_RESET, 1);
    expect(device.lastViolation?.code).toBe('BAD_QUEUE_RESET');
    expect(device.queue(0).ready).toBe(true);
  });
});

describe('status rules (§2.1.2, §3.1.1)', () => {
  it('refuses DRIVER_OK without FEATURES_OK and never lets the driver clear bits', async () => {
    const { device, driver } = inlinePair();
    await driver.addStatus(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.DRIVER_OK);
    expect(device.status).toBe(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    expect(device.lastViolation?.code).toBe('DRIVER_OK_WITHOUT_FEATURES_OK');
    await driver.writeRegister(MmioRegister.STATUS, DeviceStatus.ACKNOWLEDGE);
    expect(device.lastViolation?.code).toBe('STATUS_BIT_CLEARED');
    expect(device.status).toBe(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    await driver.writeRegister(MmioRegister.STATUS, device.status | 0x30);
    expect(device.lastViolation?.code).toBe('STATUS_UNKNOWN_BITS');
    expect(device.status).toBe(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
  });

  it('refuses FEATURES_OK before ACKNOWLEDGE and DRIVER', async () => {
    const { device, driver } = inlinePair();
    await driver.writeDriverFeatures(featureMask(FeatureBit.VERSION_1));
    await driver.writeRegister(MmioRegister.STATUS, DeviceStatus.FEATURES_OK);
    expect(device.lastViolation?.code).toBe('STATUS_OUT_OF_ORDER');
    expect(device.negotiatedFeatures).toBeNull();
  });

  it('locks the driver features once FEATURES_OK is set', async () => {
    const { device, driver } = inlinePair();
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [] });
    const negotiated = device.negotiatedFeatures;
    await driver.writeDriverFeatures(0n);
    expect(device.negotiatedFeatures).toBe(negotiated);
    expect(device.lastViolation?.code).toBe('FEATURES_LOCKED');
  });
});

describe('DEVICE_NEEDS_RESET (§2.1.1, §2.1.2)', () => {
  it('the driver sees it (callback + typed error), resets and re-initialises', async () => {
    let needsReset = 0;
    let configChanges = 0;
    const { device, driver } = inlinePair({
      driverHandlers: { onNeedsReset: () => needsReset++, onConfigChange: () => configChanges++ },
    });
    const options = { supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64)] };
    await driver.initialize(options);
    device.reportQueueViolation(0, 'descriptor loop');
    expect(needsReset).toBe(1);
    expect(configChanges).toBe(0);
    expect(device.needsResetReason).toBe('queue 0: descriptor loop');
    expect(driver.needsReset).toBe(true);
    expect(driver.status & DeviceStatus.DEVICE_NEEDS_RESET).toBe(DeviceStatus.DEVICE_NEEDS_RESET);
    expect(() => driver.checkDevice()).toThrow(TransportError);
    let error: unknown = null;
    try {
      driver.readConfig(0, 4);
    } catch (e) {
      error = e;
    }
    expect((error as TransportError).code).toBe('DEVICE_NEEDS_RESET');
    await expect(driver.writeConfig(0, 1, 1)).rejects.toThrow(TransportError);
    // Writing status back with the device's bit in it does not clear it.
    await driver.addStatus(0);
    expect(driver.needsReset).toBe(true);

    await driver.initialize(options);
    expect(driver.needsReset).toBe(false);
    expect(device.needsResetReason).toBeNull();
    expect(device.driverOk).toBe(true);
    expect(device.queue(0).ready).toBe(true);
  });

  it('takes a virtqueue violation object and exposes ready ring addresses as numbers', async () => {
    const { device, driver } = inlinePair();
    expect(device.ringAddresses(0)).toBeNull();
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64)] });
    const setup = queueSetup(0, 64);
    expect(device.ringAddresses(0)).toEqual({
      desc: setup.descriptorArea,
      avail: setup.driverArea,
      used: setup.deviceArea,
    });
    expect(device.ringAddresses(1)).toBeNull();
    expect(() => device.ringAddresses(2)).toThrow(TransportError);
    device.reportQueueViolation(0, { code: 'DESCRIPTOR_LOOP', message: 'chain longer than 64' });
    expect(device.needsResetReason).toBe('queue 0: DESCRIPTOR_LOOP: chain longer than 64');
    expect(driver.needsReset).toBe(true);
  });

  it('a device model callback that throws marks the device, never escapes the device loop', async () => {
    const { device, driver } = inlinePair({
      deviceHandlers: {
        onQueueReady: () => {
          throw new Error('model bug');
        },
      },
    });
    let error: unknown = null;
    try {
      await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64)] });
    } catch (e) {
      error = e;
    }
    expect((error as TransportError).code).toBe('DEVICE_NEEDS_RESET');
    expect(device.needsResetReason).toContain('model bug');
    expect(device.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
  });

  it('before DRIVER_OK, needs-reset raises no interrupt but fails the init', async () => {
    let needsReset = 0;
    const { device, driver } = inlinePair({
      driverHandlers: { onNeedsReset: () => needsReset++ },
      deviceHandlers: {
        acceptFeatures: () => {
          device.markNeedsReset('backend gone');
          return true;
        },
      },
    });
    await expect(
      driver.initialize({ supportedFeatures: SUPPORTED, queues: [] }),
    ).rejects.toMatchObject({
      code: 'DEVICE_NEEDS_RESET',
    });
    expect(needsReset).toBe(0);
  });
});
