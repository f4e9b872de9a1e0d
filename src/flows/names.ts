/**
 * The names `--flow` accepts (kept apart so the CLI can list them without
 * loading the flows).
 *
 * @module
 */

/** Flow names `--flow` accepts. */
export const FLOW_NAMES = ["auto", "loopback", "device", "paste"] as const;

/** A `--flow` value. */
export type FlowName = typeof FLOW_NAMES[number];
