/**
 * Credential storage: the {@linkcode CredentialStore} interface, its
 * backends (keychain, file, memory), and the factory that picks them at run
 * time.
 *
 * @module
 */

import { FileStore } from "./file_store.ts";
import {
  KeychainStore,
  type KeyringApi,
  loadNapiKeyring,
} from "./keychain_store.ts";
import { PrivateDir } from "./private_dir.ts";
import { RoutingStore, type StorageMode } from "./routing_store.ts";
import type { CredentialStore } from "./types.ts";

export type {
  CredentialStore,
  IdentityClaims,
  StoredCredential,
  StoreLocation,
} from "./types.ts";
export { FileStore } from "./file_store.ts";
export { KeychainStore, type KeyringApi } from "./keychain_store.ts";
export { MemoryStore } from "./memory_store.ts";
export { STORAGE_MODES, type StorageMode } from "./routing_store.ts";

/** Options of {@linkcode createStore}. */
export interface StoreOptions {
  /** The config directory. */
  configDir: string;
  /** The build's app name: the keychain service. */
  appName: string;
  /** Where new credentials go. */
  mode: StorageMode;
  /** Says something to the user (the fallback to a file). */
  notice: (text: string) => void;
  /** The --debug trace, when on. */
  debug?: (line: string) => void;
  /** Loads the keychain library (tests inject their own). */
  keyring?: () => Promise<KeyringApi>;
}

/** Chooses the credential backends for this run. Nothing is loaded yet. */
export function createStore(options: StoreOptions): CredentialStore {
  const posix = Deno.build.os !== "windows";
  const file = new FileStore({ configDir: options.configDir, posix });
  return new RoutingStore({
    mode: options.mode,
    file,
    keychain: () =>
      new KeychainStore({
        service: options.appName,
        keyring: options.keyring ?? (() => loadNapiKeyring()),
      }),
    records: new PrivateDir({
      path: file.location,
      parent: options.configDir,
      posix,
    }),
    notice: options.notice,
    debug: options.debug,
  });
}
