/**
 * The storage modes, apart from the backends: the command-line layer needs
 * the names without loading any store.
 *
 * @module
 */

/** `--storage`: where new credentials go. */
export type StorageMode = "auto" | "keychain" | "file";

/** The storage modes. */
export const STORAGE_MODES: readonly StorageMode[] = [
  "auto",
  "keychain",
  "file",
];
