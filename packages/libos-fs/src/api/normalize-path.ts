import { FsError } from '../fs-error.js';

/**
 * An absolute path split into components by {@link parsePath}.
 *
 * @example
 * ```ts
 * import { parsePath, type ParsedPath } from '@libos/fs';
 * const p: ParsedPath = parsePath('/a//b/../c/', 'stat'); // components ['a', 'c'], trailingSlash true
 * ```
 */
export interface ParsedPath {
  /** Components from the root: no empty, `.` or `..` ones; `[]` is the root. */
  readonly components: readonly string[];
  /** The path ended in `/` (then it must name a directory, as on POSIX). */
  readonly trailingSlash: boolean;
}

/**
 * Checks and splits an absolute POSIX path lexically (POSIX.1-2017 §4.13 pathname
 * resolution without symbolic links): repeated slashes count as one, `.` is dropped, `..`
 * drops the component before it and stays at the root when there is none.
 *
 * @param path The path as the caller gave it.
 * @param syscall Named in the error.
 * @throws FsError `EINVAL` for a relative path, an empty one, one that is not a string,
 *   or one containing a NUL character.
 * @example
 * ```ts
 * import { parsePath } from '@libos/fs';
 * parsePath('/../x/./y', 'open').components; // ['x', 'y']
 * ```
 */
export function parsePath(path: string, syscall: string): ParsedPath {
  if (typeof path !== 'string') {
    throw new FsError('EINVAL', syscall, undefined, 'path must be a string');
  }
  if (path.includes('\0')) {
    throw new FsError('EINVAL', syscall, path.replaceAll('\0', '\\0'), 'path contains NUL');
  }
  if (!path.startsWith('/')) throw new FsError('EINVAL', syscall, path, 'path must be absolute');
  const components: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') components.pop();
    else components.push(part);
  }
  return { components, trailingSlash: components.length > 0 && path.endsWith('/') };
}

/**
 * Joins components back into an absolute path (`[]` is `/`).
 *
 * @param components Path components.
 * @example
 * ```ts
 * import { formatPath } from '@libos/fs';
 * formatPath(['a', 'b']); // '/a/b'
 * ```
 */
export function formatPath(components: readonly string[]): string {
  return `/${components.join('/')}`;
}

/**
 * The normal form of an absolute path, equal to Node's `path.posix.normalize` for
 * absolute paths: one slash between components, no `.` or `..`, a trailing slash kept.
 *
 * @param path An absolute path.
 * @throws FsError `EINVAL` as {@link parsePath} does.
 * @example
 * ```ts
 * import { normalizePath } from '@libos/fs';
 * normalizePath('//a/./b/../c/'); // '/a/c/'
 * ```
 */
export function normalizePath(path: string): string {
  const { components, trailingSlash } = parsePath(path, 'normalize');
  const joined = formatPath(components);
  return trailingSlash ? `${joined}/` : joined;
}
