/**
 * Step-up: an API said the token lacks a scope (`403` with
 * `insufficient_scope`); log in again, once, with the union of the
 * profile's scopes and those the API asked for, and keep the union in the
 * profile so later commands agree with the new token.
 *
 * @module
 */

import { type ConfigFile, saveConfigFile } from "../config/config_file.ts";
import { ownScopes, type Settings } from "../config/settings.ts";
import type { AppDeps } from "./deps.ts";
import { login, type LoginOptions } from "./login.ts";
import { isResourceLogin, loginToResource } from "./resource_login.ts";

/** Logs in again with `scopes` added; resolves with the new settings. */
export async function stepUp(
  deps: AppDeps,
  settings: Settings,
  config: ConfigFile,
  scopes: string[],
  options: Omit<LoginOptions, "force" | "namedByResource">,
): Promise<Settings> {
  const union = ownScopes([...new Set([...settings.scopes, ...scopes])]);
  deps.terminal.err(
    `The API needs the scope "${
      scopes.join(" ")
    }" for this request, which the token of profile "${settings.profile}" does not have. Logging in again with "${
      union.join(" ")
    }"…\n`,
  );
  const next: Settings = {
    ...settings,
    scopes: union,
    sources: { ...settings.sources, scopes: "flag" },
  };
  if (isResourceLogin(settings)) {
    // Saves the scopes into the profile itself.
    await loginToResource(deps, next, config, { ...options, force: true });
    return next;
  }
  await login(deps, next, { ...options, force: true });
  const profile = config.profiles[settings.profile];
  if (profile && settings.sources.scopes === "profile") {
    await saveConfigFile({
      ...config,
      profiles: {
        ...config.profiles,
        [settings.profile]: { ...profile, scopes: union },
      },
    });
  }
  return next;
}
