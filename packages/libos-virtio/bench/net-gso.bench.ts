/**
 * TCP bulk transfer between two virtio-net drivers in one process, each with its own
 * guest memory and inline device model, the two models joined by `createOffloadLink()`
 * (a GsoNetPort, like a vhost switch port). Bytes/s of TCP payload received by driver B.
 *
 * - subject: 64 KiB TSO frames from A (HOST_TSO4) passed through whole to B (GUEST_TSO4
 *   negotiated): no segmentation anywhere, one partial checksum, ~33 receive buffers
 *   per frame;
 * - baseline 1: the same frames, B without GUEST_TSO4: B's device model cuts them into
 *   1460-byte segments with full IPv4 + TCP checksums;
 * - baseline 2: no TSO at all, A sends 1514-byte frames (NEEDS_CSUM completed by A's model).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import type { FrameFiller, FrameReceiver } from '@libos/net';
import {
  createOffloadLink,
  InlineLink,
  type OffloadLinkEndpoint,
  VirtioNetDeviceModel,
  VirtioNetDriver,
} from '@libos/virtio';
import type { Comparison } from '../../../bench/harness.js';
import { tcpTemplate } from './tcp-frame.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

/** TCP payload bytes moved per sample (ops are bytes: the rates are bytes/s). */
const BYTES = 16 << 20;
const TSO_PAYLOAD = 65535 - 40;
const MSS = 1460;

async function machine(port: OffloadLinkEndpoint, guestTso: boolean) {
  const memory = new GuestMemory(16 << 20);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (16 << 20) - 0x10000 });
  const model = new VirtioNetDeviceModel({ memory, base: 0x1000, link }, port);
  model.start();
  const driver = await VirtioNetDriver.open({
    memory,
    dma,
    base: 0x1000,
    link,
    receiveSegmentationOffload: guestTso,
  });
  return { model, driver };
}

interface Pair {
  readonly a: VirtioNetDriver;
  readonly b: VirtioNetDriver;
  readonly settle: () => void;
}

async function pair(guestTso: boolean): Promise<Pair> {
  const [left, right] = createOffloadLink({ queueFrames: 256 });
  const a = await machine(left, false);
  const b = await machine(right, guestTso);
  return {
    a: a.driver,
    b: b.driver,
    settle: () => {
      a.model.poll();
      b.model.poll();
    },
  };
}

let received = 0;
const count: FrameReceiver = (frame) => {
  received += frame.length - 54;
};

/** Sends `BYTES` of TCP payload from A in frames of `payload` bytes; B receives them all. */
function pump(p: Pair, payload: number): void {
  const template = tcpTemplate(payload);
  const fill: FrameFiller = (buf) => buf.set(template);
  received = 0;
  let queued = 0;
  while (received < BYTES) {
    while (queued < BYTES && p.a.transmit(template.length, fill)) queued += payload;
    p.settle();
    while (p.b.receive(count, 256) > 0);
  }
  sink.value += received;
}

const through = await pair(true);
const segmented = await pair(false);
const plain = await pair(false);

const conditions =
  `inline, two guest memories and device models joined by createOffloadLink (256 frames each way), ` +
  `MTU 1500, MRG_RXBUF with 2048-byte receive buffers, CSUM/GUEST_CSUM; ${BYTES} TCP payload bytes per sample`;

export const comparisons: Comparison[] = [
  {
    id: 'VIRTIO-NET-GSO-PASS',
    title:
      'virtio-net TCP between two drivers, bytes/s: 64 KiB frames passed through whole (GUEST_TSO4) vs segmented by the receiving device model',
    conditions: `${conditions}; subject: ${TSO_PAYLOAD}-byte payload TSO frames delivered whole to B; baseline: the same frames, B without GUEST_TSO4 (cut into ${MSS}-byte segments, checksums computed)`,
    subject: {
      name: 'TSO → GUEST_TSO4 (whole)',
      ops: BYTES,
      run: () => pump(through, TSO_PAYLOAD),
    },
    baseline: { name: 'TSO → segmented at B', ops: BYTES, run: () => pump(segmented, TSO_PAYLOAD) },
  },
  {
    id: 'VIRTIO-NET-GSO-VS-MTU',
    title:
      'virtio-net TCP between two drivers, bytes/s: 64 KiB frames passed through whole vs no TSO (1514-byte frames)',
    conditions: `${conditions}; subject as VIRTIO-NET-GSO-PASS; baseline: A sends ${MSS + 54}-byte frames (NEEDS_CSUM completed by A's model), B receives them`,
    subject: {
      name: 'TSO → GUEST_TSO4 (whole)',
      ops: BYTES,
      run: () => pump(through, TSO_PAYLOAD),
    },
    baseline: { name: '1514-byte frames, no TSO', ops: BYTES, run: () => pump(plain, MSS) },
  },
];
