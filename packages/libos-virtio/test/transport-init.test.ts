import {
  DeviceStatus,
  DeviceType,
  FeatureBit,
  featureMask,
  MmioRegister,
  TransportError,
  type TransportErrorCode,
} from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import { BLOCK_BASE, inlinePair, OFFERED, queueSetup, SUPPORTED } from './transport-fixture.js';

async function expectCode(promise: Promise<unknown>, code: TransportErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  expect((error as TransportError).code).toBe(code);
}

describe('virtio-mmio init sequence (§3.1.1), inline', () => {
  it('negotiates the intersection, sets up queues on the device and reaches DRIVER_OK', async () => {
    const { device, driver } = inlinePair();
    const result = await driver.initialize({
      expectedDeviceId: DeviceType.ENTROPY,
      supportedFeatures: SUPPORTED,
      queues: [queueSetup(0, 64), queueSetup(1, 128)],
    });
    const intersection = featureMask(FeatureBit.VERSION_1, FeatureBit.EVENT_IDX);
    expect(result.offeredFeatures).toBe(OFFERED);
    expect(result.negotiatedFeatures).toBe(intersection);
    expect(result.deviceId).toBe(DeviceType.ENTROPY);
    expect(device.negotiatedFeatures).toBe(intersection);
    expect(device.status).toBe(
      DeviceStatus.ACKNOWLEDGE |
        DeviceStatus.DRIVER |
        DeviceStatus.FEATURES_OK |
        DeviceStatus.DRIVER_OK,
    );
    expect(driver.status).toBe(device.status);
    expect(device.driverOk).toBe(true);
    const q1 = device.queue(1);
    const expected = queueSetup(1, 128);
    expect(q1).toEqual({
      index: 1,
      maxSize: 128,
      size: 128,
      descriptorArea: BigInt(expected.descriptorArea),
      driverArea: BigInt(expected.driverArea),
      deviceArea: BigInt(expected.deviceArea),
      ready: true,
    });
    expect(device.queue(0).size).toBe(64);
    expect(device.violationCount).toBe(0);
  });

  it('tells the device model about each ready queue and DRIVER_OK, in order', async () => {
    const events: string[] = [];
    const { driver } = inlinePair({
      deviceHandlers: {
        onReset: () => events.push('reset'),
        onQueueReady: (q) => events.push(`ready ${q.index} size ${q.size}`),
        onDriverOk: () => events.push('driver-ok'),
      },
    });
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 32)] });
    expect(events).toEqual(['reset', 'ready 0 size 32', 'driver-ok']);
  });

  it('fails with FEATURES_REJECTED and sets FAILED when the driver accepts an unoffered feature', async () => {
    const { device, driver } = inlinePair();
    const unoffered = featureMask(FeatureBit.RING_PACKED);
    await expectCode(
      driver.initialize({
        supportedFeatures: SUPPORTED,
        selectFeatures: (offered) => offered | unoffered,
        queues: [queueSetup(0, 64)],
      }),
      'FEATURES_REJECTED',
    );
    expect(device.status & DeviceStatus.FEATURES_OK).toBe(0);
    expect(device.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
    expect(driver.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
    expect(device.negotiatedFeatures).toBeNull();
    expect(device.lastViolation?.code).toBe('FEATURES_NOT_OFFERED');
    expect(device.queue(0).ready).toBe(false);
  });

  it('fails with FEATURES_REJECTED when the device model refuses the combination', async () => {
    const { device, driver } = inlinePair({ deviceHandlers: { acceptFeatures: () => false } });
    await expectCode(
      driver.initialize({ supportedFeatures: SUPPORTED, queues: [] }),
      'FEATURES_REJECTED',
    );
    expect(device.lastViolation?.code).toBe('FEATURES_REFUSED');
  });

  it('fails with FEATURES_REJECTED when the device does not offer VERSION_1', async () => {
    const { driver } = inlinePair({ features: featureMask(FeatureBit.EVENT_IDX) });
    await expectCode(
      driver.initialize({ supportedFeatures: SUPPORTED, queues: [] }),
      'FEATURES_REJECTED',
    );
    expect(driver.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
  });

  it('a device refuses FEATURES_OK when the driver leaves out VERSION_1', async () => {
    const { device, driver } = inlinePair();
    await expectCode(
      driver.initialize({
        supportedFeatures: SUPPORTED,
        selectFeatures: () => featureMask(FeatureBit.EVENT_IDX),
        queues: [],
      }),
      'FEATURES_REJECTED',
    );
    expect(device.lastViolation?.code).toBe('FEATURES_WITHOUT_VERSION_1');
  });
});

describe('virtio-mmio probe (§4.2.3.1.1)', () => {
  it('rejects a bad MagicValue, Version or DeviceID with typed errors', async () => {
    const { memory, driver } = inlinePair();
    const options = { supportedFeatures: SUPPORTED, queues: [] };
    memory.writeU32(BLOCK_BASE + MmioRegister.MAGIC_VALUE, 0x12345678);
    await expectCode(driver.initialize(options), 'NOT_VIRTIO');
    expect(() => driver.probe()).toThrow(TransportError);
    // The probe fails before any register write: the driver must not touch a non-device.
    expect(driver.status & DeviceStatus.FAILED).toBe(0);

    const second = inlinePair();
    second.memory.writeU32(BLOCK_BASE + MmioRegister.VERSION, 1);
    await expectCode(second.driver.initialize(options), 'UNSUPPORTED_VERSION');

    const third = inlinePair({ deviceId: DeviceType.BLOCK });
    await expectCode(
      third.driver.initialize({ ...options, expectedDeviceId: DeviceType.NET }),
      'WRONG_DEVICE',
    );
    expect(third.driver.probe(DeviceType.BLOCK).deviceId).toBe(DeviceType.BLOCK);

    const fourth = inlinePair({ deviceId: 0 });
    await expectCode(fourth.driver.initialize(options), 'NO_DEVICE');
  });
});

describe('virtio-mmio queue setup (§4.2.3.2)', () => {
  it('refuses a queue larger than QueueNumMax or not a power of two, and sets FAILED', async () => {
    const tooLarge = inlinePair();
    await expectCode(
      tooLarge.driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(1, 256)] }),
      'QUEUE_TOO_LARGE',
    );
    expect(tooLarge.device.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
    expect(tooLarge.device.driverOk).toBe(false);

    const notPow2 = inlinePair();
    await expectCode(
      notPow2.driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 48)] }),
      'BAD_QUEUE_SIZE',
    );
  });

  it('the device refuses QueueNum writes that are too large or not a power of two', async () => {
    const { device, driver } = inlinePair();
    await driver.writeRegister(MmioRegister.QUEUE_SEL, 1);
    expect(driver.readRegister(MmioRegister.QUEUE_NUM_MAX)).toBe(128);
    await driver.writeRegister(MmioRegister.QUEUE_NUM, 48);
    expect(device.lastViolation?.code).toBe('BAD_QUEUE_SIZE');
    await driver.writeRegister(MmioRegister.QUEUE_NUM, 256);
    expect(device.violationCount).toBe(2);
    await driver.writeRegister(MmioRegister.QUEUE_NUM, 0);
    expect(device.violationCount).toBe(3);
    expect(device.queue(1).size).toBe(128);
    await driver.writeRegister(MmioRegister.QUEUE_NUM, 16);
    expect(device.queue(1).size).toBe(16);
    expect(device.violationCount).toBe(3);
  });

  it('reports QUEUE_UNAVAILABLE for a queue whose QueueNumMax is 0 or that does not exist', async () => {
    const { device, driver } = inlinePair({ queueMaxSizes: [256, 0] });
    await expectCode(
      driver.initialize({
        supportedFeatures: SUPPORTED,
        queues: [queueSetup(0, 64), queueSetup(1, 64)],
      }),
      'QUEUE_UNAVAILABLE',
    );
    expect(device.queue(0).ready).toBe(true);
    expect(device.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);

    const other = inlinePair({ queueMaxSizes: [256] });
    await expectCode(
      other.driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(5, 64)] }),
      'QUEUE_UNAVAILABLE',
    );
  });

  it('the device refuses ring areas outside guest memory or misaligned (QUEUE_REJECTED)', async () => {
    const outside = inlinePair();
    await expectCode(
      outside.driver.initialize({
        supportedFeatures: SUPPORTED,
        queues: [{ ...queueSetup(0, 64), deviceArea: 0x1_0000_0000n }],
      }),
      'QUEUE_REJECTED',
    );
    expect(outside.device.lastViolation?.code).toBe('BAD_QUEUE_ADDRESS');
    expect(outside.device.queue(0).ready).toBe(false);

    const misaligned = inlinePair();
    await expectCode(
      misaligned.driver.initialize({
        supportedFeatures: SUPPORTED,
        queues: [{ ...queueSetup(0, 64), descriptorArea: 0x10008 }],
      }),
      'QUEUE_REJECTED',
    );
    expect(misaligned.device.lastViolation?.code).toBe('BAD_QUEUE_ADDRESS');
  });

  it('carries both 32-bit halves of a ring address to the device', async () => {
    const { device, driver } = inlinePair();
    await driver.writeRegister(MmioRegister.QUEUE_SEL, 0);
    await driver.writeRegister(MmioRegister.QUEUE_DESC_LOW, 0x1000);
    await driver.writeRegister(MmioRegister.QUEUE_DESC_HIGH, 0xabcd);
    await driver.writeRegister(MmioRegister.QUEUE_DEVICE_HIGH, 0xffff_ffff);
    expect(device.queue(0).descriptorArea).toBe(0xabcd_0000_1000n);
    expect(device.queue(0).deviceArea).toBe(0xffff_ffff_0000_0000n);
    expect(driver.readRegister(MmioRegister.QUEUE_DESC_HIGH)).toBe(0xabcd);
  });

  it('the device refuses QueueReady before FEATURES_OK and queue writes while ready', async () => {
    const { device, driver } = inlinePair();
    await driver.writeRegister(MmioRegister.QUEUE_READY, 1);
    expect(device.lastViolation?.code).toBe('QUEUE_BEFORE_FEATURES_OK');
    expect(driver.readRegister(MmioRegister.QUEUE_READY)).toBe(0);
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64)] });
    await driver.writeRegister(MmioRegister.QUEUE_SEL, 0);
    await driver.writeRegister(MmioRegister.QUEUE_NUM, 8);
    expect(device.lastViolation?.code).toBe('QUEUE_BUSY');
    expect(device.queue(0).size).toBe(64);
    await expectCode(driver.setupQueue(queueSetup(0, 64)), 'QUEUE_IN_USE');
  });

  it('times out with TIMEOUT when no device answers the trap', async () => {
    const { device, driver } = inlinePair({ startDevice: false });
    await expectCode(driver.writeRegister(MmioRegister.QUEUE_SEL, 1), 'TIMEOUT');
    await expectCode(driver.initialize({ supportedFeatures: SUPPORTED, queues: [] }), 'TIMEOUT');
    device.start(); // picks up the pending request
    expect(device.status).toBe(0);
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [] });
    expect(device.driverOk).toBe(true);
  });

  it('rejects misuse with BAD_ARGUMENT', async () => {
    const { driver } = inlinePair();
    expect(() => driver.readRegister(3)).toThrow(TransportError);
    expect(() => driver.readRegister(0x100)).toThrow(TransportError);
    await expectCode(driver.writeRegister(0x102, 0), 'BAD_ARGUMENT');
    expect(() => driver.notify(32)).toThrow(TransportError);
    expect(() => driver.readConfig(0, 0xe01)).toThrow(TransportError);
    await expectCode(driver.setupQueue({ ...queueSetup(0, 64), driverArea: -1 }), 'BAD_ARGUMENT');
  });
});
