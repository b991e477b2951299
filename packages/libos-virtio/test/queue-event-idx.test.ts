/**
 * Notification suppression (virtio 1.2 §2.7.10): the event-index rule against a brute
 * force model, and counts of notifications / interrupts with and without EVENT_IDX.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  allocateSplitQueue,
  DescriptorChain,
  SplitQueueDevice,
  SplitQueueDriver,
  vringNeedEvent,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** The model: walk from old to new one step at a time; did we step onto event + 1? */
function bruteNeedEvent(event: number, newIdx: number, oldIdx: number): boolean {
  for (let i = oldIdx; i !== newIdx; i = (i + 1) & 0xffff) {
    if (i === event) return true; // moving i → i + 1 crosses `event`
  }
  return false;
}

describe('vringNeedEvent', () => {
  it('matches the brute-force model on random u16 triples', () => {
    const u16 = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(u16, u16, u16, (e, n, o) => {
        expect(vringNeedEvent(e, n, o)).toBe(bruteNeedEvent(e, n, o));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches the model near the wrap-around, exhaustively for small distances', () => {
    for (const old of [0xfff0, 0xfffe, 0xffff, 0, 1]) {
      for (let d = 0; d < 24; d++) {
        const newIdx = (old + d) & 0xffff;
        for (let de = -4; de < 28; de++) {
          const event = (old + de) & 0xffff;
          expect(vringNeedEvent(event, newIdx, old)).toBe(bruteNeedEvent(event, newIdx, old));
        }
      }
    }
  });

  it('takes arguments modulo 2^16', () => {
    expect(vringNeedEvent(5 + 0x10000, 8, 4)).toBe(true);
    expect(vringNeedEvent(0xffff, 0x10002, 0xfffe)).toBe(true);
    expect(vringNeedEvent(3, 8, 4)).toBe(false);
  });
});

function pair(eventIdx: boolean, size = 256) {
  const memory = new GuestMemory(1 << 20);
  const dma = new DmaAllocator(memory, { base: 0, length: 1 << 18 });
  const addresses = allocateSplitQueue(dma, size)!;
  const features = { eventIdx, indirect: false };
  const driver = new SplitQueueDriver(memory, size, addresses, features);
  const device = new SplitQueueDevice(memory, size, addresses, features);
  return { memory, driver, device, chain: new DescriptorChain(memory) };
}

/**
 * The driver publishes one frame at a time and asks `kickNeeded` each time. The device
 * runs every `period` frames (it keeps up: it drains everything), in the usual style:
 * disable notifications, drain, re-enable. Returns the doorbells and interrupts needed.
 */
function countNotifications(eventIdx: boolean, frames: number, period: number) {
  const { driver, device, chain } = pair(eventIdx);
  let kicks = 0;
  let interrupts = 0;
  let reclaimed = 0;
  const onUsed = () => {
    reclaimed++;
  };
  for (let i = 0; i < frames; i++) {
    expect(driver.addBuffer(0x80000, 64, false, i)).toBe(true);
    driver.publish();
    if (driver.kickNeeded()) kicks++;
    if ((i + 1) % period === 0) {
      device.disableNotifications();
      do {
        while (device.popAvailable(chain)) device.pushUsed(chain, 0);
        device.publishUsed();
        if (device.shouldInterrupt()) interrupts++;
      } while (device.enableNotifications());
      driver.pollUsed(onUsed);
    }
  }
  expect(reclaimed).toBe(frames);
  expect(driver.stats().notificationsNeeded).toBe(kicks);
  expect(device.stats().interruptsNeeded).toBe(interrupts);
  return { kicks, interrupts };
}

describe('notification suppression', () => {
  it('EVENT_IDX needs fewer doorbells than the NO_NOTIFY flag when the device keeps up', () => {
    const flag = countNotifications(false, 4096, 8);
    const event = countNotifications(true, 4096, 8);
    // Flag: every publish while the device sleeps rings. Event index: the first one only.
    expect(flag.kicks).toBe(4096);
    expect(event.kicks).toBe(4096 / 8);
    expect(event.kicks).toBeLessThan(flag.kicks);
  });

  it('without EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY suppresses doorbells while set', () => {
    const { driver, device } = pair(false);
    device.disableNotifications();
    driver.addBuffer(0x80000, 8, false, 0);
    driver.publish();
    expect(driver.kickNeeded()).toBe(false);
    expect(device.enableNotifications()).toBe(true); // one is already pending
    driver.addBuffer(0x80000, 8, false, 1);
    driver.publish();
    expect(driver.kickNeeded()).toBe(true);
    expect(driver.kickNeeded()).toBe(false); // nothing new since
  });

  it('with EVENT_IDX, avail_event asks for exactly one doorbell past it', () => {
    const { driver, device } = pair(true);
    expect(device.enableNotifications()).toBe(false); // avail_event = 0
    driver.addBuffer(0x80000, 8, false, 0);
    driver.publish();
    expect(driver.kickNeeded()).toBe(true);
    driver.addBuffer(0x80000, 8, false, 1);
    driver.publish();
    expect(driver.kickNeeded()).toBe(false); // the device has not re-armed
  });

  it('interrupts: AVAIL_F_NO_INTERRUPT without EVENT_IDX, used_event with it', () => {
    for (const eventIdx of [false, true]) {
      const { driver, device, chain } = pair(eventIdx);
      const roundTrip = () => {
        driver.addBuffer(0x80000, 8, false, 0);
        driver.publish();
        device.popAvailable(chain);
        device.pushUsed(chain, 0);
        device.publishUsed();
        return device.shouldInterrupt();
      };
      driver.disableInterrupts();
      if (!eventIdx) expect(roundTrip()).toBe(false);
      else roundTrip(); // used_event = 0 was crossed: at most this one
      expect(roundTrip()).toBe(false);
      expect(driver.enableInterrupts()).toBe(true); // two used entries raced in
      expect(driver.pollUsed(() => {})).toBe(2);
      expect(roundTrip()).toBe(true);
      expect(driver.pollUsed(() => {})).toBe(1);
      expect(roundTrip()).toBe(true);
      expect(device.shouldInterrupt()).toBe(false); // nothing new published
    }
  });

  it('EVENT_IDX needs fewer interrupts when the driver polls late', () => {
    const count = (eventIdx: boolean) => {
      const { driver, device, chain } = pair(eventIdx);
      let interrupts = 0;
      for (let i = 0; i < 1024; i++) {
        driver.addBuffer(0x80000, 8, false, i);
        driver.publish();
        device.popAvailable(chain);
        device.pushUsed(chain, 0);
        device.publishUsed();
        if (device.shouldInterrupt()) interrupts++;
        if ((i + 1) % 16 === 0) {
          driver.pollUsed(() => {});
          driver.enableInterrupts();
        }
      }
      return interrupts;
    };
    expect(count(true)).toBe(1024 / 16);
    expect(count(false)).toBe(1024);
  });
});
