/**
 * virtio-net transmit throughput: frames written by `VirtioNetDriver.transmit` into its
 * transmit queue, taken by the inline `VirtioNetDeviceModel` (header stripped, frame
 * copied into the backend), queued on a `createLink()` cable and drained at the far end.
 * Baseline, same run: the same frames sent directly across a `createLink()` pair
 * (`transmit` on one end, `receive` on the other) — the cost of the cable alone.
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { createLink, type FrameFiller, type FrameReceiver, type NetDevice } from '@libos/net';
import { InlineLink, VirtioNetDeviceModel, VirtioNetDriver } from '@libos/virtio';
import type { Comparison } from '../../../bench/harness.js';
import { tcpTemplate } from './tcp-frame.js';

/** Results are folded in here so the optimiser cannot drop the work. */
export const sink = { value: 0 };

const FRAMES = 100_000;
/** Frames sent between drains of the far end (the cable queues 64). */
const BURST = 32;

interface Path {
  readonly sender: NetDevice;
  readonly far: NetDevice;
  /** Lets the device model move frames the backend refused earlier. */
  readonly settle: () => void;
}

async function virtioPath(queueFrames = 64, transmitBatch = 1): Promise<Path> {
  const memory = new GuestMemory(8 << 20);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (8 << 20) - 0x10000 });
  const [backend, far] = createLink({ queueFrames });
  const model = new VirtioNetDeviceModel({ memory, base: 0x1000, link }, backend);
  model.start();
  const sender = await VirtioNetDriver.open({ memory, dma, base: 0x1000, link, transmitBatch });
  return {
    sender,
    far,
    settle: () => {
      sender.flush();
      model.poll();
    },
  };
}

function directPath(): Path {
  const [sender, far] = createLink();
  return { sender, far, settle: () => {} };
}

let acc = 0;
const fills = new Map<number, FrameFiller>();
function filler(length: number): FrameFiller {
  let f = fills.get(length);
  if (f === undefined) {
    f = (buf) => {
      buf[0] = 0x02;
      buf[12] = 0x88;
      buf[13] = 0xb5;
      buf[length - 1] = length & 0xff;
    };
    fills.set(length, f);
  }
  return f;
}
const drain: FrameReceiver = (frame) => {
  acc += frame[frame.length - 1]!;
};

/** Sends `FRAMES` frames of `length` bytes and drains them all at the far end. */
function pump(path: Path, length: number): void {
  const fill = filler(length);
  let sent = 0;
  let received = 0;
  while (received < FRAMES) {
    for (let n = 0; n < BURST && sent < FRAMES; n++) {
      if (!path.sender.transmit(length, fill)) break;
      sent++;
    }
    let got = path.far.receive(drain, 256);
    if (got === 0) {
      path.settle();
      got = path.far.receive(drain, 256);
    }
    received += got;
  }
  sink.value += acc;
}

const virtio = await virtioPath();
const batched = await virtioPath(64, BURST);
const direct = directPath();

function comparison(id: string, length: number): Comparison {
  return {
    id,
    title: `virtio-net transmit, ${length}-byte frames: driver → inline device model → createLink vs createLink alone`,
    conditions:
      'inline (one thread, InlineLink), queue size 256, EVENT_IDX, MRG_RXBUF and CSUM negotiated ' +
      '(frames are not IP, so no checksum work); one doorbell check per transmit; ' +
      `${FRAMES} frames per sample, sent in bursts of ${BURST} and drained at the far end of the cable; ` +
      'baseline: the same frames across a createLink() pair directly (transmit + receive).',
    subject: {
      name: 'VirtioNetDriver → model → link',
      ops: FRAMES,
      run: () => pump(virtio, length),
    },
    baseline: { name: 'createLink() pair directly', ops: FRAMES, run: () => pump(direct, length) },
  };
}

// ── TSO: one 64 KiB TCP/IPv4 frame per transmit vs MSS-sized frames ─────────────────

/** TCP payload bytes moved per sample (ops are bytes: the rates are bytes/s). */
const TSO_BYTES = 16 << 20;

let tcpBytes = 0;
const countTcp: FrameReceiver = (frame) => {
  tcpBytes += frame.length - 54;
};

/** Sends `TSO_BYTES` of TCP payload as frames of `payload` bytes each; drains the far end. */
function pumpTcp(path: Path, payload: number): void {
  const template = tcpTemplate(payload);
  const fill: FrameFiller = (buf) => buf.set(template);
  tcpBytes = 0;
  let queued = 0;
  while (tcpBytes < TSO_BYTES) {
    while (queued < TSO_BYTES && path.sender.transmit(template.length, fill)) queued += payload;
    if (path.far.receive(countTcp, 256) === 0) path.settle();
  }
  sink.value += tcpBytes;
}

/** The cable queues 256 frames: room for all 45 segments of a 64 KiB frame at once. */
const tsoPath = await virtioPath(256);
const TSO_PAYLOAD = 65535 - 40;
const MSS = 1460;

export const comparisons: Comparison[] = [
  comparison('VIRTIO-NET-64', 64),
  {
    id: 'VIRTIO-NET-64-BATCH',
    title: `virtio-net transmit, 64-byte frames: one doorbell per ${BURST} frames (transmitBatch) vs per frame`,
    conditions:
      'inline (InlineLink), queue size 256, EVENT_IDX, MRG_RXBUF and CSUM negotiated; ' +
      `${FRAMES} frames per sample in bursts of ${BURST}, drained at the far end of a createLink() cable; ` +
      `subject: transmitBatch ${BURST} (publish + notify once per burst, the device serves the burst at once); ` +
      'baseline: transmitBatch 1 (publish + EVENT_IDX notify check per frame, the inline device serves each frame).',
    subject: { name: `transmitBatch ${BURST}`, ops: FRAMES, run: () => pump(batched, 64) },
    baseline: { name: 'transmitBatch 1', ops: FRAMES, run: () => pump(virtio, 64) },
  },
  comparison('VIRTIO-NET-1514', 1514),
  {
    id: 'VIRTIO-NET-TSO',
    title:
      'virtio-net TCP transmit, bytes/s: 64 KiB TSO frames (HOST_TSO4, device segments) vs 1514-byte frames',
    conditions:
      `inline (InlineLink), HOST_TSO4 + CSUM negotiated, MTU 1500; ${TSO_BYTES} TCP payload bytes per sample; ` +
      `subject: ${TSO_PAYLOAD}-byte payload frames (65549 bytes) segmented by the device model into ` +
      `${MSS}-byte segments (IPv4 + TCP checksums computed per segment); baseline: the same bytes sent ` +
      `by the driver as ${MSS + 54}-byte frames with NEEDS_CSUM. Both drained at the far end of a createLink() cable queueing 256 frames.`,
    subject: {
      name: '64 KiB TSO frames',
      ops: TSO_BYTES,
      run: () => pumpTcp(tsoPath, TSO_PAYLOAD),
    },
    baseline: { name: '1514-byte frames', ops: TSO_BYTES, run: () => pumpTcp(tsoPath, MSS) },
  },
];
