/**
 * P4 — 64-byte frames through a split virtqueue: driver + inline device model, one thread
 * (PERFORMANCE.md). Also counts the doorbells (driver → device notifications) needed per
 * 1 M frames with and without VIRTIO_F_EVENT_IDX.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  allocateSplitQueue,
  DescriptorChain,
  SplitQueueDevice,
  SplitQueueDriver,
} from '@libos/virtio';
import type { Comparison } from '../../../bench/harness.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

const FRAMES = 500_000;
const FRAME = 64;
const QUEUE_SIZE = 256;
const BATCH = 32;
const MEM = 4 << 20;
const FRAME_BASE = 2 << 20;

interface Rig {
  readonly driver: SplitQueueDriver<number>;
  readonly device: SplitQueueDevice;
  readonly chain: DescriptorChain;
}

function rig(eventIdx: boolean): Rig {
  const memory = new GuestMemory(MEM);
  const dma = new DmaAllocator(memory, { base: 0, length: FRAME_BASE });
  const addresses = allocateSplitQueue(dma, QUEUE_SIZE)!;
  const features = { eventIdx, indirect: false };
  // 256 frames of 64 bytes, filled with a pattern.
  for (let i = 0; i < QUEUE_SIZE * FRAME; i++) memory.u8[FRAME_BASE + i] = (i * 31) & 0xff;
  return {
    driver: new SplitQueueDriver<number>(memory, QUEUE_SIZE, addresses, features),
    device: new SplitQueueDevice(memory, QUEUE_SIZE, addresses, features),
    chain: new DescriptorChain(memory),
  };
}

const scratch = new Uint8Array(FRAME);
let reclaimed = 0;
let lengths = 0;
const onUsed = (token: number, len: number): void => {
  reclaimed++;
  lengths += len + (token & 1);
};

interface Counts {
  readonly kicks: number;
  readonly interrupts: number;
}

/**
 * Moves `frames` frames: the driver adds and publishes batches of `BATCH`, asks whether to
 * kick; the device runs every `devicePeriod` batches (disable notifications, drain, copy
 * each frame out, push used, publish, re-enable); the driver reclaims.
 */
function pump(r: Rig, frames: number, devicePeriod: number): Counts {
  const { driver, device, chain } = r;
  let sent = 0;
  let kicks = 0;
  let interrupts = 0;
  let batches = 0;
  let acc = 0;
  reclaimed = 0;
  while (reclaimed < frames) {
    let n = 0;
    while (n < BATCH && sent < frames) {
      if (!driver.addBuffer(FRAME_BASE + (sent & (QUEUE_SIZE - 1)) * FRAME, FRAME, false, sent))
        break;
      sent++;
      n++;
    }
    driver.publish();
    if (driver.kickNeeded()) kicks++; // the transport would ring the doorbell here
    if (++batches % devicePeriod === 0 || sent === frames) {
      device.disableNotifications();
      do {
        while (device.popAvailable(chain) !== null) {
          chain.readReadable(scratch); // copy the frame out, as a backend would
          acc += scratch[0]! ^ scratch[FRAME - 1]!;
          device.pushUsed(chain, 0);
        }
        device.publishUsed();
        if (device.shouldInterrupt()) interrupts++;
      } while (device.enableNotifications());
      driver.pollUsed(onUsed);
    }
  }
  sink.value += acc + lengths;
  return { kicks, interrupts };
}

/** Doorbells needed per 1 M frames, measured once when the module loads. */
function notificationsPerMillion(eventIdx: boolean, devicePeriod: number): number {
  return pump(rig(eventIdx), 1_000_000, devicePeriod).kicks;
}
const kicksFlag = notificationsPerMillion(false, 1);
const kicksEvent = notificationsPerMillion(true, 1);
const kicksFlagLate = notificationsPerMillion(false, 4);
const kicksEventLate = notificationsPerMillion(true, 4);

const subjectRig = rig(true);

// Baseline: the same frames through plain JS arrays used as queues — the producer pushes
// frame views (batches of 32), the consumer shifts each and copies its 64 bytes out, then
// pushes it on a completion array the producer drains. No guest memory, no validation.
const frames = Array.from({ length: QUEUE_SIZE }, (_, i) => {
  const f = new Uint8Array(FRAME);
  for (let k = 0; k < FRAME; k++) f[k] = (i * FRAME + k) & 0xff;
  return f;
});
const tx: Uint8Array[] = [];
const done: Uint8Array[] = [];

const p4: Comparison = {
  id: 'P4',
  title: 'virtqueue 64-byte frames: SplitQueueDriver + inline SplitQueueDevice vs JS array queue',
  conditions:
    `inline (one thread), queue size ${QUEUE_SIZE}, EVENT_IDX on, no indirect, 64-byte device-readable ` +
    `frames, driver publishes batches of ${BATCH}, device validates each chain and copies the 64 bytes ` +
    `out, pushes used, driver reclaims; ${FRAMES} frames per sample. Doorbells per 1 M frames ` +
    `(device drains after every batch): ${kicksEvent} with EVENT_IDX, ${kicksFlag} with the NO_NOTIFY flag; ` +
    `device drains every 4 batches: ${kicksEventLate} with EVENT_IDX, ${kicksFlagLate} with the flag. ` +
    'Goal is absolute (5 Mpps, floor 2 Mpps); the ratio is against plain JS arrays.',
  subject: {
    name: 'split virtqueue frames',
    ops: FRAMES,
    run: () => {
      pump(subjectRig, FRAMES, 1);
    },
  },
  baseline: {
    name: 'JS array queue frames',
    ops: FRAMES,
    run: () => {
      let sent = 0;
      let received = 0;
      let acc = 0;
      while (received < FRAMES) {
        for (let n = 0; n < BATCH && sent < FRAMES; n++)
          tx.push(frames[sent++ & (QUEUE_SIZE - 1)]!);
        let f = tx.shift();
        while (f !== undefined) {
          for (let k = 0; k < FRAME; k++) scratch[k] = f[k]!;
          acc += scratch[0]! ^ scratch[FRAME - 1]!;
          done.push(f);
          f = tx.shift();
        }
        while (done.pop() !== undefined) received++;
      }
      sink.value += acc;
    },
  },
};

export const comparisons: Comparison[] = [p4];
