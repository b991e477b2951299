/**
 * The vitest wiring for a guest shared by one test file: boot once in `beforeAll`,
 * always `stop()` in `afterAll` (even when tests or the boot fail), and print the guest
 * console when a test fails.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type LinuxGuest, type LinuxGuestOptions, startLinuxGuest } from './linux-guest.js';

/** Registers the hooks; call the returned function inside tests to get the guest. */
export function useLinuxGuest(options: LinuxGuestOptions = {}): () => LinuxGuest {
  let guest: LinuxGuest | undefined;
  const bootTimeoutMs = options.bootTimeoutMs ?? 90_000;
  beforeAll(async () => {
    guest = await startLinuxGuest({ ...options, bootTimeoutMs });
    console.info(
      `linux peer: ${guest.kernelVersion} booted from ${guest.bootedFrom} in ${guest.bootMs} ms` +
        ` (images ${guest.imagesCached ? 'cached' : 'built'})`,
    );
  }, bootTimeoutMs + 60_000);
  afterAll(async () => {
    await guest?.stop();
  }, 30_000);
  afterEach((context) => {
    if (context.task.result?.state === 'fail' && guest) {
      console.error(`--- guest console (${context.task.name}) ---\n${guest.consoleLog()}`);
    }
  });
  return () => {
    if (!guest) throw new Error('the Linux guest did not start (see beforeAll error)');
    return guest;
  };
}
