/**
 * One way to wait in line with an `AbortSignal`: the TCP read and write queues and the
 * UDP receive queue all use it, so an aborted wait always gives up its place (and
 * never swallows what the next waiter should get) and a settled wait always stops
 * listening to its signal.
 */
import type { AbortSignalLike } from '@libos/sched';

/**
 * @internal Appends the waiter `build` makes to `line` and returns the promise it
 * settles. The `resolve` / `reject` handed to `build` detach from `signal`; an abort
 * removes the waiter from `line` and rejects with `aborted()`.
 *
 * @param line The queue of waiters, served from the front by the caller.
 * @param signal Cancels the wait.
 * @param aborted The error an abort rejects with.
 * @param build Makes the waiter from its settle functions.
 */
export function waitInLine<T, W>(
  line: W[],
  signal: AbortSignalLike | undefined,
  aborted: () => Error,
  build: (resolve: (value: T) => void, reject: (error: Error) => void) => W,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      const i = line.indexOf(waiter);
      if (i >= 0) line.splice(i, 1);
      reject(aborted());
    };
    const waiter = build(
      (value) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    line.push(waiter);
  });
}
