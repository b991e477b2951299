import { MmioDoorbell, MmioInterrupt, MmioRegister } from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_BASE, inlinePair, queueSetup, SUPPORTED } from './transport-fixture.js';

const init = { supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64), queueSetup(1, 32)] };

describe('queue notifications (posted doorbell), inline', () => {
  it('delivers every notification to the right queue', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 1 }), { maxLength: 50 }),
        async (kicks) => {
          const seen = [0, 0];
          const { driver } = inlinePair({
            deviceHandlers: {
              onNotify: (q) => {
                seen[q] = (seen[q] ?? 0) + 1;
              },
            },
          });
          await driver.initialize(init);
          for (const q of kicks) driver.notify(q);
          expect(seen).toEqual([
            kicks.filter((q) => q === 0).length,
            kicks.filter((q) => q === 1).length,
          ]);
        },
      ),
    );
  });

  it('drops notifications before DRIVER_OK and for queues that are not ready', async () => {
    const seen: number[] = [];
    const { driver, memory } = inlinePair({ deviceHandlers: { onNotify: (q) => seen.push(q) } });
    driver.notify(0);
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 64)] });
    driver.notify(1);
    driver.notify(5);
    driver.notify(0);
    expect(seen).toEqual([0]);
    expect(memory.atomicLoadU32(BLOCK_BASE + MmioDoorbell.NOTIFY_SEQ)).toBe(4);
  });

  it('a trapped QueueNotify write also reaches the device', async () => {
    const seen: number[] = [];
    const { device, driver } = inlinePair({ deviceHandlers: { onNotify: (q) => seen.push(q) } });
    await driver.initialize(init);
    await driver.writeRegister(MmioRegister.QUEUE_NOTIFY, 1);
    await driver.writeRegister(MmioRegister.QUEUE_NOTIFY, 9);
    expect(seen).toEqual([1]);
    expect(device.lastViolation?.code).toBe('BAD_NOTIFY');
  });
});

describe('interrupts, inline', () => {
  it('every used-buffer interrupt reaches the driver and is acknowledged', async () => {
    let used = 0;
    const { device, driver } = inlinePair({ driverHandlers: { onUsedBuffer: () => used++ } });
    expect(device.signalUsedBuffers()).toBe(false); // §2.1.2: not before DRIVER_OK
    expect(used).toBe(0);
    await driver.initialize(init);
    for (let i = 0; i < 10; i++) expect(device.signalUsedBuffers()).toBe(true);
    expect(used).toBe(10);
    expect(driver.interruptCount).toBe(10);
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS)).toBe(0);
  });

  it('InterruptACK clears exactly the acknowledged bits', async () => {
    const { device, driver } = inlinePair();
    await driver.initialize(init);
    driver.stop(); // handle by hand
    device.raiseInterrupt(MmioInterrupt.USED_BUFFER | MmioInterrupt.CONFIG_CHANGE);
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS)).toBe(3);
    await driver.writeRegister(MmioRegister.INTERRUPT_ACK, MmioInterrupt.USED_BUFFER);
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS)).toBe(MmioInterrupt.CONFIG_CHANGE);
    await driver.writeRegister(MmioRegister.INTERRUPT_ACK, MmioInterrupt.CONFIG_CHANGE | 0x40);
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS)).toBe(0);
    expect(device.lastViolation?.code).toBe('BAD_INTERRUPT_ACK');
  });

  it('handleInterrupt reports each cause once and ignores undefined bits', async () => {
    const events: string[] = [];
    const { memory, device, driver } = inlinePair({
      driverHandlers: {
        onUsedBuffer: () => events.push('used'),
        onConfigChange: () => events.push('config'),
      },
    });
    await driver.initialize(init);
    driver.stop();
    device.raiseInterrupt(MmioInterrupt.CONFIG_CHANGE);
    device.raiseInterrupt(MmioInterrupt.USED_BUFFER);
    memory.atomicStoreU32(BLOCK_BASE + MmioRegister.INTERRUPT_STATUS, 0x7);
    expect(driver.handleInterrupt()).toBe(3);
    expect(driver.handleInterrupt()).toBe(0);
    expect(events).toEqual(['config', 'used']);
    expect(memory.atomicLoadU32(BLOCK_BASE + MmioRegister.INTERRUPT_STATUS)).toBe(4);
  });
});
