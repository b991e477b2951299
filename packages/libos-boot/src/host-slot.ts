import type { BootHost } from './boot-host.js';

/**
 * One slot per realm, shared by every copy of this package (a bundled app and the
 * `libos run` that loads it each have their own copy of @libos/boot).
 */
const SLOT = Symbol.for('@libos/boot.host');

type Slotted = { [SLOT]?: BootHost | undefined };

/**
 * Makes `host` the one `boot()` uses when it is not given a `host` option. `libos run`
 * installs its host before it loads the app.
 *
 * @param host - the host, or `undefined` to clear the slot
 * @example
 * ```ts
 * import { installHost } from '@libos/boot';
 * import { nodeHost } from '@libos/boot/node';
 * installHost(await nodeHost({ net: [{ type: 'user' }] }));
 * await import('./app.mjs');
 * ```
 */
export function installHost(host: BootHost | undefined): void {
  (globalThis as Slotted)[SLOT] = host;
}

/**
 * The host installed by {@link installHost}, if any.
 *
 * @returns the host, or `undefined`
 * @example
 * ```ts
 * import { installedHost } from '@libos/boot';
 * if (installedHost() === undefined) console.log('not started by libos run');
 * ```
 */
export function installedHost(): BootHost | undefined {
  return (globalThis as Slotted)[SLOT];
}
