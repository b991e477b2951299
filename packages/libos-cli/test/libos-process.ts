/**
 * A `libos run` child process for tests: output collected as it comes, waits for a line
 * bounded in time, stopped by signal to its PID (SIGKILL in `kill()` as the last resort).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './run-cli.js';

/** How a `libos run` process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `libos` process. */
export class LibosProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #listeners: (() => void)[] = [];

  constructor(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    this.child = spawn(
      process.execPath,
      [
        '--conditions=libos-source',
        '--import',
        'tsx',
        join(repo, 'packages/libos-cli/src/bin.ts'),
        ...args,
      ],
      { cwd: repo, env: { ...process.env, LIBOS_DEBUG: '', ...env }, stdio: 'pipe' },
    );
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      this.#notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.#notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.#notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Resolves with the first match of `pattern` on stdout; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(
        () => finish(new Error(`no ${pattern} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const finish = (result: RegExpMatchArray | Error): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#listeners = this.#listeners.filter((l) => l !== check);
        if (result instanceof Error) {
          reject(new Error(`${result.message}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
        } else resolve(result);
      };
      const check = (): void => {
        const match = pattern.exec(this.stdout);
        if (match) finish(match);
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish(new Error(`libos exited before printing ${pattern}`));
        }
      };
      this.#listeners.push(check);
      check();
    });
  }

  /** Sends `signal` to the process and waits (bounded) for it to exit. */
  stop(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<Exit> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null) process.kill(pid, signal);
    return this.wait(timeoutMs);
  }

  /** Waits (bounded) for the process to exit by itself. */
  async wait(timeoutMs = 30_000): Promise<Exit> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `libos did not exit within ${timeoutMs} ms\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process if it still runs (test cleanup). */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    process.kill(pid, 'SIGKILL');
    await this.exited;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
