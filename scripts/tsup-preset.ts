import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every @libos package builds with: ESM + bundled `.d.ts`,
 * one output file per public entry point, `node:*` left external so `./node` subpaths
 * can use host APIs while core entry points stay browser-safe.
 */
export function libosTsup(entries: Record<string, string>): Options | Options[] {
  return defineConfig({
    entry: entries,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/],
    splitting: true,
    treeshake: true,
  }) as Options;
}
