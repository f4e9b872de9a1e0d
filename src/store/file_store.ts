/**
 * Credentials in files: one `<profile>.json` per profile, mode 0600, in a
 * `credentials` directory of mode 0700 inside the config directory (see
 * {@linkcode PrivateDir} for the guarantees).
 *
 * @module
 */

import { NotLoggedInError } from "../errors.ts";
import { PrivateDir } from "./private_dir.ts";
import {
  asStoredCredential,
  type CredentialStore,
  type Placement,
  type Reservation,
  type StoredCredential,
  type StoreLocation,
} from "./types.ts";

/** Options of {@linkcode FileStore}. */
export interface FileStoreOptions {
  /** The config directory; credentials go in its `credentials` folder. */
  configDir: string;
  /** Whether POSIX modes and owners apply (false on Windows). */
  posix?: boolean;
  /** Names a write's temporary file (for tests). */
  tempName?: (name: string) => string;
}

/** File backend of {@linkcode CredentialStore}. */
/**
 * Room reserved for a profile's next entry: far more than any credential
 * (tokens of a few KiB, a DPoP key, the settings).
 */
const RESERVED_BYTES = 64 * 1024;

export class FileStore implements CredentialStore {
  readonly kind = "file";
  readonly #dir: PrivateDir;

  constructor(options: FileStoreOptions) {
    const posix = options.posix ?? Deno.build.os !== "windows";
    this.#dir = new PrivateDir({
      path: `${options.configDir}${posix ? "/" : "\\"}credentials`,
      parent: options.configDir,
      posix,
      tempName: options.tempName,
    });
  }

  /** The directory holding the files. */
  get location(): string {
    return this.#dir.path;
  }

  /** Path of the profile's file. */
  pathOf(profile: string): string {
    return this.#dir.pathOf(`${profile}.json`);
  }

  async get(profile: string): Promise<StoredCredential | undefined> {
    const text = await this.#dir.read(`${profile}.json`);
    if (text === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const credential = asStoredCredential(parsed);
    if (!credential) {
      throw new NotLoggedInError(
        "corrupt_credentials",
        `The credentials file "${
          this.pathOf(profile)
        }" is corrupt, so profile "${profile}" is not logged in. Run "login" again (it replaces the file) or delete the file.`,
      );
    }
    return credential;
  }

  async set(profile: string, credential: StoredCredential): Promise<void> {
    await this.#dir.write(
      `${profile}.json`,
      JSON.stringify(credential, null, 2),
    );
  }

  async reserve(profile: string): Promise<Reservation> {
    const room = await this.#dir.reserve(`${profile}.json`, RESERVED_BYTES);
    return {
      commit: (credential) => room.commit(JSON.stringify(credential, null, 2)),
      release: () => room.release(),
    };
  }

  place(profile: string): Promise<Placement> {
    return Promise.resolve({
      backend: this.kind,
      save: (credential) => this.set(profile, credential),
    });
  }

  delete(profile: string): Promise<boolean> {
    return this.#dir.remove(`${profile}.json`);
  }

  list(): Promise<string[]> {
    return this.#dir.list(".json");
  }

  where(profile: string): Promise<StoreLocation> {
    return Promise.resolve({ backend: "file", location: this.pathOf(profile) });
  }
}
