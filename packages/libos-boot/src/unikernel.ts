import type { Micros, Poller, PollerHandle } from '@libos/sched';
import type { BootHost, BootMachine, UnikernelControl } from './boot-host.js';

/**
 * A booted unikernel: a typed handle per declared service, the machine underneath, the
 * boot log, and shutdown.
 *
 * @typeParam H - the service handles (`{ net: NicHandle, www: FatDiskHandle }`)
 * @example
 * ```ts
 * const os = await boot({ net: nic() });
 * console.log(os.bootLog.join('\n'), `booted in ${os.bootMicros} µs`);
 * await os.shutdown();
 * ```
 */
export interface Unikernel<H> extends UnikernelControl {
  /** One handle per declaration, under the declaration's name. */
  readonly services: H;
  /** The virtual machine (memory, devices, poll) the services run on. */
  readonly machine: BootMachine;
  /** What it runs on. */
  readonly host: BootHost;
  /** The boot log, stamped. */
  readonly bootLog: readonly string[];
  /** Microseconds (host clock) from the start of `boot()` until every service was up. */
  readonly bootMicros: Micros;
}

/** The pieces {@link UnikernelImpl} is made of. */
interface UnikernelParts<H> {
  readonly services: H;
  readonly machine: BootMachine;
  readonly host: BootHost;
  readonly bootLog: readonly string[];
  /** Stops the services and closes the machine. */
  readonly stop: () => Promise<void>;
}

/**
 * The unikernel: one poller on the host's scheduler polls the machine (moving frames
 * between backends and guest rings), then every service poller (network stacks), and
 * asks to be polled again at the earliest of their deadlines.
 */
export class UnikernelImpl<H> implements Unikernel<H> {
  readonly services: H;
  readonly machine: BootMachine;
  readonly host: BootHost;
  readonly bootLog: readonly string[];
  bootMicros: Micros = 0;
  readonly #pollers: Poller[];
  readonly #handle: PollerHandle;
  readonly #stop: () => Promise<void>;
  #shutdown: Promise<void> | undefined;

  constructor(parts: UnikernelParts<H>) {
    this.services = parts.services;
    this.machine = parts.machine;
    this.host = parts.host;
    this.bootLog = parts.bootLog;
    this.#stop = parts.stop;
    this.#pollers = [parts.machine.poller()];
    const pollers = this.#pollers;
    const machine = parts.machine;
    this.#handle = parts.host.scheduler.addPoller(
      {
        poll(now: Micros): void {
          if (machine.closed) return; // shutting down: drivers are gone
          for (const p of pollers) p.poll(now);
        },
        pollAt(): Micros | null {
          if (machine.closed) return null;
          let at: Micros | null = null;
          for (const p of pollers) {
            const t = p.pollAt();
            if (t !== null && (at === null || t < at)) at = t;
          }
          return at;
        },
      },
      'unikernel',
    );
  }

  get isShutDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** Adds a service poller, polled after the machine on every turn. */
  addPoller(poller: Poller): void {
    this.#pollers.push(poller);
    this.#handle.ring();
  }

  wake(): void {
    if (this.#shutdown === undefined) this.#handle.ring();
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      try {
        await this.#stop();
      } finally {
        this.#handle.remove();
      }
    })();
    return this.#shutdown;
  }
}
