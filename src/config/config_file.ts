/**
 * The optional `config.toml` in the configuration directory: a default
 * profile and per-profile settings.
 *
 * ```toml
 * default_profile = "prod"
 *
 * [profiles.prod]
 * issuer = "https://login.example.com"
 * client_id = "cli"
 * scopes = ["api:read"]
 * audience = "https://api.example.com"
 * ports = "8765-8769"
 * oob = false # paste-back with urn:ietf:wg:oauth:2.0:oob
 * ```
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** Settings one profile may hold in the config file. */
export interface ProfileConfig {
  issuer?: string;
  clientId?: string;
  scopes?: string[];
  audience?: string;
  ports?: string;
  /** The provider still supports the out-of-band redirect for paste-back. */
  oob?: boolean;
  /** Preferred login flow. */
  flow?: string;
  /** Where credentials go: auto, keychain or file. */
  storage?: string;
}

/** The parsed config file. */
export interface ConfigFile {
  /** The file it came from, for messages. */
  path: string;
  defaultProfile?: string;
  profiles: Record<string, ProfileConfig>;
}

const PROFILE_KEYS: Record<string, keyof ProfileConfig> = {
  issuer: "issuer",
  client_id: "clientId",
  scopes: "scopes",
  audience: "audience",
  ports: "ports",
  oob: "oob",
  flow: "flow",
  storage: "storage",
};

/**
 * Reads and validates the config file at `path`. A missing file is an empty
 * configuration; a malformed one is a usage error naming the file.
 */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { path, profiles: {} };
    throw new UsageError(
      "config_unreadable",
      `Cannot read the config file "${path}": ${(err as Error).message}.`,
      { cause: err },
    );
  }
  // Loaded only when a config file exists: keeps `authctl token` lean.
  const { parse } = await import("smol-toml");
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(
      "config_invalid",
      `The config file "${path}" is not valid TOML: ${
        (err as Error).message.split("\n")[0]
      }. Fix or remove it.`,
      { cause: err },
    );
  }
  return parseConfig(path, doc);
}

/** Validates a parsed TOML document as a config file. */
export function parseConfig(
  path: string,
  doc: Record<string, unknown>,
): ConfigFile {
  const bad = (what: string) =>
    new UsageError(
      "config_invalid",
      `The config file "${path}" has an invalid ${what}. Fix or remove it.`,
    );
  const config: ConfigFile = { path, profiles: {} };
  for (const [key, value] of Object.entries(doc)) {
    if (key === "default_profile") {
      if (typeof value !== "string") throw bad(`"default_profile"`);
      config.defaultProfile = value;
    } else if (key === "profiles") {
      if (!isRecord(value)) throw bad(`"profiles" table`);
      for (const [name, table] of Object.entries(value)) {
        if (!isRecord(table)) throw bad(`profile "${name}"`);
        config.profiles[name] = parseProfile(name, table, bad);
      }
    } else {
      throw bad(`key "${key}" (known: default_profile, profiles)`);
    }
  }
  return config;
}

function parseProfile(
  name: string,
  table: Record<string, unknown>,
  bad: (what: string) => UsageError,
): ProfileConfig {
  const profile: ProfileConfig = {};
  for (const [key, value] of Object.entries(table)) {
    const field = PROFILE_KEYS[key];
    if (!field) {
      throw bad(
        `key "${key}" in profile "${name}" (known: ${
          Object.keys(PROFILE_KEYS).join(", ")
        })`,
      );
    }
    if (field === "oob") {
      if (typeof value !== "boolean") throw bad(`"oob" in profile "${name}"`);
      profile.oob = value;
    } else if (field === "scopes") {
      if (typeof value === "string") profile.scopes = splitScopes([value]);
      else if (
        Array.isArray(value) && value.every((v) => typeof v === "string")
      ) profile.scopes = splitScopes(value);
      else throw bad(`"scopes" in profile "${name}"`);
    } else {
      if (typeof value !== "string") throw bad(`"${key}" in profile "${name}"`);
      profile[field as "issuer"] = value;
    }
  }
  return profile;
}

/** Splits scope strings on spaces and commas, dropping empties and repeats. */
export function splitScopes(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const scope of value.split(/[\s,]+/)) {
      if (scope && !out.includes(scope)) out.push(scope);
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
