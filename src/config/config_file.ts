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
 * flow = "device"     # auto, loopback, device or paste
 * storage = "file"    # auto, keychain or file
 * oob = false         # paste-back with urn:ietf:wg:oauth:2.0:oob
 * ```
 *
 * @module
 */

import { FLOW_NAMES, STORAGE_MODES } from "./modes.ts";
import { untrusted } from "../platform/ownership.ts";
import { UsageError } from "../errors.ts";
import {
  parseProviderSetting,
  PROVIDER_SETTING_SPECS,
  type ProviderSettings,
  type RawSetting,
} from "./provider_settings.ts";

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
  /** Hosts `git-credential` gives the token to (e.g. "git.acme.example"). */
  gitHosts?: string[];
  /** The provider settings the profile sets (provider, endpoints, …). */
  provider?: ProviderSettings;
}

/** The parsed config file. */
export interface ConfigFile {
  /** The file it came from, for messages. */
  path: string;
  defaultProfile?: string;
  profiles: Record<string, ProfileConfig>;
}

/** TOML key → field, and what the value may be. */
const PROFILE_KEYS: Record<
  string,
  { field: keyof ProfileConfig; allowed?: readonly string[] }
> = {
  issuer: { field: "issuer" },
  client_id: { field: "clientId" },
  scopes: { field: "scopes" },
  audience: { field: "audience" },
  ports: { field: "ports" },
  oob: { field: "oob" },
  flow: { field: "flow", allowed: FLOW_NAMES },
  storage: { field: "storage", allowed: STORAGE_MODES },
  git_hosts: { field: "gitHosts" },
};

/**
 * Reads and validates the config file at `path`. A missing file is an empty
 * configuration; a malformed one is a usage error naming the file, the line
 * and the key.
 */
export async function loadConfigFile(
  path: string,
  options: { posix?: boolean } = {},
): Promise<ConfigFile> {
  // The configuration says where tokens go (token_endpoint…): trusted only
  // as far as the credentials are.
  if (options.posix ?? Deno.build.os !== "windows") requireTrusted(path);
  let text: string;
  try {
    // Synchronous: one small file, on every command's path.
    text = Deno.readTextFileSync(path);
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
    const e = err as { line?: number; message: string };
    throw new UsageError(
      "config_invalid",
      `The config file "${path}" is not valid TOML${
        e.line ? ` (line ${e.line})` : ""
      }: ${e.message.split("\n")[0]}. Fix or remove it.`,
      { cause: err },
    );
  }
  return parseConfig(path, doc, text);
}

/**
 * Refuses a config file, or the directory it is in, that another user owns
 * or can write to: either could point the refresh token at another host.
 */
function requireTrusted(path: string): void {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = cut > 0 ? path.slice(0, cut) : ".";
  for (const target of [dir, path]) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(target);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw new UsageError(
        "config_unreadable",
        `Cannot inspect "${target}": ${(err as Error).message}.`,
        { cause: err },
      );
    }
    const why = untrusted(info);
    if (!why) continue;
    throw new UsageError(
      "insecure_config",
      `Refusing to read settings from "${target}": ${why}, so they could send your tokens elsewhere. ${
        why.startsWith("it belongs")
          ? "Remove it, or set AUTHCTL_CONFIG_DIR to a directory of your own."
          : `Run: chmod go-w "${target}"`
      }`,
    );
  }
}

/**
 * Validates a parsed TOML document as a config file; `text` (the source)
 * lets errors name the line.
 */
export function parseConfig(
  path: string,
  doc: Record<string, unknown>,
  text = "",
): ConfigFile {
  const bad: Bad = (what, table, key, found) => {
    const line = lineOf(text, table, key);
    return new UsageError(
      "config_invalid",
      `The config file "${path}"${
        line ? `, line ${line},` : ""
      } has an invalid ${what}${
        found === NOTHING ? "" : `, but ${describeValue(found)} was found`
      }. Fix or remove it.`,
    );
  };
  const config: ConfigFile = { path, profiles: {} };
  for (const [key, value] of Object.entries(doc)) {
    if (key === "default_profile") {
      if (typeof value !== "string") {
        throw bad(
          `"default_profile": a profile name (a string) was expected`,
          undefined,
          key,
          value,
        );
      }
      config.defaultProfile = value;
    } else if (key === "profiles") {
      if (!isRecord(value)) {
        throw bad(
          `"profiles": a table of profiles was expected`,
          undefined,
          key,
          value,
        );
      }
      for (const [name, table] of Object.entries(value)) {
        if (!isRecord(table)) {
          throw bad(
            `profile "${name}": a table ([profiles.${name}]) was expected`,
            undefined,
            name,
            table,
          );
        }
        config.profiles[name] = parseProfile(name, table, bad, path, text);
      }
    } else {
      throw bad(
        `key "${key}" (known: default_profile, profiles)`,
        undefined,
        key,
        NOTHING,
      );
    }
  }
  return config;
}

function parseProfile(
  name: string,
  table: Record<string, unknown>,
  bad: Bad,
  path: string,
  text: string,
): ProfileConfig {
  const profile: ProfileConfig = {};
  const tableName = `profiles.${name}`;
  for (const [key, value] of Object.entries(table)) {
    const where = `in profile "${name}"`;
    const providerSpec = PROVIDER_SETTING_SPECS.find((p) => p.profile === key);
    if (providerSpec) {
      const line = lineOf(text, tableName, key);
      let parsed;
      try {
        parsed = parseProviderSetting(
          providerSpec,
          value as RawSetting,
          `profile "${name}" of "${path}"${line ? `, line ${line}` : ""}`,
        );
      } catch (err) {
        throw new UsageError(
          "config_invalid",
          `${(err as Error).message} Fix or remove it.`,
          { cause: err },
        );
      }
      profile.provider = { ...profile.provider, [providerSpec.key]: parsed };
      continue;
    }
    const spec = PROFILE_KEYS[key];
    if (!spec) {
      throw bad(
        `key "${key}" ${where} (known: ${
          [
            ...Object.keys(PROFILE_KEYS),
            ...PROVIDER_SETTING_SPECS.map((p) => p.profile),
          ].join(", ")
        })`,
        tableName,
        key,
        NOTHING,
      );
    }
    if (spec.field === "oob") {
      if (typeof value !== "boolean") {
        throw bad(
          `"oob" ${where}: true or false was expected`,
          tableName,
          key,
          value,
        );
      }
      profile.oob = value;
    } else if (spec.field === "scopes" || spec.field === "gitHosts") {
      if (typeof value === "string") profile[spec.field] = splitScopes([value]);
      else if (
        Array.isArray(value) && value.every((v) => typeof v === "string")
      ) profile[spec.field] = splitScopes(value);
      else {
        throw bad(
          `"${key}" ${where}: a list of strings (or one string) was expected`,
          tableName,
          key,
          value,
        );
      }
    } else {
      if (typeof value !== "string") {
        throw bad(
          `"${key}" ${where}: a string was expected`,
          tableName,
          key,
          value,
        );
      }
      if (spec.allowed && !spec.allowed.includes(value)) {
        throw bad(
          `"${key}" ${where}: one of ${
            spec.allowed.map((a) => `"${a}"`).join(", ")
          } was expected`,
          tableName,
          key,
          value,
        );
      }
      profile[spec.field as "issuer"] = value;
    }
  }
  return profile;
}

/** Writes the config file atomically (a temporary file, then a rename). */
export async function saveConfigFile(config: ConfigFile): Promise<void> {
  const { stringify } = await import("smol-toml");
  const doc: Record<string, unknown> = {};
  if (config.defaultProfile) doc.default_profile = config.defaultProfile;
  const profiles: Record<string, Record<string, unknown>> = {};
  for (const [name, p] of Object.entries(config.profiles)) {
    const table: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(PROFILE_KEYS)) {
      const value = p[spec.field];
      if (value !== undefined && value !== "") table[key] = value;
    }
    for (const spec of PROVIDER_SETTING_SPECS) {
      const value = p.provider?.[spec.key];
      if (value !== undefined && value !== "") table[spec.profile] = value;
    }
    profiles[name] = table;
  }
  doc.profiles = profiles;
  const text =
    `# Written by the "profiles" command; edits are kept, comments are not.\n${
      stringify(doc)
    }\n`;
  const dir = config.path.replace(/[\\/][^\\/]*$/, "");
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${config.path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true, mode: 0o600 });
    await Deno.rename(tmp, config.path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new UsageError(
      "config_unwritable",
      `Cannot write the config file "${config.path}": ${
        (err as Error).message
      }.`,
      { cause: err },
    );
  }
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

/** The 1-based line where `key` is set in `[table]` (top level if none). */
function lineOf(
  text: string,
  table: string | undefined,
  key: string,
): number | undefined {
  let current: string | undefined = undefined;
  const lines = text.split("\n");
  const keyPattern = new RegExp(
    `^\\s*(?:"${escape(key)}"|${escape(key)})\\s*=`,
  );
  for (const [i, line] of lines.entries()) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header) {
      current = header[1].replace(/\s*\.\s*/g, ".").replace(/"/g, "");
      if (table === undefined && current === `profiles.${key}`) return i + 1;
      continue;
    }
    if (current === table && keyPattern.test(line)) return i + 1;
  }
  return undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Marks an error about a key itself, not about its value. */
const NOTHING = Symbol("no value");

type Bad = (
  what: string,
  table: string | undefined,
  key: string,
  found: unknown,
) => UsageError;

/** What a TOML value is, for people: `the number 42`, `a list`. */
function describeValue(value: unknown): string {
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number" || typeof value === "bigint") {
    return `the number ${value}`;
  }
  if (typeof value === "boolean") return `the boolean ${value}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Date) return "a date";
  if (isRecord(value)) return "a table";
  return "a value of another kind";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
