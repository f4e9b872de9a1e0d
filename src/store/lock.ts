/**
 * One exclusive lock per profile, held around read → refresh → write so that
 * parallel processes refresh once. It is an OS file lock (`flock`), so the
 * system releases it when its holder dies, even by SIGKILL.
 *
 * @module
 */

import { StorageError } from "../errors.ts";
import { PrivateDir } from "./private_dir.ts";

/** A held lock. */
export interface ProfileLock {
  release(): void;
}

/** Takes per-profile locks. */
export interface ProfileLocks {
  /** Waits (at most the configured time) for the profile's lock. */
  acquire(profile: string, signal?: AbortSignal): Promise<ProfileLock>;
}

/** Default longest wait for a lock. */
export const DEFAULT_LOCK_WAIT_MS = 30_000;

/** Options of {@linkcode FileLocks}. */
export interface FileLocksOptions {
  /** The config directory; lock files go in its `locks` folder. */
  configDir: string;
  /** Longest wait for a lock. */
  waitMs?: number;
}

/** Lock files in `<config dir>/locks`, a private directory. */
export class FileLocks implements ProfileLocks {
  readonly #dir: PrivateDir;
  readonly #waitMs: number;

  constructor(options: FileLocksOptions) {
    const posix = Deno.build.os !== "windows";
    this.#dir = new PrivateDir({
      path: `${options.configDir}${posix ? "/" : "\\"}locks`,
      parent: options.configDir,
      posix,
    });
    this.#waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  }

  async acquire(profile: string, signal?: AbortSignal): Promise<ProfileLock> {
    const name = `${profile}.lock`;
    const file = await this.#dir.openShared(name);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const locked = file.lock(true).then(() => true);
    try {
      const won = await Promise.race([
        locked,
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), this.#waitMs);
        }),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(signal!.reason);
          signal?.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
      if (!won) {
        throw new StorageError(
          "lock_timeout",
          `Another process has held the lock of profile "${profile}" for over ${
            Math.round(this.#waitMs / 1000)
          } s ("${
            this.#dir.pathOf(name)
          }"). If no other login or token command is running, try again; the lock goes away with the process that holds it.`,
        );
      }
    } catch (err) {
      // The pending lock call may still succeed later; closing the file
      // releases whatever it gets.
      locked.then(() => file.close(), () => {});
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        try {
          file.close(); // closing the descriptor drops the lock
        } catch { /* already closed */ }
      },
    };
  }
}
