import { LIBOS_SCOPE } from './package-owner.js';

/** The part of esbuild's metafile the link map reads: bytes each input left in the output. */
export interface OutputInputs {
  readonly [inputPath: string]: { readonly bytesInOutput: number };
}

/**
 * Bytes of one bundle per `@libos` package.
 *
 * @example
 * ```ts
 * import type { LinkMap } from '@libos/cli';
 * const share = (m: LinkMap, pkg: string) => (m.packages[pkg] ?? 0) / m.bytes;
 * ```
 */
export interface LinkMap {
  /** Size of the output file in bytes. */
  readonly bytes: number;
  /**
   * Bytes in the output per `@libos` package (`@libos/net` → 10240), `0` for packages that
   * were not linked, and `other`: everything else — the app's own code, other npm
   * packages and the bundler's glue — so that the values add up to {@link LinkMap.bytes}.
   */
  readonly packages: Record<string, number>;
  /** The `@libos` packages installed for the app of which no byte reached the output, sorted. */
  readonly notLinked: string[];
}

/**
 * The key of {@link LinkMap.packages} for bytes that belong to no `@libos` package.
 *
 * @example
 * ```ts
 * import { buildImage, OTHER } from '@libos/cli';
 * const { packages } = await buildImage({ entry: 'src/main.ts' });
 * console.log(`app code and glue: ${packages[OTHER]} B`);
 * ```
 */
export const OTHER = 'other';

/**
 * Attributes the bytes of one bundle to `@libos` packages.
 *
 * @param inputs The output's `inputs` from esbuild's metafile.
 * @param bytes Size of the output file.
 * @param ownerOf The package an input path belongs to (`undefined`: none).
 * @param known `@libos` packages that could have been linked (e.g. all installed ones).
 * @param appPackage The app's own package, counted as `other` even when it is a `@libos` one.
 */
export function computeLinkMap(
  inputs: OutputInputs,
  bytes: number,
  ownerOf: (inputPath: string) => string | undefined,
  known: readonly string[],
  appPackage: string | undefined,
): LinkMap {
  const perPackage = new Map<string, number>();
  for (const name of known) if (name !== appPackage) perPackage.set(name, 0);
  let libos = 0;
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const owner = ownerOf(path);
    if (owner === undefined || owner === appPackage || !owner.startsWith(LIBOS_SCOPE)) continue;
    perPackage.set(owner, (perPackage.get(owner) ?? 0) + bytesInOutput);
    libos += bytesInOutput;
  }
  const ordered = [...perPackage].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const packages: Record<string, number> = {};
  for (const [name, n] of ordered) if (n > 0) packages[name] = n;
  packages[OTHER] = Math.max(0, bytes - libos);
  const notLinked = ordered.filter(([, n]) => n === 0).map(([name]) => name);
  for (const name of notLinked) packages[name] = 0;
  return { bytes, packages, notLinked: notLinked.sort() };
}

/**
 * Formats a link map as the table `libos build` prints: one line per package, largest
 * first, then `other`, the packages that were not linked, and the total.
 *
 * @param map The link map (a {@link BuildImageResult} is one).
 * @returns Lines joined by `\n`, without a trailing newline.
 * @example
 * ```ts
 * import { buildImage, formatLinkMap } from '@libos/cli';
 * console.log(formatLinkMap(await buildImage({ entry: 'src/main.ts' })));
 * //   10240 B  @libos/net
 * //    2048 B  @libos/sched
 * //     512 B  other
 * //       0 B  @libos/fs — not linked
 * //   12800 B  total
 * ```
 */
export function formatLinkMap(map: LinkMap): string {
  const width = String(map.bytes).length;
  const line = (n: number, label: string) => `  ${String(n).padStart(width)} B  ${label}`;
  const lines: string[] = [];
  for (const [name, n] of Object.entries(map.packages)) {
    if (name !== OTHER && n > 0) lines.push(line(n, name));
  }
  lines.push(line(map.packages[OTHER] ?? 0, OTHER));
  for (const name of map.notLinked) lines.push(line(0, `${name} — not linked`));
  lines.push(line(map.bytes, 'total'));
  return lines.join('\n');
}
