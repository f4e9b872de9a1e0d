/**
 * Where authctl keeps its configuration and credentials.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { SystemInfo } from "../platform/env.ts";

/**
 * The configuration directory: `AUTHCTL_CONFIG_DIR` when set, else the
 * platform's per-user configuration directory joined with the app name
 * (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support`
 * on macOS, `%APPDATA%` on Windows).
 */
export function configDir(system: SystemInfo, appName: string): string {
  const override = system.env.get("AUTHCTL_CONFIG_DIR");
  if (override) return override;
  const base = userBase(system, {
    windows: "APPDATA",
    darwin: "Library/Application Support",
    xdg: "XDG_CONFIG_HOME",
    linux: ".config",
  });
  if (!base) {
    throw new UsageError(
      "no_config_dir",
      "Cannot tell where to keep configuration: no home directory is set. Set AUTHCTL_CONFIG_DIR to a directory of your own.",
    );
  }
  return joinPath(system.os, base, appName);
}

/**
 * The state directory, for what is remembered between runs but is neither
 * configuration nor credentials (the update check): `$XDG_STATE_HOME` or
 * `~/.local/state` on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%`
 * on Windows, joined with the app name; undefined without a home.
 */
export function stateDir(
  system: SystemInfo,
  appName: string,
): string | undefined {
  const base = userBase(system, {
    windows: "LOCALAPPDATA",
    darwin: "Library/Caches",
    xdg: "XDG_STATE_HOME",
    linux: ".local/state",
  });
  return base ? joinPath(system.os, base, appName) : undefined;
}

/**
 * A per-user directory: the Windows variable, the macOS folder under the
 * home, or the XDG variable (when absolute) else the folder under the home.
 */
function userBase(
  system: SystemInfo,
  where: { windows: string; darwin: string; xdg: string; linux: string },
): string | undefined {
  const { env, os } = system;
  if (os === "windows") return env.get(where.windows) || undefined;
  const home = env.get("HOME");
  if (os === "darwin") return home ? `${home}/${where.darwin}` : undefined;
  const xdg = env.get(where.xdg);
  if (xdg && xdg.startsWith("/")) return xdg;
  return home ? `${home}/${where.linux}` : undefined;
}

/** Joins path segments with the platform separator. */
export function joinPath(os: SystemInfo["os"], ...parts: string[]): string {
  return parts.join(os === "windows" ? "\\" : "/");
}
