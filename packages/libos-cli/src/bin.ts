#!/usr/bin/env node
/**
 * The `libos` executable: runs {@link runCli} on the process's arguments.
 *
 * @packageDocumentation
 */
import { runCli } from './cli.js';

/** How long the process may linger after the command, should `libos run`'s app leave handles open. */
const EXIT_GRACE_MS = 2000;

const status = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
});
process.exitCode = status;
setTimeout(() => process.exit(status), EXIT_GRACE_MS).unref();
