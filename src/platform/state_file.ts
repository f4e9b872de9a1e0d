/**
 * A small file remembered between runs (the update check), in a directory
 * of the user's own: read whole, written to a temporary file and renamed,
 * so a reader never sees half of it.
 *
 * @module
 */

/** One state file. */
export interface StateFile {
  /** Its text, or undefined when it is missing or unreadable. */
  read(): Promise<string | undefined>;
  /** Replaces its text (creating the directory, 0700, when missing). */
  write(text: string): Promise<void>;
}

/** The state file `name` in `dir`, on the real file system. */
export function denoStateFile(dir: string, name: string): StateFile {
  const sep = Deno.build.os === "windows" ? "\\" : "/";
  const path = `${dir}${sep}${name}`;
  return {
    async read() {
      try {
        const info = await Deno.lstat(path);
        if (!info.isFile || info.size > 64 * 1024) return undefined;
        return await Deno.readTextFile(path);
      } catch {
        return undefined;
      }
    },
    async write(text) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const temp = `${path}.${
        crypto.getRandomValues(new Uint8Array(4)).toHex()
      }.tmp`;
      await Deno.writeTextFile(temp, text, { mode: 0o600, createNew: true });
      try {
        await Deno.rename(temp, path);
      } catch (err) {
        await Deno.remove(temp).catch(() => {});
        throw err;
      }
    },
  };
}
