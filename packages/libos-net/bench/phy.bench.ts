/**
 * NET-switch: frames/s through a 2-port learning switch (transmit on one port, poll,
 * receive on the other) against the plain in-process cable, in the same run.
 * NET-pcap: the cost of recording every frame with PcapWriter against the bare cable.
 */
import { createLink, createSwitch, PcapWriter } from '@libos/net';
import { VirtualClock } from '@libos/sched';
import type { Comparison } from '../../../bench/harness.js';

const FRAME = 64;
const BURST = 32;
const BURSTS = 2048;

let sink = 0;
const count = (frame: Uint8Array): void => {
  sink += frame[14]!;
};

/** Fills a unicast frame from `src` to `dst` with a counter byte. */
function filler(dst: Uint8Array, src: Uint8Array): (buffer: Uint8Array) => void {
  let n = 0;
  return (buffer) => {
    buffer.set(dst, 0);
    buffer.set(src, 6);
    buffer[12] = 0x88;
    buffer[13] = 0xb5;
    buffer[14] = n++ & 0xff;
  };
}

const clock = new VirtualClock();
const sw = createSwitch({ clock, queueFrames: BURST });
const portA = sw.attach();
const portB = sw.attach();
const switchFill = filler(portB.macAddress, portA.macAddress);
// Teach the switch where B lives, so the measured traffic is forwarded, not flooded.
portB.transmit(FRAME, filler(portA.macAddress, portB.macAddress));
sw.poll();
portA.receive(count, BURST);

const [linkA, linkB] = createLink({ queueFrames: BURST });
const linkFill = filler(linkB.macAddress, linkA.macAddress);

const [rawA, rawB] = createLink({ queueFrames: BURST });
const [capturedInner, capturedPeer] = createLink({ queueFrames: BURST });
let pcapBytes = 0;
const captured = new PcapWriter(capturedInner, {
  clock,
  sink: (chunk) => {
    pcapBytes += chunk.length;
  },
});
const rawFill = filler(rawB.macAddress, rawA.macAddress);
const capturedFill = filler(capturedPeer.macAddress, captured.macAddress);

export const comparisons: Comparison[] = [
  {
    id: 'NET-switch',
    title: '2-port learning switch vs the plain createLink() cable, 64 B frames',
    conditions: `${FRAME} B unicast frames to a learned MAC, bursts of ${BURST}: transmit all, poll the switch once, receive all; queues of ${BURST}`,
    subject: {
      name: 'switch port → poll → switch port',
      ops: BURST * BURSTS,
      run: () => {
        for (let r = 0; r < BURSTS; r++) {
          for (let i = 0; i < BURST; i++) portA.transmit(FRAME, switchFill);
          sw.poll(BURST);
          portB.receive(count, BURST);
        }
      },
    },
    baseline: {
      name: 'createLink() end → end',
      ops: BURST * BURSTS,
      run: () => {
        for (let r = 0; r < BURSTS; r++) {
          for (let i = 0; i < BURST; i++) linkA.transmit(FRAME, linkFill);
          linkB.receive(count, BURST);
        }
      },
    },
    goal: 0.5,
    floor: 0.25,
  },
  {
    id: 'NET-pcap',
    title: 'PcapWriter recording every transmitted frame vs the unwrapped cable',
    conditions: `${FRAME} B frames, bursts of ${BURST}, sink only counts bytes (no copy, no I/O); the cable is both sides' device`,
    subject: {
      name: 'PcapWriter(createLink()) transmit + receive',
      ops: BURST * BURSTS,
      run: () => {
        for (let r = 0; r < BURSTS; r++) {
          for (let i = 0; i < BURST; i++) captured.transmit(FRAME, capturedFill);
          capturedPeer.receive(count, BURST);
        }
      },
    },
    baseline: {
      name: 'createLink() transmit + receive',
      ops: BURST * BURSTS,
      run: () => {
        for (let r = 0; r < BURSTS; r++) {
          for (let i = 0; i < BURST; i++) rawA.transmit(FRAME, rawFill);
          rawB.receive(count, BURST);
        }
      },
    },
    goal: 0.7,
    floor: 0.4,
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink + pcapBytes;
}
