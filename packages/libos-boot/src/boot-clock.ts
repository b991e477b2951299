import type { Clock } from '@libos/sched';

/**
 * Boot log lines stamped like a kernel's (`[    0.001234] text`: seconds since boot
 * began, microsecond digits), kept in order and passed on to a sink.
 */
export class BootLogWriter {
  readonly lines: string[] = [];
  readonly #clock: Clock;
  readonly #start: number;
  readonly #sink: ((line: string) => void) | undefined;

  /**
   * @param clock - the host clock (µs)
   * @param sink - receives each stamped line
   */
  constructor(clock: Clock, sink: ((line: string) => void) | undefined) {
    this.#clock = clock;
    this.#start = clock.now();
    this.#sink = sink;
  }

  /** Microseconds since the writer was made. */
  elapsed(): number {
    return this.#clock.now() - this.#start;
  }

  /** Stamps and records `text`. */
  write(text: string): void {
    const micros = Math.max(0, Math.round(this.elapsed()));
    const seconds = `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
    const line = `[${seconds.padStart(12)}] ${text}`;
    this.lines.push(line);
    this.#sink?.(line);
  }
}
