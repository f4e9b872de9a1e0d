/**
 * The store commands use: a login puts a profile's credentials in the
 * keychain or in a file according to the storage mode; which backend holds
 * each profile is remembered, so reading and rewriting (a refresh) never
 * probe the keychain again and never move the credentials; logout removes a
 * profile from every backend that may hold it.
 *
 * @module
 */

import { ErrorCode, type StorageError } from "../errors.ts";
import type { FileStore } from "./file_store.ts";
import { type KeychainStore, keychainUnavailable } from "./keychain_store.ts";
import type { PrivateDir } from "./private_dir.ts";
import type {
  CredentialStore,
  Placement,
  Reservation,
  StoredCredential,
  StoreLocation,
} from "./types.ts";

import type { StorageMode } from "../config/modes.ts";

export { STORAGE_MODES, type StorageMode } from "../config/modes.ts";

type Backend = "keychain" | "file";

/** Options of {@linkcode RoutingStore}. */
export interface RoutingStoreOptions {
  mode: StorageMode;
  file: FileStore;
  /** Made on first use only: loading the keychain library has a cost. */
  keychain: () => KeychainStore;
  /** Where the backend of each profile is remembered. */
  records: PrivateDir;
  /** Tells the user something once (the fallback to a file). */
  notice: (text: string) => void;
  /** The --debug trace, when on. */
  debug?: (line: string) => void;
}

const RECORD = "backends.meta";

/** Routes each profile to its backend (see the module doc). */
export class RoutingStore implements CredentialStore {
  readonly kind = "auto";
  readonly #o: RoutingStoreOptions;
  #keychain?: KeychainStore;

  constructor(options: RoutingStoreOptions) {
    this.#o = options;
  }

  async get(profile: string): Promise<StoredCredential | undefined> {
    return await this.#backend(await this.#held(profile)).get(profile);
  }

  /** Rewrites the entry where it is kept: never probes, never moves it. */
  async set(profile: string, credential: StoredCredential): Promise<void> {
    await this.#backend(await this.#held(profile)).set(profile, credential);
  }

  /** Reserves where the entry is kept (the file); the keychain cannot. */
  async reserve(profile: string): Promise<Reservation | undefined> {
    const backend = this.#backend(await this.#held(profile));
    return await backend.reserve?.(profile);
  }

  /**
   * Where a new login goes: `file` and `keychain` as asked (the keychain
   * probed first); `auto` keeps the backend that holds the profile, and
   * probes the keychain only for a profile stored nowhere yet (or one whose
   * keychain stopped answering).
   */
  async place(profile: string): Promise<Placement> {
    const record = (await this.#records())[profile];
    let target: Backend = "file";
    let fallback: string | undefined;
    if (this.#o.mode === "keychain") {
      const probe = await this.#kc().probe();
      if (!probe.ok) throw keychainUnavailable(probe.reason);
      target = "keychain";
    } else if (this.#o.mode === "auto" && record !== "file") {
      const probe = await this.#kc().probe();
      if (probe.ok) target = "keychain";
      else fallback = probe.reason;
    }
    return {
      backend: target,
      save: async (credential) => {
        await this.#backend(target).set(profile, credential);
        const previous = (await this.#records())[profile];
        await this.#remember(profile, target);
        // Never leave a second, stale copy behind.
        if (target === "keychain") await this.#o.file.delete(profile);
        else if (previous === "keychain") {
          await this.#kc().delete(profile).catch(() => false);
        }
        if (fallback !== undefined && previous !== "file") {
          // Once per profile, in one line; the keychain library's own
          // words only in the --debug trace.
          this.#o.debug?.(`keychain probe: ${fallback}`);
          this.#o.notice(
            `No OS keychain answers here, so the credentials are kept in "${
              this.#o.file.pathOf(profile)
            }" (mode 0600); choose with --storage keychain|file.`,
          );
        }
      },
    };
  }

  async delete(profile: string): Promise<boolean> {
    const record = (await this.#records())[profile];
    const fromFile = await this.#o.file.delete(profile);
    let fromKeychain = false;
    // A profile remembered in the file has no keychain copy (place() removes
    // it); one remembered nowhere may have one, unless keychains are off.
    if (
      record === "keychain" || (record === undefined && this.#o.mode !== "file")
    ) {
      // A keychain that cannot be reached holds nothing we could remove.
      fromKeychain = await this.#kc().delete(profile).catch((err) => {
        if ((err as StorageError).code === ErrorCode.keychainTimeout) throw err;
        return false;
      });
    }
    await this.#forget(profile);
    return fromFile || fromKeychain;
  }

  async list(): Promise<string[]> {
    const names = new Set([
      ...await this.#o.file.list(),
      ...Object.keys(await this.#records()),
    ]);
    return [...names].sort();
  }

  async where(profile: string): Promise<StoreLocation> {
    const held = (await this.#records())[profile];
    const backend: Backend = held ??
      (this.#o.mode === "keychain" ? "keychain" : "file");
    return await this.#backend(backend).where(profile);
  }

  /** The backend holding the profile: the remembered one, else the default. */
  async #held(profile: string): Promise<Backend> {
    const held = (await this.#records())[profile];
    if (held) return held;
    return this.#o.mode === "keychain" ? "keychain" : "file";
  }

  #backend(backend: Backend): CredentialStore {
    return backend === "keychain" ? this.#kc() : this.#o.file;
  }

  #kc(): KeychainStore {
    this.#keychain ??= this.#o.keychain();
    return this.#keychain;
  }

  async #records(): Promise<Record<string, Backend>> {
    const text = await this.#o.records.read(RECORD);
    if (!text) return {};
    try {
      const parsed = JSON.parse(text);
      const out: Record<string, Backend> = {};
      for (const [k, v] of Object.entries(parsed)) {
        if (v === "keychain" || v === "file") out[k] = v;
      }
      return out;
    } catch {
      return {}; // unreadable: backends fall back to the defaults
    }
  }

  async #remember(profile: string, backend: Backend): Promise<void> {
    const records = await this.#records();
    if (records[profile] === backend) return;
    records[profile] = backend;
    await this.#o.records.write(RECORD, JSON.stringify(records));
  }

  async #forget(profile: string): Promise<void> {
    const records = await this.#records();
    if (!(profile in records)) return;
    delete records[profile];
    await this.#o.records.write(RECORD, JSON.stringify(records));
  }
}
