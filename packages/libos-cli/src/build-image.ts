import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type BuildFailure, build, type Message } from 'esbuild';
import { CliError } from './cli-error.js';
import { computeLinkMap, type LinkMap } from './link-map.js';
import { installedLibosPackages, PackageOwners } from './package-owner.js';

/**
 * Options of {@link buildImage}.
 *
 * @example
 * ```ts
 * import type { BuildImageOptions } from '@libos/cli';
 * const options: BuildImageOptions = { entry: 'src/main.ts', outDir: 'dist', minify: true };
 * ```
 */
export interface BuildImageOptions {
  /** The app's entry module (TypeScript or JavaScript), relative to {@link BuildImageOptions.cwd}. */
  readonly entry: string;
  /** Directory the image is written to, created when missing. Default `dist`. */
  readonly outDir?: string;
  /** Minify the output (identifiers, syntax, whitespace). Default `true`. */
  readonly minify?: boolean;
  /** Directory relative paths are resolved against. Default: the process's working directory. */
  readonly cwd?: string;
}

/**
 * What {@link buildImage} wrote, with its link map.
 *
 * @example
 * ```ts
 * import type { BuildImageResult } from '@libos/cli';
 * const linked = (r: BuildImageResult) => Object.keys(r.packages).filter((p) => r.packages[p]! > 0);
 * ```
 */
export interface BuildImageResult extends LinkMap {
  /** Absolute path of the ESM file written: `<outDir>/<entry name>.mjs`. */
  readonly outputFile: string;
}

/**
 * Bundles a libos app into one ESM file with esbuild — tree-shaken, minified unless
 * asked not to, targeting Node 20 — and reports how many bytes of the output each
 * `@libos` package accounts for and which installed `@libos` packages were not linked at
 * all. `@libos` packages are bundled from their TypeScript sources (the `libos-source`
 * export condition), so they need no build of their own. `node:*` modules stay imports.
 *
 * @param options Entry, output directory, minification.
 * @returns The output file and its link map.
 * @throws {@link CliError} `not-found` for a missing entry, `build-failed` when esbuild
 * reports an error (the first one, with its location, is the message).
 * @example
 * ```ts
 * import { buildImage } from '@libos/cli';
 * const image = await buildImage({ entry: 'src/main.ts', outDir: 'dist' });
 * console.log(image.outputFile, image.bytes, image.packages['@libos/net'], image.notLinked);
 * ```
 */
export async function buildImage(options: BuildImageOptions): Promise<BuildImageResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const entry = resolve(cwd, options.entry);
  await requireFile(entry, options.entry);
  const outputFile = join(
    resolve(cwd, options.outDir ?? 'dist'),
    `${basename(entry, extname(entry))}.mjs`,
  );
  let metafile: NonNullable<Awaited<ReturnType<typeof build>>['metafile']>;
  try {
    ({ metafile } = await build({
      entryPoints: [entry],
      outfile: outputFile,
      absWorkingDir: cwd,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: ['libos-source'],
      treeShaking: true,
      minify: options.minify ?? true,
      legalComments: 'none',
      metafile: true,
      logLevel: 'silent',
    }));
  } catch (e) {
    throw buildFailure(e);
  }
  const output = Object.entries(metafile.outputs).find(
    ([path]) => resolve(cwd, path) === outputFile,
  );
  if (output === undefined) throw new Error(`esbuild did not report ${outputFile}`);
  const owners = new PackageOwners();
  const map = computeLinkMap(
    output[1].inputs,
    output[1].bytes,
    (path) => (isFilePath(path) ? owners.ownerOf(resolve(cwd, path)) : undefined),
    installedLibosPackages(dirname(entry)),
    owners.ownerOf(entry),
  );
  return { outputFile, ...map };
}

async function requireFile(path: string, asGiven: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new CliError('not-found', `entry file not found: ${asGiven}`);
  }
  if (!isFile) throw new CliError('not-found', `entry is not a file: ${asGiven}`);
}

/** esbuild names inputs outside the file namespace `namespace:path` (e.g. `<define:x>`). */
function isFilePath(path: string): boolean {
  return !/^[a-z-]+:/i.test(path) && !path.startsWith('<');
}

function buildFailure(e: unknown): Error {
  const errors = (e as Partial<BuildFailure>).errors;
  if (!Array.isArray(errors) || errors.length === 0) return e as Error;
  const first = errors[0] as Message;
  const where = first.location
    ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
    : '';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : '';
  return new CliError('build-failed', `build failed: ${where}${first.text}${more}`);
}
