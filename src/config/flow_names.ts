/**
 * The names `--flow` accepts, in the settings layer: the configuration
 * checks them, and the CLI lists them, without loading any flow.
 *
 * @module
 */

/** Flow names `--flow` accepts. */
export const FLOW_NAMES = ["auto", "loopback", "device", "paste"] as const;

/** A `--flow` value. */
export type FlowName = typeof FLOW_NAMES[number];
