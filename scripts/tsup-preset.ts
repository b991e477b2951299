import { defineConfig, type Options } from 'tsup';

/**
 * The one tsup configuration every @libos package builds with: ESM + bundled `.d.ts`,
 * one output file per public entry point, `node:*` left external so `./node` subpaths
 * can use host APIs while core entry points stay browser-safe.
 *
 * @param entries Output name → source file, e.g. `{ index: 'src/index.ts' }`.
 * @param options `nodeSubpath`: the package has Node-only entries (see above).
 */
export function libosTsup(
  entries: Record<string, string>,
  options: { readonly nodeSubpath?: boolean } = {},
): Options | Options[] {
  return defineConfig({
    entry: entries,
    format: ['esm'],
    // A package with a `./node` subpath needs Node's types to emit that entry's `.d.ts`;
    // core entries stay browser-safe because `npm run typecheck` checks them without.
    dts: options.nodeSubpath ? { compilerOptions: { types: ['node'] } } : true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    external: [/^node:/],
    splitting: true,
    treeshake: true,
  }) as Options;
}
