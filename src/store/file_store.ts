/**
 * Credentials in files: one `<profile>.json` per profile, mode 0600, in a
 * `credentials` directory of mode 0700 inside the config directory. Writes go
 * to a temporary file in the same directory that is then renamed over the
 * old one, so a crash leaves the old or the new content, never a mix.
 *
 * @module
 */

import { NotLoggedInError, StorageError } from "../errors.ts";
import {
  asStoredCredential,
  type CredentialStore,
  type StoredCredential,
} from "./types.ts";

/** Options of {@linkcode FileStore}. */
export interface FileStoreOptions {
  /** The config directory; credentials go in its `credentials` folder. */
  configDir: string;
  /** Whether POSIX modes and owners apply (false on Windows). */
  posix?: boolean;
}

/** File backend of {@linkcode CredentialStore}. */
export class FileStore implements CredentialStore {
  readonly kind = "file";
  readonly location: string;
  readonly #configDir: string;
  readonly #posix: boolean;
  readonly #sep: string;

  constructor(options: FileStoreOptions) {
    this.#posix = options.posix ?? Deno.build.os !== "windows";
    this.#sep = this.#posix ? "/" : "\\";
    this.#configDir = options.configDir;
    this.location = `${options.configDir}${this.#sep}credentials`;
  }

  /** Path of the profile's file. */
  pathOf(profile: string): string {
    return `${this.location}${this.#sep}${profile}.json`;
  }

  async get(profile: string): Promise<StoredCredential | undefined> {
    const path = this.pathOf(profile);
    if (!await this.#checkDir(this.location, true)) return undefined;
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw this.#ioError("read", path, err);
    }
    this.#checkFile(path, info);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      throw this.#ioError("read", path, err);
    }
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
        `The credentials file "${path}" is corrupt, so profile "${profile}" is not logged in. Run "login" again (it replaces the file) or delete the file.`,
      );
    }
    return credential;
  }

  async set(profile: string, credential: StoredCredential): Promise<void> {
    await this.#ensureDirs();
    const path = this.pathOf(profile);
    try {
      const info = await Deno.lstat(path);
      this.#checkFile(path, info);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const random = crypto.getRandomValues(new Uint8Array(8)).toHex();
    const tmp = `${this.location}${this.#sep}.${profile}.${random}.tmp`;
    const data = new TextEncoder().encode(JSON.stringify(credential, null, 2));
    try {
      // createNew (O_EXCL) never follows or reuses an existing path.
      const file = await Deno.open(tmp, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
      try {
        if (this.#posix) await Deno.chmod(tmp, 0o600);
        let written = 0;
        while (written < data.length) {
          written += await file.write(data.subarray(written));
        }
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(tmp, path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw this.#ioError("write", path, err);
    }
  }

  async delete(profile: string): Promise<boolean> {
    const path = this.pathOf(profile);
    try {
      await Deno.remove(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw this.#ioError("delete", path, err);
    }
  }

  async list(): Promise<string[]> {
    if (!await this.#checkDir(this.location, true)) return [];
    const names: string[] = [];
    for await (const entry of Deno.readDir(this.location)) {
      if (entry.isFile && entry.name.endsWith(".json")) {
        names.push(entry.name.slice(0, -".json".length));
      }
    }
    return names.sort();
  }

  async #ensureDirs(): Promise<void> {
    for (const dir of [this.#configDir, this.location]) {
      const strict = dir === this.location;
      if (await this.#checkDir(dir, strict)) continue;
      try {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        if (this.#posix) await Deno.chmod(dir, 0o700);
      } catch (err) {
        throw this.#ioError("create", dir, err);
      }
    }
  }

  /**
   * Checks an existing directory: not a symlink, owned by this user, and
   * (strict) closed to others or (not strict) not writable by others.
   * Returns false when it does not exist.
   */
  async #checkDir(dir: string, strict: boolean): Promise<boolean> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(dir);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw this.#ioError("inspect", dir, err);
    }
    if (info.isSymlink) {
      throw new StorageError(
        "insecure_path",
        `Refusing to use "${dir}": it is a symbolic link. Replace it with a real directory.`,
      );
    }
    if (!info.isDirectory) {
      throw new StorageError(
        "insecure_path",
        `Refusing to use "${dir}": it is not a directory. Move it away.`,
      );
    }
    if (!this.#posix) return true;
    this.#checkOwner(dir, info);
    const mode = info.mode ?? 0;
    if (strict ? mode & 0o077 : mode & 0o022) {
      const fix = strict ? "700" : "go-w";
      throw new StorageError(
        "insecure_permissions",
        `Refusing to use "${dir}": other users can ${
          mode & 0o022 ? "write to" : "read"
        } it (mode ${(mode & 0o777).toString(8)}). Run: chmod ${fix} "${dir}"`,
      );
    }
    return true;
  }

  #checkFile(path: string, info: Deno.FileInfo): void {
    if (info.isSymlink || !info.isFile) {
      throw new StorageError(
        "insecure_path",
        `Refusing to use "${path}": it is not a regular file (a symbolic link?). Delete it and log in again.`,
      );
    }
    if (!this.#posix) return;
    this.#checkOwner(path, info);
    const mode = info.mode ?? 0;
    if (mode & 0o077) {
      throw new StorageError(
        "insecure_permissions",
        `Refusing to use "${path}": other users can read it (mode ${
          (mode & 0o777).toString(8)
        }). Run: chmod 600 "${path}" — and consider the tokens in it exposed: log out and in again.`,
      );
    }
  }

  #checkOwner(path: string, info: Deno.FileInfo): void {
    const uid = Deno.uid();
    if (uid !== null && info.uid !== null && info.uid !== uid) {
      throw new StorageError(
        "insecure_owner",
        `Refusing to use "${path}": it belongs to user ${info.uid}, not to you (${uid}). Remove it, or set AUTHCTL_CONFIG_DIR to a directory of your own.`,
      );
    }
  }

  #ioError(action: string, path: string, err: unknown): StorageError {
    if (err instanceof StorageError) return err;
    return new StorageError(
      "storage_io",
      `Cannot ${action} "${path}": ${(err as Error).message}.`,
      { cause: err },
    );
  }
}
