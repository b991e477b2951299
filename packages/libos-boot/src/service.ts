import type { Poller } from '@libos/sched';
import type { DeviceHandle, DeviceSpec } from '@libos/virtio';
import type { BootHost } from './boot-host.js';

/**
 * What a declaration sees while {@link boot} plans the machine.
 *
 * @example
 * ```ts
 * import type { PlanContext } from '@libos/boot';
 * function backendFor(context: PlanContext) {
 *   return context.host.netBackend?.({ service: context.name, index: context.index });
 * }
 * ```
 */
export interface PlanContext {
  /** The service's key in the declarations. */
  readonly name: string;
  /** Position among the declarations of the same {@link ServiceDeclaration.kind}, from 0. */
  readonly index: number;
  /** The host being booted on. */
  readonly host: BootHost;
}

/**
 * What a declaration sees while it starts: {@link PlanContext} plus the boot log.
 *
 * @example
 * ```ts
 * import type { StartContext } from '@libos/boot';
 * function announce(context: StartContext): void {
 *   context.log(`${context.name}: ready`);
 * }
 * ```
 */
export interface StartContext extends PlanContext {
  /** Appends a line to the boot log (timestamped by boot). */
  log(line: string): void;
  /** Asks for a poll of the whole unikernel as soon as possible. */
  wake(): void;
}

/**
 * A service brought up by {@link boot}.
 *
 * @typeParam H - the handle the app receives
 * @example
 * ```ts
 * import type { RunningService } from '@libos/boot';
 * const running: RunningService<string> = { handle: 'hello', stop: async () => {} };
 * ```
 */
export interface RunningService<H> {
  /** What the app gets in `unikernel.services[name]`. */
  readonly handle: H;
  /** Polled on every turn of the unikernel, after the machine (e.g. a network stack). */
  readonly poller?: Poller;
  /**
   * Settles when the service is up (a DHCP lease bound); boot awaits it after it
   * registered the poller, so the service can make progress meanwhile. Absent: up already.
   */
  readonly ready?: Promise<void>;
  /** Stops the service (flushes what it buffered); the machine closes after. */
  stop(): Promise<void>;
}

/**
 * One entry of the declarations passed to {@link boot}: the virtio devices a service
 * needs, and how to bring it up on them. `nic()`, `fatDisk()`, `entropy()` and
 * `console()` (each in its own subpath, so an app imports only what it declares) are
 * declarations; write your own for other services.
 *
 * @typeParam H - the handle the app receives
 * @example
 * ```ts
 * import type { ServiceDeclaration } from '@libos/boot';
 * const uptime: ServiceDeclaration<{ readonly since: number }> = {
 *   kind: 'uptime',
 *   devices: () => [],
 *   start: async (context) => ({
 *     handle: { since: context.host.clock.now() },
 *     stop: async () => {},
 *   }),
 * };
 * ```
 */
export interface ServiceDeclaration<H> {
  /** What it is (`nic`, `disk`, …): counts backends and names it in the boot log. */
  readonly kind: string;
  /**
   * The virtio devices to put in the machine for this service, in order. Make each with
   * its device folder's helper (`netDevice()`, `blkDevice()`, `rngDevice()`,
   * `consoleDevice()` from `@libos/virtio`): the spec carries its device class, so only
   * the device types an app declares are linked (a bare `{ kind }` spec is refused).
   *
   * @throws a `BootError` (`NO_BACKEND`, `BAD_OPTION`)
   */
  devices(context: PlanContext): readonly DeviceSpec[];
  /**
   * Brings the service up once its devices' drivers are open.
   *
   * @param context - name, host, boot log
   * @param devices - the handles of the devices {@link ServiceDeclaration.devices} asked for, in order
   */
  start(context: StartContext, devices: readonly DeviceHandle[]): Promise<RunningService<H>>;
}

/**
 * The handles of a set of declarations: `{ net: nic() }` gives `{ net: NicHandle }`.
 *
 * @typeParam S - the declarations
 * @example
 * ```ts
 * import type { ServiceHandles, ServiceDeclaration } from '@libos/boot';
 * type H = ServiceHandles<{ a: ServiceDeclaration<number> }>; // { readonly a: number }
 * ```
 */
export type ServiceHandles<S> = {
  readonly [K in keyof S]: S[K] extends ServiceDeclaration<infer H> ? H : never;
};
