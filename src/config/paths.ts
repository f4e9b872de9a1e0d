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
  const { env, os } = system;
  const override = env.get("AUTHCTL_CONFIG_DIR");
  if (override) return override;
  const sep = os === "windows" ? "\\" : "/";
  let base: string | undefined;
  if (os === "windows") {
    base = env.get("APPDATA");
  } else if (os === "darwin") {
    const home = env.get("HOME");
    base = home ? `${home}/Library/Application Support` : undefined;
  } else {
    const xdg = env.get("XDG_CONFIG_HOME");
    const home = env.get("HOME");
    base = xdg && xdg.startsWith("/")
      ? xdg
      : home
      ? `${home}/.config`
      : undefined;
  }
  if (!base) {
    throw new UsageError(
      "no_config_dir",
      "Cannot tell where to keep configuration: no home directory is set. Set AUTHCTL_CONFIG_DIR to a directory of your own.",
    );
  }
  return `${base}${sep}${appName}`;
}

/** Joins path segments with the platform separator. */
export function joinPath(os: SystemInfo["os"], ...parts: string[]): string {
  return parts.join(os === "windows" ? "\\" : "/");
}
