import { FsError } from '../fs-error.js';

/**
 * The `flags` strings {@link FileSystem.open} accepts — those of Node's `fs.open`
 * (`s` variants behave like the plain ones: every write already reaches the volume).
 *
 * @example
 * ```ts
 * import type { OpenFlags } from '@libos/fs';
 * const createNew: OpenFlags = 'wx';
 * ```
 */
export type OpenFlags =
  | 'r'
  | 'rs'
  | 'sr'
  | 'r+'
  | 'rs+'
  | 'sr+'
  | 'w'
  | 'wx'
  | 'xw'
  | 'w+'
  | 'wx+'
  | 'xw+'
  | 'a'
  | 'ax'
  | 'xa'
  | 'as'
  | 'sa'
  | 'a+'
  | 'ax+'
  | 'xa+'
  | 'as+'
  | 'sa+';

/**
 * What an {@link OpenFlags} string asks for (POSIX `open(2)` flags).
 *
 * @example
 * ```ts
 * import { parseOpenFlags } from '@libos/fs';
 * parseOpenFlags('a+', '/log'); // { read: true, write: true, append: true, create: true, ... }
 * ```
 */
export interface OpenMode {
  /** O_RDONLY or O_RDWR. */
  readonly read: boolean;
  /** O_WRONLY or O_RDWR. */
  readonly write: boolean;
  /** O_APPEND: every write goes to the end. */
  readonly append: boolean;
  /** O_CREAT. */
  readonly create: boolean;
  /** O_EXCL. */
  readonly exclusive: boolean;
  /** O_TRUNC. */
  readonly truncate: boolean;
}

/**
 * Decodes a Node `flags` string.
 *
 * @param flags The string.
 * @param path For the error.
 * @throws FsError `EINVAL` for an unknown string.
 * @example
 * ```ts
 * import { parseOpenFlags } from '@libos/fs';
 * parseOpenFlags('wx', '/f').exclusive; // true
 * ```
 */
export function parseOpenFlags(flags: string, path: string): OpenMode {
  const mode = typeof flags === 'string' ? MODES.get(flags) : undefined;
  if (mode === undefined) {
    throw new FsError('EINVAL', 'open', path, `unknown flags '${String(flags)}'`);
  }
  return mode;
}

function modeOf(letter: 'r' | 'w' | 'a', plus: boolean, exclusive: boolean): OpenMode {
  return {
    read: letter === 'r' || plus,
    write: letter !== 'r' || plus,
    append: letter === 'a',
    create: letter !== 'r',
    exclusive,
    truncate: letter === 'w',
  };
}

// Node's table of flag strings (fs.open, "File system flags").
const MODES: ReadonlyMap<string, OpenMode> = new Map<OpenFlags, OpenMode>([
  ['r', modeOf('r', false, false)],
  ['rs', modeOf('r', false, false)],
  ['sr', modeOf('r', false, false)],
  ['r+', modeOf('r', true, false)],
  ['rs+', modeOf('r', true, false)],
  ['sr+', modeOf('r', true, false)],
  ['w', modeOf('w', false, false)],
  ['wx', modeOf('w', false, true)],
  ['xw', modeOf('w', false, true)],
  ['w+', modeOf('w', true, false)],
  ['wx+', modeOf('w', true, true)],
  ['xw+', modeOf('w', true, true)],
  ['a', modeOf('a', false, false)],
  ['ax', modeOf('a', false, true)],
  ['xa', modeOf('a', false, true)],
  ['as', modeOf('a', false, false)],
  ['sa', modeOf('a', false, false)],
  ['a+', modeOf('a', true, false)],
  ['ax+', modeOf('a', true, true)],
  ['xa+', modeOf('a', true, true)],
  ['as+', modeOf('a', true, false)],
  ['sa+', modeOf('a', true, false)],
]);
