/**
 * The running program's own file, and the file operations that replace it:
 * the OS seam of `upgrade` and the update notice.
 *
 * @module
 */

/** What is running, and from which file. */
export interface SelfBinary {
  /**
   * `compiled`: a `deno compile` binary (`Deno.execPath()`); `script`: a
   * one-file program run by Deno through its `#!` line (the stand-in a
   * local release ships instead of a compiled binary); `source`: a source
   * checkout or a `.js` bundle run with `deno run`, which `upgrade` cannot
   * replace with a release binary.
   */
  kind: "compiled" | "script" | "source";
  /** Its absolute path, symbolic links resolved. */
  path: string;
}

/** The running program's file. */
export function selfBinary(): SelfBinary {
  if (Deno.build.standalone) {
    return { kind: "compiled", path: realPath(Deno.execPath()) };
  }
  const main = new URL(Deno.mainModule);
  if (main.protocol !== "file:") return { kind: "source", path: main.href };
  const path = realPath(decodeURIComponent(main.pathname));
  return {
    kind: /\.[cm]?[jt]sx?$/.test(path) ? "source" : "script",
    path,
  };
}

function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** The file operations of an upgrade, behind a seam for tests. */
export interface InstallFiles {
  /** The text of a small file, or undefined when it cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /**
   * Writes `data` to a new file beside `path` (same directory, so the
   * rename is atomic), executable; returns its path.
   */
  writeBeside(path: string, data: Uint8Array): Promise<string>;
  /** Renames `from` to `to`, replacing `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes `path`; no error when it is gone. */
  remove(path: string): Promise<void>;
  /** Runs `path` with `args`; its exit code and standard output. */
  run(
    path: string,
    args: string[],
    timeoutMs: number,
  ): Promise<{ code: number; stdout: string }>;
}

const RUN_ENV = [
  "PATH",
  "HOME",
  "DENO_DIR",
  "XDG_CACHE_HOME",
  "SystemRoot",
  "TEMP",
  "TMP",
  "USERPROFILE",
  "LOCALAPPDATA",
];

/** The real file system and processes. */
export const denoInstallFiles: InstallFiles = {
  async readText(path) {
    try {
      const file = await Deno.open(path);
      try {
        const buffer = new Uint8Array(4096);
        const n = await file.read(buffer);
        return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
      } finally {
        file.close();
      }
    } catch {
      return undefined;
    }
  },
  async writeBeside(path, data) {
    const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
    const dir = path.slice(0, slash + 1);
    const base = path.slice(slash + 1);
    const random = crypto.getRandomValues(new Uint8Array(6)).toHex();
    const temp = `${dir}.${base}.${random}.new${
      base.endsWith(".exe") ? ".exe" : ""
    }`;
    const file = await Deno.open(temp, {
      write: true,
      createNew: true,
      mode: 0o755,
    });
    try {
      let written = 0;
      while (written < data.length) {
        written += await file.write(data.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o755);
    return temp;
  },
  async rename(from, to) {
    await Deno.rename(from, to);
  },
  async remove(path) {
    await Deno.remove(path).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  },
  async run(path, args, timeoutMs) {
    // Only what finding and running a program needs: no token, no secret.
    const env: Record<string, string> = { NO_COLOR: "1" };
    for (const name of RUN_ENV) {
      const value = Deno.env.get(name);
      if (value !== undefined) env[name] = value;
    }
    const out = await new Deno.Command(path, {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  },
};
