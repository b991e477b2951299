/**
 * NET-tcp-buffers: the byte path of one TCP connection through its buffers — the sender's
 * {@link SendBuffer} (write, copy out for transmission, acknowledge) and the receiver's
 * {@link ReceiveBuffer} (write at RCV.NXT, read) — for 1460-byte segments, against the
 * floor any TCP must pay: the same four copies done with plain `Uint8Array.set` at
 * precomputed, never-wrapping offsets.
 */
import { ReceiveBuffer, SendBuffer } from '@libos/net';
import type { Comparison } from '../../../bench/harness.js';

const SEGMENT = 1460;
/** 64 KiB rings: not a multiple of the segment size, so copies regularly wrap. */
const CAPACITY = 64 * 1024;
/** Segments in flight (sent, not yet acknowledged): about 32 KiB. */
const IN_FLIGHT = 22;
const SEGMENTS = 4096;

const appData = Uint8Array.from({ length: SEGMENT }, (_, i) => (i * 7) & 0xff);
const wire = new Uint8Array(SEGMENT);
const appOut = new Uint8Array(SEGMENT);

const send = new SendBuffer(CAPACITY);
const receive = new ReceiveBuffer(CAPACITY);

/** The baseline's rings hold a whole number of segments so that no copy wraps. */
const RING_SEGMENTS = Math.floor(CAPACITY / SEGMENT);
const sendRing = new Uint8Array(RING_SEGMENTS * SEGMENT);
const receiveRing = new Uint8Array(RING_SEGMENTS * SEGMENT);

let sink = 0;

export const comparisons: Comparison[] = [
  {
    id: 'NET-tcp-buffers',
    title: 'TCP SendBuffer + ReceiveBuffer byte path per 1460-byte segment',
    conditions: `segments of ${SEGMENT} B, 64 KiB rings, ${IN_FLIGHT} segments in flight; per segment: SendBuffer.write, copyOut (newest segment), acknowledge (oldest), ReceiveBuffer.write at RCV.NXT, readInto (no allocation); baseline: the same 4 copies with Uint8Array.set at offsets that never wrap`,
    subject: {
      name: 'SendBuffer + ReceiveBuffer',
      ops: SEGMENTS,
      run: () => {
        let s = 0;
        for (let i = 0; i < SEGMENTS; i++) {
          send.write(appData);
          send.copyOut(send.length - SEGMENT, SEGMENT, wire);
          if (send.length > IN_FLIGHT * SEGMENT) send.acknowledge(SEGMENT);
          s += receive.write(0, wire) as number;
          s += receive.readInto(appOut);
          s += appOut[i % SEGMENT]!;
        }
        sink += s;
      },
    },
    baseline: {
      name: 'Uint8Array.set ×4',
      ops: SEGMENTS,
      run: () => {
        let s = 0;
        for (let i = 0; i < SEGMENTS; i++) {
          const at = (i % RING_SEGMENTS) * SEGMENT;
          sendRing.set(appData, at);
          wire.set(sendRing.subarray(at, at + SEGMENT));
          receiveRing.set(wire, at);
          appOut.set(receiveRing.subarray(at, at + SEGMENT));
          s += 2 * SEGMENT + appOut[i % SEGMENT]!;
        }
        sink += s;
      },
    },
    goal: 0.8,
    floor: 0.5,
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
