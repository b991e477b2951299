/**
 * Drives a libos stack in real time against a host frame port: poll, then sleep until
 * a frame arrives or the stack's next deadline, whichever is first. For Linux-peer
 * tests; always `stop()` it.
 */
import type { Stack } from '@libos/net';
import type { HostFramePort } from '@libos/net/node';
import { HostClock } from '@libos/sched';

export interface StackRunner {
  readonly clock: HostClock;
  /** Stops the loop and waits for it to finish its current turn. */
  stop(): Promise<void>;
}

export function runStack(
  stack: Stack,
  port: HostFramePort,
  clock = new HostClock(),
  alsoPoll: () => void = () => {},
): StackRunner {
  let running = true;
  const loop = (async () => {
    while (running) {
      const now = clock.now();
      alsoPoll();
      stack.poll(now);
      const at = stack.pollAt();
      const waitMs = at === null ? 5 : Math.min(5, Math.max(0, Math.ceil((at - now) / 1000)));
      await port.waitForFrame(waitMs);
    }
  })();
  return {
    clock,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
