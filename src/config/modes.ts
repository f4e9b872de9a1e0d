/**
 * The names the settings choose among — login flows and storage modes —
 * declared once, in the settings layer: the configuration checks them, and
 * the stores, the flows and the CLI list them without loading each other.
 *
 * @module
 */

/** Flow names `--flow` accepts. */
export const FLOW_NAMES = ["auto", "loopback", "device", "paste"] as const;

/** A `--flow` value. */
export type FlowName = typeof FLOW_NAMES[number];

/** `--storage`: where new credentials go. */
export type StorageMode = "auto" | "keychain" | "file";

/** The storage modes. */
export const STORAGE_MODES: readonly StorageMode[] = [
  "auto",
  "keychain",
  "file",
];
