/**
 * Why a `libos` command failed because of something its user can fix.
 *
 * - `usage`: the command line itself is wrong (unknown command or option, missing or
 *   extra argument, a bad value such as `--size 12Q`); exit status 2.
 * - `not-found`: a file or directory named on the command line does not exist.
 * - `build-failed`: esbuild could not bundle the app (syntax error, unresolved import).
 * - `image-too-small`: the files do not fit in the `--size` given.
 * - `io`: the host refused a read or write (permissions, missing output directory...),
 *   or a socket (`libos run`: a forwarded port already in use, no peer listening).
 * - `boot-failed`: the app's `boot()` failed (`libos run`: no backend for a device, a
 *   disk that holds no FAT file system, no DHCP lease...); the message is the `BootError`'s.
 * - `app-failed`: the app threw something else while `libos run` ran it.
 *
 * @example
 * ```ts
 * import type { CliErrorCode } from '@libos/cli';
 * const exitStatus = (code: CliErrorCode) => (code === 'usage' ? 2 : 1);
 * ```
 */
export type CliErrorCode =
  | 'usage'
  | 'not-found'
  | 'build-failed'
  | 'image-too-small'
  | 'io'
  | 'boot-failed'
  | 'app-failed';

/**
 * An error a user can cause, with a one-line message meant to be printed as is
 * (`libos: <message>`). The CLI prints these without a stack trace; anything else that
 * escapes a command is a bug in libos.
 *
 * @example
 * ```ts
 * import { CliError, buildImage } from '@libos/cli';
 * try {
 *   await buildImage({ entry: 'missing.ts' });
 * } catch (e) {
 *   if (e instanceof CliError) console.error(`libos: ${e.message}`); // libos: entry file not found: missing.ts
 * }
 * ```
 */
export class CliError extends Error {
  /**
   * @param code The stable reason (see {@link CliErrorCode}).
   * @param message One line for people, without the `libos: ` prefix.
   */
  constructor(
    readonly code: CliErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** The process exit status for this error: 2 for usage errors, 1 otherwise. */
  get exitStatus(): number {
    return this.code === 'usage' ? 2 : 1;
  }
}
