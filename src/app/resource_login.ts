/**
 * Logging in to a protected resource by its URL alone, as MCP clients do:
 * the resource names its authorization server (RFC 9728), that server's
 * metadata is discovered in the MCP order and must list S256, a client ID
 * is obtained without pre-registration when none is configured, and the
 * tokens are bound to the resource (RFC 8707). The resource and the scopes
 * become the profile, so later commands need only the profile.
 *
 * @module
 */

import {
  type ConfigFile,
  type ProfileConfig,
  saveConfigFile,
} from "../config/config_file.ts";
import {
  ownScopes,
  type Settings,
  validateIssuer,
} from "../config/settings.ts";
import { ProviderError, stripControl, UsageError } from "../errors.ts";
import {
  discoverProtectedResource,
  type ProtectedResource,
} from "../oauth/resource_metadata.ts";
import type { AppDeps } from "./deps.ts";
import { login, type LoginOptions, type LoginResult } from "./login.ts";

/** What a login by resource achieved. */
export interface ResourceLoginResult extends LoginResult {
  /** What the resource said about itself. */
  resource: ProtectedResource;
  /** The authorization server it named (the credential's issuer). */
  issuer: string;
  /** The scopes asked for. */
  scopes: string[];
  /** Whether config.toml was written (a new or changed profile). */
  profileSaved: boolean;
}

/**
 * Whether `settings` call for a login by resource: a resource is configured
 * and no issuer is, anywhere.
 */
export function isResourceLogin(settings: Settings): boolean {
  return !settings.issuer && (settings.provider.resources?.length ?? 0) > 0;
}

/** Logs in to the profile's one resource (see the module doc). */
export async function loginToResource(
  deps: AppDeps,
  settings: Settings,
  config: ConfigFile,
  options: Omit<LoginOptions, "namedByResource">,
): Promise<ResourceLoginResult> {
  const resources = settings.provider.resources ?? [];
  if (resources.length !== 1) {
    throw new UsageError(
      "several_resources",
      `A login by resource takes one resource; profile "${settings.profile}" has ${resources.length} (${
        resources.join(", ")
      }). Log in to each with its own profile (--profile NAME --resource URL), or give --issuer.`,
    );
  }
  const found = await discoverProtectedResource(resources[0], {
    network: deps.network,
    signal: deps.signal,
  });
  const issuer = found.authorizationServers[0];
  try {
    // Printed and stored as it is: no control characters or spaces.
    if ([...issuer].some((c) => c <= " " || c === "\x7f")) {
      throw new Error("it contains spaces or control characters.");
    }
    validateIssuer(issuer);
  } catch (cause) {
    throw new ProviderError(
      "invalid_authorization_server",
      `"${found.resource}" names the authorization server "${
        stripControl(issuer)
      }", which cannot be used: ${(cause as Error).message}`,
      { cause },
    );
  }
  deps.terminal.err(
    `${found.resource}${
      found.name ? ` (${found.name})` : ""
    } names the authorization server ${issuer} (metadata at ${found.metadataUrl}).\n`,
  );
  const configured = settings.sources.scopes !== "default";
  const scopes = configured ? settings.scopes : ownScopes(found.scopes);
  const resolved: Settings = {
    ...settings,
    issuer,
    scopes,
    sources: {
      ...settings.sources,
      issuer: "resource",
      scopes: configured ? settings.sources.scopes : "resource",
    },
    provider: { ...settings.provider, resources: [found.resource] },
  };
  const result = await login(deps, resolved, {
    ...options,
    namedByResource: found.resource,
  });
  const profileSaved = await saveResourceProfile(
    config,
    settings.profile,
    found.resource,
    scopes,
  );
  return { ...result, resource: found, issuer, scopes, profileSaved };
}

/**
 * Writes the resource and the scopes into the profile, keeping everything
 * else it holds. Returns whether anything changed.
 */
export async function saveResourceProfile(
  config: ConfigFile,
  profile: string,
  resource: string,
  scopes: string[],
): Promise<boolean> {
  const before = config.profiles[profile] ?? {};
  const after: ProfileConfig = {
    ...before,
    scopes: scopes.length ? scopes : undefined,
    provider: { ...before.provider, resources: [resource] },
  };
  const same = JSON.stringify(before.scopes ?? []) ===
      JSON.stringify(after.scopes ?? []) &&
    JSON.stringify(before.provider?.resources ?? []) ===
      JSON.stringify([resource]);
  if (same && profile in config.profiles) return false;
  await saveConfigFile({
    ...config,
    profiles: { ...config.profiles, [profile]: after },
  });
  return true;
}
