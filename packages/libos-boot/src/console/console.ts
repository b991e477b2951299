import { type ConsoleDeviceSpec, type ConsoleHandle, consoleDevice } from '@libos/virtio';
import type { PlanContext, ServiceDeclaration } from '../service.js';

/** The host's `TextEncoder` (browsers, Node, Deno, Bun), typed without DOM types. */
interface HostText {
  TextEncoder: new () => { encode(text: string): Uint8Array };
}

/**
 * Options of {@link console}.
 *
 * @example
 * ```ts
 * import type { ConsoleOptions } from '@libos/boot/console';
 * const lines: string[] = [];
 * const options: ConsoleOptions = { output: (b) => lines.push(new TextDecoder().decode(b)) };
 * ```
 */
export interface ConsoleOptions {
  /** Receives what the guest writes; default the host's console output (stdout on node). */
  readonly output?: (bytes: Uint8Array) => void;
  /** virtio-console device options. */
  readonly device?: Omit<ConsoleDeviceSpec, 'kind' | 'output' | 'deviceClass'>;
}

/**
 * What the app gets for a {@link console}: text and byte output through virtio-console,
 * and the device.
 *
 * @example
 * ```ts
 * const { tty } = (await boot({ tty: console() })).services;
 * await tty.print('hello from the guest\n');
 * ```
 */
export interface TerminalHandle {
  /** Writes `text` (UTF-8) to the console; resolves when the device took it. */
  print(text: string): Promise<void>;
  /** The virtio-console device: driver (`write`, `read`, async iteration) and model. */
  readonly device: ConsoleHandle;
}

/**
 * Declares a console (virtio-console) whose output goes to the host's terminal or
 * `output`.
 *
 * @param options - output and device options
 * @returns the declaration to pass to `boot()`
 * @example
 * ```ts
 * import { boot } from '@libos/boot';
 * import { console as tty } from '@libos/boot/console';
 * const os = await boot({ tty: tty() });
 * await os.services.tty.print('booted\n');
 * ```
 */
export function console(options: ConsoleOptions = {}): ServiceDeclaration<TerminalHandle> {
  return {
    kind: 'console',
    devices: (context: PlanContext): readonly ConsoleDeviceSpec[] => {
      const output =
        options.output ??
        context.host.consoleOutput?.bind(context.host) ??
        ((_bytes: Uint8Array) => {});
      return [consoleDevice({ ...options.device, output })];
    },
    start: async (context, devices) => {
      const device = devices[0] as ConsoleHandle;
      const encoder = new (globalThis as unknown as HostText).TextEncoder();
      context.log(`${context.name}: virtio-console hvc${context.index}`);
      return {
        handle: { print: (text: string) => device.driver.write(encoder.encode(text)), device },
        stop: async () => {},
      };
    },
  };
}
