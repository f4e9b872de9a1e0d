/**
 * Login flows behind the {@linkcode LoginFlow} interface, and the selector
 * that picks one.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { LoopbackFlow } from "./loopback.ts";
import type { LoginFlow } from "./types.ts";

export type { LoginContext, LoginFlow } from "./types.ts";
export { LoopbackFlow } from "./loopback.ts";

/** Flow names `--flow` accepts. */
export const FLOW_NAMES = ["auto", "loopback"] as const;

/** A `--flow` value. */
export type FlowName = typeof FLOW_NAMES[number];

/** Picks the flow for this run. */
export function selectFlow(name: string): LoginFlow {
  switch (name) {
    case "auto":
    case "loopback":
      return new LoopbackFlow();
    default:
      throw new UsageError(
        "invalid_flow",
        `Unknown login flow "${name}". Use one of: ${FLOW_NAMES.join(", ")}.`,
      );
  }
}
