/**
 * Runs the `libos` CLI the way a user does — a separate Node process on src/bin.ts
 * (through tsx, with the `libos-source` condition) — without blocking the test worker.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The repository root: the CLI is run from here, like `npm start`. */
export const repo = join(import.meta.dirname, '..', '..', '..');

/** What a finished process left behind. */
export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args` in `cwd`; resolves with its exit code and output, also on failure. */
export async function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<Finished> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, [...args], {
      cwd: options.cwd ?? repo,
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      timeout: options.timeoutMs ?? 60_000,
      env: { ...process.env, LIBOS_DEBUG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const { code, stdout, stderr, killed, signal } = e as {
      code?: number | string;
      stdout?: string;
      stderr?: string;
      killed?: boolean;
      signal?: string;
    };
    if (killed || typeof code !== 'number') {
      throw new Error(`${cmd} ${args.join(' ')} did not exit by itself (${signal ?? code})`);
    }
    return { code, stdout: stdout ?? '', stderr: stderr ?? '' };
  }
}

/** Runs `libos <args>` from the repository root (so that `--import tsx` resolves). */
export function libos(args: readonly string[]): Promise<Finished> {
  return run(process.execPath, [
    '--conditions=libos-source',
    '--import',
    'tsx',
    join(repo, 'packages/libos-cli/src/bin.ts'),
    ...args,
  ]);
}
