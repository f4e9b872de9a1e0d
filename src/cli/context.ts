/**
 * What every command shares: the injected platform, the setting flags every
 * command takes, and turning them into settings and a store.
 *
 * @module
 */

import type { CliDeps } from "./types.ts";
import type { AppDeps } from "../app/deps.ts";
import { loadConfigFile } from "../config/config_file.ts";
import { configDir, joinPath } from "../config/paths.ts";
import {
  resolveSettings,
  type ResourceTarget,
  type SettingFlags,
  type Settings,
} from "../config/settings.ts";
import type { ConfigFile } from "../config/config_file.ts";
import { UsageError } from "../errors.ts";
import { DEFAULT_HTTP_TIMEOUT_MS, type NetworkOptions } from "../oauth/http.ts";
import { createAppDeps } from "../app/runtime.ts";
import { createStore } from "../store/mod.ts";
import {
  type CommonFlags,
  type ProviderFlags,
  providerFlagValues,
} from "./flags.ts";

/** Settings and dependencies for one command run. */
export interface CommandContext {
  settings: Settings;
  deps: AppDeps;
  configDir: string;
  /** The config file the settings were resolved from. */
  config: ConfigFile;
}

/** The config file and a store, for commands that manage profiles. */
export async function configContext(cli: CliDeps) {
  const dir = configDir(cli.system, cli.build.name);
  const config = await loadConfigFile(
    joinPath(cli.system.os, dir, "config.toml"),
  );
  const store = createStore({
    configDir: dir,
    appName: cli.build.name,
    mode: "auto",
    notice: (text) => cli.terminal.err(`${text}\n`),
  });
  return { config, store };
}

/** Resolves settings from flags, environment, config file and build. */
export async function commandContext(
  flags:
    & CommonFlags
    & Partial<ProviderFlags>
    & { readonly port?: string; readonly flow?: string },
  cli: CliDeps,
  resourceTarget?: ResourceTarget,
): Promise<CommandContext> {
  const dir = configDir(cli.system, cli.build.name);
  const config = await loadConfigFile(
    joinPath(cli.system.os, dir, "config.toml"),
  );
  const provider = providerFlagValues(flags);
  // `token --resource URL`: the token must be that resource's.
  if (resourceTarget?.match === "exact" && provider.resources === undefined) {
    provider.resources = [resourceTarget.url];
  }
  const settingFlags: SettingFlags = {
    profile: flags.profile,
    issuer: flags.issuer,
    clientId: flags.clientId,
    scopes: flags.scope ? [...flags.scope] : undefined,
    audience: flags.audience,
    ports: flags.port,
    flow: flags.flow,
    storage: flags.storage,
    provider,
    resourceTarget,
  };
  const settings = resolveSettings({
    flags: settingFlags,
    env: cli.system.env,
    config,
    build: cli.build,
  });
  return {
    settings,
    configDir: dir,
    config,
    deps: createAppDeps({
      configDir: dir,
      appName: cli.build.name,
      storage: settings.storage,
      lockWaitMs: lockWaitMs(cli.system.env.get("AUTHCTL_LOCK_TIMEOUT")),
      clock: cli.clock,
      terminal: cli.terminal,
      browser: cli.browser,
      signal: cli.signal,
      shield: cli.shield,
      environment: cli.environment,
      network: networkOptions(flags, cli),
      env: cli.system.env,
      capture: cli.capture,
    }),
  };
}

/** Timeouts, CA bundle and debug trace: flag, then environment. */
export function networkOptions(
  flags: Pick<CommonFlags, "httpTimeout" | "caFile" | "debug">,
  cli: CliDeps,
): NetworkOptions {
  const env = cli.system.env;
  const timeout = flags.httpTimeout ?? env.get("AUTHCTL_HTTP_TIMEOUT");
  const timeoutFrom = flags.httpTimeout !== undefined
    ? "--http-timeout"
    : "AUTHCTL_HTTP_TIMEOUT";
  const debugEnv = env.get("AUTHCTL_DEBUG");
  const debug = flags.debug || (debugEnv !== undefined && debugEnv !== "" &&
    debugEnv !== "0" && debugEnv.toLowerCase() !== "false");
  return {
    timeoutMs: timeout
      ? parseDuration(timeout, timeoutFrom)
      : DEFAULT_HTTP_TIMEOUT_MS,
    caFile: flags.caFile ?? (env.get("AUTHCTL_CA_FILE") || undefined),
    debug: debug ? (line) => cli.terminal.err(`[debug] ${line}\n`) : undefined,
  };
}

/** `AUTHCTL_LOCK_TIMEOUT` (seconds or a duration) in milliseconds. */
function lockWaitMs(value: string | undefined): number | undefined {
  return value ? parseDuration(value, "AUTHCTL_LOCK_TIMEOUT") : undefined;
}

/** Parses "300", "30s", "5m", "1h" or "1m30s" into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(text.trim());
  const ms = m && m[0] !== ""
    ? ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) *
      1000
    : NaN;
  if (!(ms > 0)) {
    throw new UsageError(
      "invalid_duration",
      `Invalid ${flag} "${text}". Give seconds ("300") or a duration ("5m", "90s", "1h").`,
    );
  }
  return ms;
}

/** "in 59m", "3m ago": a short relative time for people. */
export function relativeTime(target: number, now: number): string {
  const diff = Math.round((target - now) / 1000);
  const abs = Math.abs(diff);
  const text = abs < 60
    ? `${abs}s`
    : abs < 3600
    ? `${Math.floor(abs / 60)}m`
    : abs < 86400
    ? `${Math.floor(abs / 3600)}h${Math.floor((abs % 3600) / 60)}m`
    : `${Math.floor(abs / 86400)}d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** " as alice (alice@example.com)", or "" when nothing is known. */
export function describeIdentity(
  identity?: {
    sub: string;
    name?: string;
    email?: string;
    preferred_username?: string;
  },
): string {
  if (!identity) return "";
  const name = identity.preferred_username ?? identity.name ?? identity.sub;
  const email = identity.email && identity.email !== name
    ? ` (${identity.email})`
    : "";
  return ` as ${name}${email}`;
}
