import { GuestMemory } from '@libos/mem';
import {
  type MmioDeviceTransport,
  MmioInterrupt,
  MmioRegister,
  TransportError,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_BASE, inlinePair, queueSetup, SUPPORTED } from './transport-fixture.js';

const GENERATION = BLOCK_BASE + MmioRegister.CONFIG_GENERATION;

/**
 * Driver-side guest memory over the same buffer that runs `onGenerationRead` every
 * time the driver loads ConfigGeneration: a device "racing" the driver's config read.
 */
class RacingMemory extends GuestMemory {
  generationReads = 0;
  onGenerationRead: (readIndex: number) => void = () => {};

  override atomicLoadU32(addr: number): number {
    if (addr === GENERATION) {
      const index = this.generationReads++;
      const value = super.atomicLoadU32(addr);
      this.onGenerationRead(index);
      return value;
    }
    return super.atomicLoadU32(addr);
  }
}

function fill(value: number): Uint8Array {
  return new Uint8Array(16).fill(value);
}

function racingPair(configRetries = 8): {
  device: MmioDeviceTransport;
  racing: RacingMemory;
  driver: ReturnType<typeof inlinePair>['driver'];
} {
  let racing: RacingMemory | null = null;
  const pair = inlinePair({
    config: fill(1),
    configRetries,
    driverMemory: (memory) => {
      racing = new RacingMemory(memory.buffer);
      return racing;
    },
  });
  if (racing === null) throw new Error('unreachable');
  return { device: pair.device, racing, driver: pair.driver };
}

describe('config space and ConfigGeneration (§2.5.1, §4.2.2)', () => {
  it('reads a stable config space in one pass', () => {
    const { racing, driver } = racingPair();
    expect(driver.readConfig(0, 16)).toEqual(fill(1));
    expect(racing.generationReads).toBe(2);
  });

  it('retries when the device changes config between the two generation reads', () => {
    const { device, racing, driver } = racingPair();
    // The device rewrites config right after the driver's 1st and 3rd generation reads.
    racing.onGenerationRead = (i) => {
      if (i === 0) device.updateConfig(0, fill(2));
      if (i === 2) device.updateConfig(0, fill(3));
    };
    const snapshot = driver.readConfig(0, 16);
    expect(snapshot).toEqual(fill(3));
    expect(racing.generationReads).toBe(6);
  });

  it('never returns a torn snapshot under random concurrent updates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 255 }),
        (updateAfterRead, seed) => {
          const { device, racing, driver } = racingPair(64);
          let version = seed;
          racing.onGenerationRead = (i) => {
            if (updateAfterRead[i] === true) {
              version = (version + 1) & 0xff;
              // A torn update: the device writes half the bytes, then the rest.
              device.updateConfig(0, new Uint8Array(8).fill(version));
              device.updateConfig(8, new Uint8Array(8).fill(version));
            }
          };
          const snapshot = driver.readConfig(0, 16);
          expect(new Set(snapshot).size).toBe(1);
        },
      ),
    );
  });

  it('gives up with CONFIG_UNSTABLE when the generation never settles', () => {
    const { device, racing, driver } = racingPair(5);
    racing.onGenerationRead = () => device.updateConfig(0, fill(9));
    let error: unknown = null;
    try {
      driver.readConfig(0, 4);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('CONFIG_UNSTABLE');
    expect(racing.generationReads).toBeLessThanOrEqual(10);
  });

  it('treats an odd generation as an update in progress', () => {
    const { memory, driver } = inlinePair();
    memory.atomicAddU32(GENERATION, 1);
    expect(() => driver.readConfig(0, 4)).toThrow(TransportError);
    memory.atomicAddU32(GENERATION, 1);
    expect(driver.readConfig(0, 4)).toEqual(new Uint8Array(4));
  });

  it('raises a config change interrupt once the device is live', async () => {
    let changes = 0;
    const { device, driver } = inlinePair({ driverHandlers: { onConfigChange: () => changes++ } });
    device.updateConfig(0, fill(5));
    expect(changes).toBe(0); // not before DRIVER_OK
    await driver.initialize({ supportedFeatures: SUPPORTED, queues: [queueSetup(0, 8)] });
    device.updateConfig(4, new Uint8Array([7, 7]));
    expect(changes).toBe(1);
    expect(driver.readConfig(3, 4)).toEqual(new Uint8Array([5, 7, 7, 5]));
    expect(driver.readRegister(MmioRegister.INTERRUPT_STATUS) & MmioInterrupt.CONFIG_CHANGE).toBe(
      0,
    );
  });

  it('driver config writes reach the device model, which may refuse them', async () => {
    const writes: string[] = [];
    const { device, driver } = inlinePair({
      deviceHandlers: {
        onConfigWrite: (offset, width, value) => {
          writes.push(`${offset}/${width}/${value.toString(16)}`);
          return offset < 8;
        },
      },
    });
    const before = driver.readRegister(MmioRegister.CONFIG_GENERATION);
    await driver.writeConfig(4, 4, 0xa1b2c3d4);
    await driver.writeConfig(2, 2, 0x1_beef);
    await driver.writeConfig(8, 1, 0x55);
    expect(writes).toEqual(['4/4/a1b2c3d4', '2/2/beef', '8/1/55']);
    expect([...device.config().subarray(0, 9)]).toEqual([
      0, 0, 0xef, 0xbe, 0xd4, 0xc3, 0xb2, 0xa1, 0,
    ]);
    expect(device.lastViolation?.code).toBe('CONFIG_READ_ONLY');
    expect(driver.readRegister(MmioRegister.CONFIG_GENERATION)).toBe(before + 4);
    await driver.writeConfig(16, 4, 1);
    expect(device.lastViolation?.code).toBe('CONFIG_OUT_OF_RANGE');
  });

  it('config space is read-only without an onConfigWrite handler', async () => {
    const { device, driver } = inlinePair();
    await driver.writeConfig(0, 1, 0xff);
    expect(device.lastViolation?.code).toBe('CONFIG_READ_ONLY');
    expect(device.config()[0]).toBe(0);
  });
});
