import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The scope whose packages the link map accounts for. */
export const LIBOS_SCOPE = '@libos/';

/** This package: a host tool, never part of an app, so never reported as not linked. */
const CLI_PACKAGE = '@libos/cli';

/**
 * Finds the npm package a file belongs to: the `name` of the nearest `package.json`
 * above it that has one (nameless ones, such as `{"type":"module"}` markers inside
 * `dist/`, are passed over). Answers are cached per directory.
 */
export class PackageOwners {
  readonly #byDir = new Map<string, string | null>();

  /**
   * @param file Absolute path of a file.
   * @returns The owning package's name, or `undefined` outside any named package.
   */
  ownerOf(file: string): string | undefined {
    return this.#lookup(dirname(file)) ?? undefined;
  }

  #lookup(dir: string): string | null {
    const cached = this.#byDir.get(dir);
    if (cached !== undefined) return cached;
    let name: string | null = readName(join(dir, 'package.json'));
    if (name === null) {
      const parent = dirname(dir);
      name = parent === dir ? null : this.#lookup(parent);
    }
    this.#byDir.set(dir, name);
    return name;
  }
}

function readName(manifest: string): string | null {
  let text: string;
  try {
    text = readFileSync(manifest, 'utf8');
  } catch {
    return null;
  }
  try {
    const name = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : null;
  } catch {
    return null;
  }
}

/**
 * The `@libos` packages installed where `fromDir` can import them: every
 * `node_modules/@libos/*` directory from `fromDir` up to the file system root, except
 * `@libos/cli` itself.
 *
 * @param fromDir Absolute directory to start from (the app's entry directory).
 * @returns Package names such as `@libos/net`, sorted, without duplicates.
 */
export function installedLibosPackages(fromDir: string): string[] {
  const found = new Set<string>();
  for (let dir = fromDir; ; dir = dirname(dir)) {
    try {
      for (const entry of readdirSync(join(dir, 'node_modules', '@libos'))) {
        const name = `${LIBOS_SCOPE}${entry}`;
        if (!entry.startsWith('.') && name !== CLI_PACKAGE) found.add(name);
      }
    } catch {
      // No @libos scope installed at this level.
    }
    if (dirname(dir) === dir) break;
  }
  return [...found].sort();
}
