/**
 * Credentials in memory only: for tests and for programs that embed authctl
 * and keep tokens themselves.
 *
 * @module
 */

import type {
  CredentialStore,
  Placement,
  StoredCredential,
  StoreLocation,
} from "./types.ts";

/** In-memory backend of {@linkcode CredentialStore}. */
export class MemoryStore implements CredentialStore {
  readonly kind = "memory";
  readonly #entries = new Map<string, string>();

  get(profile: string): Promise<StoredCredential | undefined> {
    const text = this.#entries.get(profile);
    // A copy each time, as a real backend would return.
    return Promise.resolve(text === undefined ? undefined : JSON.parse(text));
  }

  set(profile: string, credential: StoredCredential): Promise<void> {
    this.#entries.set(profile, JSON.stringify(credential));
    return Promise.resolve();
  }

  place(profile: string): Promise<Placement> {
    return Promise.resolve({
      backend: this.kind,
      save: (credential) => this.set(profile, credential),
    });
  }

  delete(profile: string): Promise<boolean> {
    return Promise.resolve(this.#entries.delete(profile));
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.#entries.keys()].sort());
  }

  where(_profile: string): Promise<StoreLocation> {
    return Promise.resolve({ backend: "memory", location: "this process" });
  }
}
