/**
 * A directory only its owner can use: created 0700 whatever the umask,
 * refused when it (or a file in it) is a symlink, belongs to someone else or
 * is open to others; files replaced atomically through a temporary file in
 * the same directory.
 *
 * @module
 */

import { StorageError } from "../errors.ts";
import { foreignOwner } from "../platform/ownership.ts";

/** Options of {@linkcode PrivateDir}. */
export interface PrivateDirOptions {
  /** The private directory. */
  path: string;
  /** Its parent, created if missing and checked not to be writable by others. */
  parent: string;
  /** Whether POSIX modes and owners apply (false on Windows). */
  posix?: boolean;
  /** Names the temporary file of a write (tests plant traps there). */
  tempName?: (name: string) => string;
}

/** A directory of owner-only files. */
export class PrivateDir {
  readonly path: string;
  readonly #parent: string;
  readonly #posix: boolean;
  readonly #sep: string;
  readonly #tempName: (name: string) => string;

  constructor(options: PrivateDirOptions) {
    this.path = options.path;
    this.#parent = options.parent;
    this.#posix = options.posix ?? Deno.build.os !== "windows";
    this.#sep = this.#posix ? "/" : "\\";
    this.#tempName = options.tempName ??
      ((name) =>
        `.${name}.${crypto.getRandomValues(new Uint8Array(8)).toHex()}.tmp`);
  }

  /** The path of a file in the directory. */
  pathOf(name: string): string {
    return `${this.path}${this.#sep}${name}`;
  }

  /**
   * A file's text, or undefined when it (or the directory) does not exist.
   * Synchronous system calls: on `token`'s path, each asynchronous one
   * costs a round trip through the runtime's thread pool.
   */
  read(name: string): Promise<string | undefined> {
    try {
      return Promise.resolve(this.#readSync(name));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #readSync(name: string): string | undefined {
    if (!this.#checkDir(this.path, true)) return undefined;
    const path = this.pathOf(name);
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw ioError("read", path, err);
    }
    this.#checkFile(path, info);
    try {
      return Deno.readTextFileSync(path);
    } catch (err) {
      throw ioError("read", path, err);
    }
  }

  /**
   * Replaces a file: the data goes to a new temporary file (0600, created
   * exclusively, so nothing planted there is followed), is synced, and is
   * renamed over the old file.
   */
  async write(name: string, text: string): Promise<void> {
    await this.#ensure();
    const path = this.pathOf(name);
    await this.#checkIfPresent(path, "write");
    const tmp = this.pathOf(this.#tempName(name));
    const data = new TextEncoder().encode(text);
    let created = false;
    try {
      const file = await Deno.open(tmp, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
      created = true;
      try {
        if (this.#posix) await Deno.chmod(tmp, 0o600);
        await writeAllTo(file, data);
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(tmp, path);
    } catch (err) {
      if (created) await Deno.remove(tmp).catch(() => {});
      throw ioError("write", path, err);
    }
    // The rename itself must reach the disk: a crash now leaves the new
    // file, not the old one (or none).
    await this.#syncDir();
    // Left by a writer that was killed (kill -9) before its rename: it may
    // hold a refresh token. Writes run under the profile's lock, so no
    // other writer of this name is in flight.
    await this.#removeTemporaries(name);
  }

  /**
   * Makes room for the next version of a file before there is anything to
   * write: checks that the file can be replaced (it opens for writing: not
   * read-only, not immutable), and writes `bytes` to a new temporary file,
   * so a full disk fails now. `commit` then writes the text over that room,
   * syncs and renames it as {@linkcode write} does.
   */
  async reserve(
    name: string,
    bytes: number,
  ): Promise<
    { commit(text: string): Promise<void>; release(): Promise<void> }
  > {
    await this.#ensure();
    const path = this.pathOf(name);
    try {
      this.#checkFile(path, await Deno.lstat(path));
      // Opened for writing, never written: what refuses a write refuses here.
      (await Deno.open(path, { write: true })).close();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw ioError("write", path, err);
      }
    }
    const tmp = this.pathOf(this.#tempName(name));
    let file: Deno.FsFile;
    try {
      file = await Deno.open(tmp, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
    } catch (err) {
      throw ioError("write", path, err);
    }
    let open = true;
    const release = async () => {
      if (open) file.close();
      open = false;
      await Deno.remove(tmp).catch(() => {});
    };
    try {
      if (this.#posix) await Deno.chmod(tmp, 0o600);
      await writeAllTo(file, new Uint8Array(bytes));
      await file.sync();
    } catch (err) {
      await release();
      throw ioError("write", path, err);
    }
    return {
      commit: async (text) => {
        try {
          const data = new TextEncoder().encode(text);
          await file.seek(0, Deno.SeekMode.Start);
          await writeAllTo(file, data);
          await file.truncate(data.length);
          await file.sync();
          file.close();
          open = false;
          await Deno.rename(tmp, path);
        } catch (err) {
          await release();
          throw ioError("write", path, err);
        }
        await this.#syncDir();
        await this.#removeTemporaries(name);
      },
      release,
    };
  }

  /** fsyncs the directory, where the platform has it (not Windows). */
  async #syncDir(): Promise<void> {
    if (!this.#posix) return;
    try {
      const dir = await Deno.open(this.path, { read: true });
      try {
        await dir.sync();
      } finally {
        dir.close();
      }
    } catch { /* a file system without directory sync: nothing to do */ }
  }

  /** Removes the temporary files of `name` that a killed writer left. */
  async #removeTemporaries(name: string): Promise<void> {
    const prefix = `.${name}.`;
    try {
      for await (const entry of Deno.readDir(this.path)) {
        if (
          entry.isFile && entry.name.startsWith(prefix) &&
          entry.name.endsWith(".tmp") &&
          /^[0-9a-f]{16}$/.test(entry.name.slice(prefix.length, -4))
        ) {
          await Deno.remove(this.pathOf(entry.name)).catch(() => {});
        }
      }
    } catch { /* the directory is gone: nothing left behind in it */ }
  }

  /**
   * Opens (creating it if needed, never replacing it) a file to lock. Every
   * process must lock the same inode, so this never goes through a
   * temporary file and rename.
   */
  async openShared(name: string): Promise<Deno.FsFile> {
    await this.#ensure();
    const path = this.pathOf(name);
    await this.#checkIfPresent(path, "open");
    try {
      const file = await Deno.open(path, {
        read: true,
        write: true,
        create: true,
        mode: 0o600,
      });
      if (this.#posix) await Deno.chmod(path, 0o600);
      return file;
    } catch (err) {
      throw ioError("open", path, err);
    }
  }

  /**
   * Removes a file, and the temporary files a killed writer of it left;
   * true when there was one.
   */
  async remove(name: string): Promise<boolean> {
    const path = this.pathOf(name);
    await this.#removeTemporaries(name);
    try {
      await Deno.remove(path);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw ioError("delete", path, err);
    }
  }

  /** Names of the regular files ending in `suffix`, without it, sorted. */
  async list(suffix: string): Promise<string[]> {
    if (!this.#checkDir(this.path, true)) return [];
    const names: string[] = [];
    for await (const entry of Deno.readDir(this.path)) {
      if (
        entry.isFile && entry.name.endsWith(suffix) &&
        !entry.name.startsWith(".")
      ) {
        names.push(entry.name.slice(0, -suffix.length));
      }
    }
    return names.sort();
  }

  async #ensure(): Promise<void> {
    for (
      const [dir, strict] of [[this.#parent, false], [this.path, true]] as const
    ) {
      if (this.#checkDir(dir, strict)) continue;
      try {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        if (this.#posix) await Deno.chmod(dir, 0o700);
      } catch (err) {
        throw ioError("create", dir, err);
      }
    }
  }

  /** Checks the file at `path` when there is one; a failure is `verb`'s. */
  async #checkIfPresent(path: string, verb: string): Promise<void> {
    try {
      this.#checkFile(path, await Deno.lstat(path));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw ioError(verb, path, err);
      }
    }
  }

  /**
   * Checks an existing directory: not a symlink, owned by this user, and
   * (strict) closed to others or (not strict) not writable by others.
   * Returns false when it does not exist.
   */
  #checkDir(dir: string, strict: boolean): boolean {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(dir);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw ioError("inspect", dir, err);
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
    checkOwner(dir, info);
    const mode = info.mode ?? 0;
    if (strict ? mode & 0o077 : mode & 0o022) {
      throw new StorageError(
        "insecure_permissions",
        `Refusing to use "${dir}": other users can ${
          mode & 0o022 ? "write to" : "read"
        } it (mode ${(mode & 0o777).toString(8)}). Run: chmod ${
          strict ? "700" : "go-w"
        } "${dir}"`,
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
    checkOwner(path, info);
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
}

function checkOwner(path: string, info: Deno.FileInfo): void {
  const foreign = foreignOwner(info);
  if (foreign) {
    throw new StorageError(
      "insecure_owner",
      `Refusing to use "${path}": it belongs to user ${foreign.owner}, not to you (${foreign.you}). Remove it, or set AUTHCTL_CONFIG_DIR to a directory of your own.`,
    );
  }
}

async function writeAllTo(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    written += await file.write(data.subarray(written));
  }
}

function ioError(action: string, path: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError(
    "storage_io",
    `Cannot ${action} "${path}": ${(err as Error).message}.`,
    { cause: err },
  );
}
