import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * How to start the device worker script from the module at `moduleUrl`: the built
 * `device-worker.js` next to it (`dist/`), or — when running from TypeScript sources
 * (`src/node/*.ts`, e.g. under vitest) — a small evaluated bootstrap that registers
 * tsx's ESM hooks and then imports `device-worker.ts` (Node 20 does not apply
 * `--import tsx` from a worker's `execArgv` to its entry module), with the
 * `libos-source` condition so `@libos/*` resolve to sources too.
 *
 * @param moduleUrl - `import.meta.url` of the calling module
 * @returns the Worker's first argument and the options that go with it (`execArgv`
 *   only for sources)
 * @example
 * ```ts
 * const entry = deviceWorkerEntry(import.meta.url);
 * new Worker(entry.script, { eval: entry.eval, execArgv: entry.execArgv, workerData });
 * ```
 */
export function deviceWorkerEntry(moduleUrl: string): {
  readonly script: string | URL;
  readonly eval: boolean;
  readonly execArgv?: string[];
} {
  if (!moduleUrl.endsWith('.ts')) {
    // Built code: the worker inherits this process's execArgv (Node's default).
    return { script: new URL('./device-worker.js', moduleUrl), eval: false };
  }
  // `require.resolve` picks tsx's CommonJS build, whose `register()` fails when this
  // process already runs under tsx hooks; its ESM twin sits next to it.
  const cjs = createRequire(moduleUrl).resolve('tsx/esm/api');
  const esm = cjs.replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(existsSync(esm) ? esm : cjs).href;
  const worker = new URL('./device-worker.ts', moduleUrl).href;
  const script =
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); ` +
    `return import(${JSON.stringify(worker)}); });`;
  return { script, eval: true, execArgv: ['--conditions=libos-source'] };
}
