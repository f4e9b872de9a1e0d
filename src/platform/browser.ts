/**
 * Opening a URL in the user's browser: `$BROWSER` first, then the platform's
 * opener. Only the URL is passed to the child process, never a secret.
 *
 * @module
 */

import { childEnvironment, type SystemInfo } from "./env.ts";

/** Opens URLs in a browser. */
export interface BrowserOpener {
  /** Tries to open `url`; resolves false when no browser could be started. */
  open(url: string): Promise<boolean>;
}

/** One way of opening a URL: a program and its arguments. */
export interface OpenCommand {
  cmd: string;
  args: string[];
}

/**
 * The commands to try, in order, for this system. `$BROWSER` is a
 * colon-separated list of commands; `%s` in one is replaced by the URL, else
 * the URL is appended. On Linux without a display (SSH, containers) no
 * desktop opener is tried, so a text browser never takes over the terminal.
 */
export function openCommands(system: SystemInfo, url: string): OpenCommand[] {
  const fromEnv = system.env.get("BROWSER");
  if (fromEnv) {
    return fromEnv.split(system.os === "windows" ? ";" : ":")
      .map((entry) => entry.trim().split(/\s+/).filter(Boolean))
      .filter((words) => words.length > 0)
      .map(([cmd, ...args]) => {
        const hasPlaceholder = args.some((a) => a.includes("%s"));
        return {
          cmd,
          args: hasPlaceholder
            ? args.map((a) => a.replaceAll("%s", url))
            : [...args, url],
        };
      });
  }
  switch (system.os) {
    case "darwin":
      return [{ cmd: "open", args: [url] }];
    case "windows":
      return [{ cmd: "rundll32", args: ["url.dll,FileProtocolHandler", url] }];
    default: {
      const env = system.env;
      const commands: OpenCommand[] = [];
      if (env.get("WSL_DISTRO_NAME") || env.get("WSL_INTEROP")) {
        // The Windows browser: wslview (wslu) when installed, else PowerShell.
        commands.push({ cmd: "wslview", args: [url] }, {
          cmd: "powershell.exe",
          args: [
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            `Start-Process '${url.replaceAll("'", "''")}'`,
          ],
        });
      }
      if (env.get("DISPLAY") || env.get("WAYLAND_DISPLAY")) {
        commands.push({ cmd: "xdg-open", args: [url] });
      }
      return commands;
    }
  }
}

/** How long an opener may take to fail before it counts as started. */
const FAIL_FAST_MS = 1500;

/**
 * Opens URLs by starting the commands of {@linkcode openCommands}, without
 * the `withheld` variables (a client secret) in their environment.
 */
export function systemBrowser(
  system: SystemInfo,
  withheld: readonly string[] = [],
): BrowserOpener {
  return {
    async open(url) {
      for (const { cmd, args } of openCommands(system, url)) {
        let child: Deno.ChildProcess;
        try {
          child = new Deno.Command(cmd, {
            args,
            ...childEnvironment(withheld),
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn();
        } catch {
          continue; // not installed
        }
        // Openers like xdg-open return at once; a browser given in $BROWSER
        // may keep running. A quick non-zero exit means it failed.
        let timer: ReturnType<typeof setTimeout> | undefined;
        const early = await Promise.race([
          child.status,
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), FAIL_FAST_MS);
          }),
        ]);
        clearTimeout(timer);
        if (early === undefined) {
          child.unref();
          return true;
        }
        if (early.success) return true;
      }
      return false;
    },
  };
}
