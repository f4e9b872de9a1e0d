/**
 * Profiles: named settings for several environments, kept in config.toml.
 *
 * @module
 */

import {
  type ConfigFile,
  type ProfileConfig,
  saveConfigFile,
} from "../config/config_file.ts";
import { validateIssuer, validateProfileName } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { ProviderName } from "../config/provider_settings.ts";
import { PRESETS } from "../config/presets.ts";
import { unknownProfile } from "./credential.ts";
import type { CredentialStore } from "../store/types.ts";

/** One line of `profiles list`. Field names are stable for `--json`. */
export interface ProfileSummary {
  name: string;
  /** The default profile (config `default_profile`, else "default"). */
  isDefault: boolean;
  /** Defined in config.toml. */
  configured: boolean;
  /** Has stored credentials. */
  hasCredentials: boolean;
  issuer?: string;
  clientId?: string;
  /** The resources it logs in to (`login --resource`). */
  resources?: string[];
}

/** Every profile that is configured or has credentials. */
export async function listProfiles(
  config: ConfigFile,
  store: CredentialStore,
): Promise<ProfileSummary[]> {
  const withCredentials = new Set(await store.list());
  const defaultName = config.defaultProfile ?? "default";
  const names = new Set([...Object.keys(config.profiles), ...withCredentials]);
  return [...names].sort().map((name) => ({
    name,
    isDefault: name === defaultName,
    configured: name in config.profiles,
    hasCredentials: withCredentials.has(name),
    issuer: config.profiles[name]?.issuer ??
      presetIssuer(config.profiles[name]?.provider?.provider),
    clientId: config.profiles[name]?.clientId,
    resources: config.profiles[name]?.provider?.resources,
  }));
}

/** The issuer a known provider names for itself, if any. */
function presetIssuer(provider: ProviderName | undefined): string | undefined {
  return provider ? PRESETS[provider].defaultIssuer : undefined;
}

/** Makes `name` the default profile. */
export async function useProfile(
  config: ConfigFile,
  name: string,
  appName: string,
) {
  validateProfileName(name);
  if (!(name in config.profiles)) {
    throw unknownProfile(name, Object.keys(config.profiles), appName);
  }
  await saveConfigFile({ ...config, defaultProfile: name });
}

/** Adds (or, with `replace`, replaces) a profile. */
export async function addProfile(
  config: ConfigFile,
  name: string,
  profile: ProfileConfig,
  replace = false,
) {
  validateProfileName(name);
  // A known provider names its own issuer (github.com, Google, Entra).
  const provider = profile.provider?.provider;
  const issuer = profile.issuer ??
    (provider ? PRESETS[provider].defaultIssuer : undefined);
  if (!issuer || !profile.clientId) {
    throw new UsageError(
      "missing_settings",
      `A profile needs --client-id, and --issuer unless --provider names a provider that has one (github, google, microsoft).`,
    );
  }
  validateIssuer(issuer);
  if (name in config.profiles && !replace) {
    throw new UsageError(
      "profile_exists",
      `Profile "${name}" already exists in "${config.path}". Use --force to replace it.`,
    );
  }
  await saveConfigFile({
    ...config,
    profiles: { ...config.profiles, [name]: profile },
  });
}

/**
 * Removes a profile from config.toml and deletes its stored credentials
 * (from every backend).
 */
export async function removeProfile(
  config: ConfigFile,
  store: CredentialStore,
  name: string,
  appName: string,
): Promise<{ configured: boolean; credentials: boolean }> {
  validateProfileName(name);
  const configured = name in config.profiles;
  const credentials = await store.delete(name);
  if (!configured && !credentials) {
    throw unknownProfile(name, [
      ...new Set([...Object.keys(config.profiles), ...await store.list()]),
    ], appName);
  }
  if (configured) {
    const profiles = { ...config.profiles };
    delete profiles[name];
    await saveConfigFile({
      ...config,
      profiles,
      defaultProfile: config.defaultProfile === name
        ? undefined
        : config.defaultProfile,
    });
  }
  return { configured, credentials };
}
