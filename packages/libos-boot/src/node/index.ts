/**
 * Running libos unikernels on Node: {@link nodeHost}, the host `libos run` boots apps on.
 *
 * @module
 */
export { type NodeHost, type NodeHostOptions, nodeHost } from './node-host.js';
