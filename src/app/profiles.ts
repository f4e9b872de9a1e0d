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
    issuer: config.profiles[name]?.issuer,
    clientId: config.profiles[name]?.clientId,
    resources: config.profiles[name]?.provider?.resources,
  }));
}

/** Makes `name` the default profile. */
export async function useProfile(config: ConfigFile, name: string) {
  validateProfileName(name);
  if (!(name in config.profiles)) {
    throw new UsageError(
      "unknown_profile",
      `No profile "${name}" in "${config.path}". Add it first: profiles add ${name} --issuer URL --client-id ID`,
    );
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
  if (!profile.issuer || !profile.clientId) {
    throw new UsageError(
      "missing_settings",
      `A profile needs --issuer and --client-id.`,
    );
  }
  validateIssuer(profile.issuer);
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
): Promise<{ configured: boolean; credentials: boolean }> {
  validateProfileName(name);
  const configured = name in config.profiles;
  const credentials = await store.delete(name);
  if (!configured && !credentials) {
    throw new UsageError(
      "unknown_profile",
      `No profile "${name}": it is neither in "${config.path}" nor logged in.`,
    );
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
