/**
 * `console()`: a virtio-console for a libos unikernel.
 *
 * @module
 */
export { type ConsoleOptions, console, type TerminalHandle } from './console.js';
