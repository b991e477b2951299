/**
 * A message from the parent to a device worker.
 *
 * @example
 * ```ts
 * import type { ToDeviceWorker } from '@libos/virtio/node';
 * const stop: ToDeviceWorker = { type: 'stop' };
 * ```
 */
export type ToDeviceWorker =
  | {
      /** Console input for the console at `base`. */
      readonly type: 'console-input';
      /** The console's register block. */
      readonly base: number;
      /** The bytes. */
      readonly bytes: Uint8Array;
    }
  | {
      /** Stop every model, close backends, exit. */
      readonly type: 'stop';
    };

/**
 * A message from a device worker to its parent.
 *
 * @example
 * ```ts
 * import type { FromDeviceWorker } from '@libos/virtio/node';
 * const ready: FromDeviceWorker = { type: 'ready' };
 * ```
 */
export type FromDeviceWorker =
  | {
      /** Every model is constructed, its register block initialised and watched. */
      readonly type: 'ready';
    }
  | {
      /** Guest output of the console at `base`. */
      readonly type: 'console-output';
      /** The console's register block. */
      readonly base: number;
      /** The bytes (a copy). */
      readonly bytes: Uint8Array;
    }
  | {
      /** Building the devices failed (bad options, unopenable file …). */
      readonly type: 'failed';
      /** The error's name. */
      readonly name: string;
      /** The error's message. */
      readonly message: string;
      /** The error's `code`, when it has one. */
      readonly code?: string;
    }
  | {
      /** Every model stopped and backends closed; the worker exits next. */
      readonly type: 'stopped';
    };
