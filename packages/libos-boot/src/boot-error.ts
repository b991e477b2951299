/**
 * Why {@link boot} refused or a booted unikernel failed:
 *
 * - `NO_HOST`: no host to boot on: the app was not started by `libos run` and no
 *   `host` option was given;
 * - `NO_BACKEND`: a declared device has no backend: neither the declaration nor the
 *   host provides one (e.g. `nic()` without `--net`);
 * - `BAD_OPTION`: a declaration or boot option is invalid;
 * - `MACHINE_FAILED`: the virtual machine could not be built (the `MachineError` is
 *   the `cause`);
 * - `SERVICE_FAILED`: a service did not come up (no DHCP lease in time, the disk's
 *   filesystem could not be mounted, …; the underlying error is the `cause`);
 * - `SHUT_DOWN`: the unikernel was already shut down.
 *
 * @example
 * ```ts
 * import type { BootErrorCode } from '@libos/boot';
 * const code: BootErrorCode = 'NO_BACKEND';
 * ```
 */
export type BootErrorCode =
  | 'NO_HOST'
  | 'NO_BACKEND'
  | 'BAD_OPTION'
  | 'MACHINE_FAILED'
  | 'SERVICE_FAILED'
  | 'SHUT_DOWN';

/**
 * The error {@link boot} throws. Everything already brought up (services, the machine)
 * is shut down before it is thrown.
 *
 * @example
 * ```ts
 * import { boot, BootError } from '@libos/boot';
 * import { nic } from '@libos/boot/net';
 * try {
 *   await boot({ net: nic() });
 * } catch (e) {
 *   if (e instanceof BootError && e.code === 'NO_HOST') console.error(e.message);
 * }
 * ```
 */
export class BootError extends Error {
  /** Stable machine-readable reason. */
  readonly code: BootErrorCode;
  /** The service (its key in the declarations) that failed, or `null`. */
  readonly service: string | null;

  /**
   * @param code - stable reason code
   * @param message - human-readable detail (one line)
   * @param service - the failing service's name, if any
   * @param cause - the underlying error, if any
   */
  constructor(
    code: BootErrorCode,
    message: string,
    service: string | null = null,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BootError';
    this.code = code;
    this.service = service;
  }
}

/** An error's message, or the value as a string. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
