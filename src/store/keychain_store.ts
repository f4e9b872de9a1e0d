/**
 * Credentials in the OS keychain (macOS Keychain, Secret Service on Linux,
 * Windows Credential Manager) through @napi-rs/keyring, which talks to each
 * through its API (on macOS the Security framework, so no secret ever
 * appears in a process's arguments). On Linux the Secret Service is required:
 * the kernel keyring that the library would otherwise fall back to does not
 * survive a reboot.
 *
 * Layout, under the service named after the build's app name:
 * - account `<profile>` holds a small pointer: the issuer, a generation and
 *   the number of chunks;
 * - accounts `<profile>@<issuer>#<generation>.<i>` hold the credential's
 *   JSON in chunks small enough for every backend (Windows caps a secret at
 *   2,560 bytes).
 * A write stores the new chunks, then the pointer, then removes the old
 * chunks: an interrupted write leaves the old entry whole.
 *
 * @module
 */

import { ErrorCode, NotLoggedInError, StorageError } from "../errors.ts";
import {
  asStoredCredential,
  type CredentialStore,
  type Placement,
  type StoredCredential,
  type StoreLocation,
} from "./types.ts";

/** How long any keychain operation may take. */
export const KEYCHAIN_TIMEOUT_MS = 3000;

/** One keychain item. */
export interface KeyringEntry {
  get(signal: AbortSignal): Promise<string | null>;
  set(value: string, signal: AbortSignal): Promise<void>;
  delete(signal: AbortSignal): Promise<boolean>;
}

/** The part of a keychain library authctl uses. */
export interface KeyringApi {
  /** A short human name of the backend, e.g. "Secret Service". */
  readonly name: string;
  /** An item; may throw when no keychain can be reached. */
  entry(service: string, account: string): KeyringEntry;
  /** Accounts stored under a service. */
  accounts(service: string, signal: AbortSignal): Promise<string[]>;
}

/** Loads @napi-rs/keyring (only when a command touches the keychain). */
export async function loadNapiKeyring(
  os: typeof Deno.build.os = Deno.build.os,
): Promise<KeyringApi> {
  const keyring = await import("@napi-rs/keyring");
  // Pin Linux to the Secret Service: never the non-persistent kernel keyring.
  const options = os === "linux"
    ? { linux: { store: "secret-service" as const } }
    : undefined;
  return {
    name: os === "darwin"
      ? "macOS Keychain"
      : os === "windows"
      ? "Windows Credential Manager"
      : "Secret Service",
    entry(service, account) {
      const entry = new keyring.AsyncEntry(service, account, options);
      return {
        get: (signal) => entry.getPassword(signal),
        set: (value, signal) => entry.setPassword(value, signal),
        delete: (signal) => entry.deleteCredential(signal),
      };
    },
    async accounts(service, signal) {
      const found = await keyring.findCredentialsAsync(service, null, signal);
      return found.map((c) => c.account);
    },
  };
}

/** Options of {@linkcode KeychainStore}. */
export interface KeychainStoreOptions {
  /** The service name: the build's app name. */
  service: string;
  /** Loads the keychain library. */
  keyring: () => Promise<KeyringApi>;
  /** Timeout of each operation. */
  timeoutMs?: number;
  /** Largest chunk, in characters. */
  chunkSize?: number;
}

/** Characters per chunk: 1,200 UTF-16 characters fit Windows' 2,560 bytes. */
const DEFAULT_CHUNK = Deno.build.os === "windows" ? 1200 : 16_000;

const PROBE_ACCOUNT = "__authctl_probe__";

interface Pointer {
  v: 1;
  issuer: string;
  gen: string;
  n: number;
}

/**
 * The error for `--storage keychain` where no keychain answers, with the
 * fix.
 */
export function keychainUnavailable(reason: string): StorageError {
  return new StorageError(
    "keychain_unavailable",
    `The OS keychain is not usable here: ${reason}. Start or unlock it (on Linux, a Secret Service such as GNOME Keyring in your desktop session), or keep the credentials in a file with --storage file.`,
  );
}

/** Keychain backend of {@linkcode CredentialStore}. */
export class KeychainStore implements CredentialStore {
  readonly kind = "keychain";
  readonly #service: string;
  readonly #load: () => Promise<KeyringApi>;
  readonly #timeoutMs: number;
  readonly #chunkSize: number;
  #api?: Promise<KeyringApi>;

  constructor(options: KeychainStoreOptions) {
    this.#service = options.service;
    this.#load = options.keyring;
    this.#timeoutMs = options.timeoutMs ?? KEYCHAIN_TIMEOUT_MS;
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  }

  /**
   * Whether the keychain works here: stores, reads back and removes a
   * random value within the timeout. Resolves with the reason when not.
   */
  async probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      const value = crypto.randomUUID();
      await this.#op(
        "set",
        (api, signal) =>
          api.entry(this.#service, PROBE_ACCOUNT).set(value, signal),
      );
      const back = await this.#op(
        "get",
        (api, signal) => api.entry(this.#service, PROBE_ACCOUNT).get(signal),
      );
      await this.#op(
        "delete",
        (api, signal) => api.entry(this.#service, PROBE_ACCOUNT).delete(signal),
      );
      return back === value
        ? { ok: true }
        : { ok: false, reason: "it did not return what was stored" };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }

  /** Probes first: a login is never approved for a keychain that fails. */
  async place(profile: string): Promise<Placement> {
    const probe = await this.probe();
    if (!probe.ok) throw keychainUnavailable(probe.reason);
    return {
      backend: this.kind,
      save: (credential) => this.set(profile, credential),
    };
  }

  async get(profile: string): Promise<StoredCredential | undefined> {
    const pointer = await this.#pointer(profile);
    if (!pointer) return undefined;
    let text = "";
    for (let i = 0; i < pointer.n; i++) {
      const chunk = await this.#op(
        "read",
        (api, signal) =>
          api.entry(this.#service, this.#chunkAccount(profile, pointer, i)).get(
            signal,
          ),
      );
      if (chunk === null) {
        text = "";
        break;
      }
      text += chunk;
    }
    let credential: StoredCredential | undefined;
    try {
      credential = asStoredCredential(JSON.parse(text));
    } catch {
      credential = undefined;
    }
    if (!credential) {
      throw new NotLoggedInError(
        "corrupt_credentials",
        `The keychain entry of profile "${profile}" (service "${this.#service}") is incomplete or corrupt, so the profile is not logged in. Run "login" again.`,
      );
    }
    return credential;
  }

  async set(profile: string, credential: StoredCredential): Promise<void> {
    const old = await this.#pointer(profile).catch(() => undefined);
    const text = JSON.stringify(credential);
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += this.#chunkSize) {
      chunks.push(text.slice(i, i + this.#chunkSize));
    }
    const pointer: Pointer = {
      v: 1,
      issuer: credential.issuer,
      gen: crypto.getRandomValues(new Uint8Array(4)).toHex(),
      n: chunks.length,
    };
    for (const [i, chunk] of chunks.entries()) {
      await this.#op(
        "write",
        (api, signal) =>
          api.entry(this.#service, this.#chunkAccount(profile, pointer, i)).set(
            chunk,
            signal,
          ),
      );
    }
    await this.#op(
      "write",
      (api, signal) =>
        api.entry(this.#service, profile).set(JSON.stringify(pointer), signal),
    );
    if (old) await this.#deleteChunks(profile, old).catch(() => {});
    // Chunks a killed writer left with no pointer to them (they may hold
    // tokens): every write removes them, under the profile's lock.
    await this.#removeOrphans(profile, pointer).catch(() => {});
  }

  async delete(profile: string): Promise<boolean> {
    const pointer = await this.#pointer(profile).catch(() => undefined);
    if (pointer) await this.#deleteChunks(profile, pointer);
    const removed = await this.#op(
      "delete",
      (api, signal) => api.entry(this.#service, profile).delete(signal),
    );
    // Orphaned chunks of an interrupted write go with the profile.
    const orphans = await this.#removeOrphans(profile);
    return removed || orphans > 0;
  }

  /**
   * Deletes the profile's chunks that `keep` (the pointer in force) does
   * not name; all of them without one. Returns how many went.
   */
  async #removeOrphans(profile: string, keep?: Pointer): Promise<number> {
    const accounts = await this.#op(
      "list",
      (api, signal) => api.accounts(this.#service, signal),
    );
    // Profile names have no "@": this prefix is this profile's alone.
    const mine = `${profile}@`;
    const kept = keep ? `${profile}@${keep.issuer}#${keep.gen}.` : undefined;
    let removed = 0;
    for (const account of accounts) {
      if (!account.startsWith(mine) || (kept && account.startsWith(kept))) {
        continue;
      }
      await this.#op(
        "delete",
        (api, signal) => api.entry(this.#service, account).delete(signal),
      );
      removed++;
    }
    return removed;
  }

  async list(): Promise<string[]> {
    const accounts = await this.#op(
      "list",
      (api, signal) => api.accounts(this.#service, signal),
    );
    return accounts.filter((a) => !a.includes("@") && a !== PROBE_ACCOUNT)
      .sort();
  }

  async where(profile: string): Promise<StoreLocation> {
    const api = await this.#api_();
    return {
      backend: "keychain",
      location: `${api.name}, service "${this.#service}", account "${profile}"`,
    };
  }

  async #pointer(profile: string): Promise<Pointer | undefined> {
    const text = await this.#op(
      "read",
      (api, signal) => api.entry(this.#service, profile).get(signal),
    );
    if (text === null) return undefined;
    try {
      const p = JSON.parse(text);
      if (
        p?.v === 1 && typeof p.issuer === "string" &&
        typeof p.gen === "string" && Number.isInteger(p.n) && p.n > 0 &&
        p.n < 1000
      ) return p;
    } catch { /* reported below */ }
    throw new NotLoggedInError(
      "corrupt_credentials",
      `The keychain entry of profile "${profile}" (service "${this.#service}") is corrupt, so the profile is not logged in. Run "login" again.`,
    );
  }

  async #deleteChunks(profile: string, pointer: Pointer): Promise<void> {
    for (let i = 0; i < pointer.n; i++) {
      await this.#op(
        "delete",
        (api, signal) =>
          api.entry(this.#service, this.#chunkAccount(profile, pointer, i))
            .delete(signal),
      );
    }
  }

  #chunkAccount(profile: string, pointer: Pointer, i: number): string {
    return `${profile}@${pointer.issuer}#${pointer.gen}.${i}`;
  }

  #api_(): Promise<KeyringApi> {
    this.#api ??= this.#load();
    return this.#api;
  }

  /** Runs one keychain operation; never longer than the timeout. */
  async #op<T>(
    what: string,
    fn: (api: KeyringApi, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new StorageError(
            ErrorCode.keychainTimeout,
            `The keychain did not answer within ${
              this.#timeoutMs / 1000
            } s (${what}). Unlock it, or use --storage file.`,
          ),
        );
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([
        (async () => fn(await this.#api_(), controller.signal))(),
        timeout,
      ]);
    } catch (err) {
      if (err instanceof StorageError || err instanceof NotLoggedInError) {
        throw err;
      }
      throw new StorageError(
        "keychain_error",
        `The keychain failed to ${what}: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
