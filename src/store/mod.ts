/**
 * Credential storage: the {@linkcode CredentialStore} interface, its
 * backends, and the factory that picks one at run time.
 *
 * @module
 */

import { FileStore } from "./file_store.ts";
import type { CredentialStore } from "./types.ts";

export type {
  CredentialStore,
  IdentityClaims,
  StoredCredential,
} from "./types.ts";
export { FileStore } from "./file_store.ts";

/** Options of {@linkcode createStore}. */
export interface StoreOptions {
  /** The config directory. */
  configDir: string;
}

/** Chooses the credential backend for this run. */
export function createStore(options: StoreOptions): CredentialStore {
  return new FileStore({ configDir: options.configDir });
}
