/**
 * The few host capabilities @libos/mem touches, reached through `globalThis` with
 * minimal types so the package compiles against the ES2023 library only and stays
 * browser-safe. Internal: not exported from the package entry point.
 */

/** Result of `Atomics.waitAsync` (ECMA-262 2024 §25.4.14). */
type WaitAsyncResult =
  | { readonly async: false; readonly value: 'not-equal' | 'timed-out' }
  | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };

type WaitAsyncFn = (
  typedArray: Int32Array,
  index: number,
  value: number,
  timeout?: number,
) => WaitAsyncResult;

/** `Atomics.waitAsync` when the host has it (Node ≥ 16, Chromium, Safari 16.4+), else `undefined`. */
export function hostWaitAsync(): WaitAsyncFn | undefined {
  const fn = (Atomics as unknown as { readonly waitAsync?: WaitAsyncFn }).waitAsync;
  return typeof fn === 'function' ? fn : undefined;
}

/** Whether `SharedArrayBuffer` exists (browsers hide it unless cross-origin isolated). */
export function hostHasSharedArrayBuffer(): boolean {
  return (
    typeof (globalThis as { readonly SharedArrayBuffer?: unknown }).SharedArrayBuffer === 'function'
  );
}

/** Whether the host stores multi-byte typed-array elements little-endian. */
export const HOST_IS_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
