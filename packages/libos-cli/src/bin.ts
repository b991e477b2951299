#!/usr/bin/env node
/**
 * The `libos` executable: runs {@link runCli} on the process's arguments.
 *
 * @packageDocumentation
 */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
});
