/**
 * Test rig for stack tests: stacks on in-process links under a virtual clock, and a
 * loop that polls them until they are quiet, advancing time to the next deadline.
 */
import {
  createLink,
  createStack,
  type Ipv4StaticConfig,
  type LinkEndpoint,
  type LinkOptions,
  type NetDevice,
  type Stack,
} from '@libos/net';
import { SeededEntropy, VirtualClock } from '@libos/sched';

export interface Rig {
  readonly clock: VirtualClock;
  readonly stacks: Stack[];
  /** Devices the rig polls besides stacks (e.g. a raw peer is polled by the test). */
  run(micros: number): Promise<void>;
  settle(): Promise<void>;
}

/** Lets promise continuations (socket sends, awaits in tests) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

export function rig(stacks: Stack[], clock: VirtualClock): Rig {
  const pollAll = async (): Promise<number> => {
    let frames = 0;
    for (let round = 0; round < 5000; round++) {
      let n = 0;
      for (const s of stacks) n += s.poll(clock.now());
      await flushMicrotasks();
      frames += n;
      if (n === 0) return frames;
    }
    throw new Error('stacks did not go quiet within 5000 rounds');
  };
  return {
    clock,
    stacks,
    settle: async () => {
      await pollAll();
    },
    run: async (micros: number) => {
      const end = clock.now() + micros;
      for (let step = 0; step < 100_000; step++) {
        await pollAll();
        let next = end;
        for (const s of stacks) {
          const at = s.pollAt();
          if (at !== null && at > clock.now() && at < next) next = at;
        }
        if (clock.now() >= end) return;
        clock.advanceTo(Math.max(next, clock.now() + 1));
      }
      throw new Error('run did not finish within 100000 steps');
    },
  };
}

export interface Pair {
  readonly left: Stack;
  readonly right: Stack;
  readonly rig: Rig;
  readonly clock: VirtualClock;
}

export function pair(
  leftConfig: Ipv4StaticConfig = { address: '10.0.0.1/24' },
  rightConfig: Ipv4StaticConfig = { address: '10.0.0.2/24' },
  link: LinkOptions = {},
): Pair {
  const [a, b] = createLink(link);
  const clock = new VirtualClock();
  const left = createStack({
    devices: [a],
    clock,
    entropy: new SeededEntropy(1),
    ipv4: leftConfig,
  });
  const right = createStack({
    devices: [b],
    clock,
    entropy: new SeededEntropy(2),
    ipv4: rightConfig,
  });
  return { left, right, clock, rig: rig([left, right], clock) };
}

/** A stack on one end of a link, a raw NetDevice on the other, for crafted frames. */
export function stackWithRawPeer(
  config: Ipv4StaticConfig = { address: '10.0.0.1/24', gateway: '10.0.0.254' },
  link: LinkOptions = {},
): { stack: Stack; peer: LinkEndpoint; clock: VirtualClock; rig: Rig } {
  const [a, b] = createLink({ queueFrames: 1024, ...link });
  const clock = new VirtualClock();
  const stack = createStack({ devices: [a], clock, entropy: new SeededEntropy(7), ipv4: config });
  return { stack, peer: b, clock, rig: rig([stack], clock) };
}

/** Every frame the device has received, copied. */
export function drain(device: NetDevice): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) {
    if (device.receive((frame) => frames.push(frame.slice()), 64) === 0) break;
  }
  return frames;
}

/** Sends a copy of `frame` from `device`. */
export function inject(device: NetDevice, frame: Uint8Array): void {
  if (!device.transmit(frame.length, (buffer) => buffer.set(frame))) {
    throw new Error('peer refused a frame');
  }
}
