/**
 * Settings resolution. Each setting takes the first value found in: the
 * command-line flag, the environment, the profile in the config file, the
 * build-time default.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type Env, isSecureUrl } from "../platform/env.ts";
import {
  FLOW_NAMES,
  type FlowName,
  STORAGE_MODES,
  type StorageMode,
} from "./modes.ts";
import type { BuildInfo } from "./build_info.ts";
import { type ConfigFile, splitScopes } from "./config_file.ts";
import {
  parseProviderSetting,
  PROVIDER_SETTING_SPECS,
  type ProviderSettings,
  type RawSetting,
} from "./provider_settings.ts";
import { PRESETS } from "./presets.ts";

/**
 * Scopes the protocol adds by itself (`openid` for OpenID Connect,
 * `offline_access` for a refresh token): never part of the configured
 * scopes, and ignored when stored credentials are compared with them.
 */
export const PROTOCOL_SCOPES = ["openid", "offline_access"] as const;

/** The scopes of a list that are not the protocol's own (see above). */
export function ownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) =>
    !(PROTOCOL_SCOPES as readonly string[]).includes(s)
  );
}

/**
 * Where a resolved setting came from; "resource" for a profile chosen by
 * the resource a command is about.
 */
export type SettingSource =
  | "flag"
  | "env"
  | "profile"
  | "build"
  | "default"
  | "resource";

/**
 * The resource a command is about, which chooses the profile when none is
 * named: the profile whose resource it is (`exact`: `login --resource`,
 * `token --resource`), or whose resource it lies under (`covers`: `api
 * URL`). With `create`, a login to a resource no profile has, and with no
 * issuer given by flag, environment or build, gets a new profile named
 * after the resource's host.
 */
export interface ResourceTarget {
  url: string;
  match: "exact" | "covers";
  create?: boolean;
}

/** Settings given on the command line; undefined means "not given". */
export interface SettingFlags {
  profile?: string;
  issuer?: string;
  clientId?: string;
  scopes?: string[];
  audience?: string;
  ports?: string;
  flow?: string;
  storage?: string;
  /** Provider settings given as flags, by key, unchecked. */
  provider?: Partial<Record<keyof ProviderSettings, RawSetting>>;
  /** The resource the command is about (see {@linkcode ResourceTarget}). */
  resourceTarget?: ResourceTarget;
}

/** The settings a command runs with. */
export interface Settings {
  /**
   * The program's name, as its users type it (`authctl`, a branded
   * `acmectl`, or the name a program embedding authctl gives): every hint
   * that names a command names this one.
   */
  appName: string;
  /** Profile name. */
  profile: string;
  /** Issuer URL, or "" when none is configured anywhere. */
  issuer: string;
  /** Public client ID, or "" when none is configured anywhere. */
  clientId: string;
  /**
   * Scopes to request besides those the protocol adds (`openid`,
   * `offline_access`; see {@linkcode PROTOCOL_SCOPES}).
   */
  scopes: string[];
  /** Audience to request, or "". */
  audience: string;
  /**
   * Callback ports, in the order tried (parsed once from the port
   * specification); `[0]` for an ephemeral port.
   */
  ports: number[];
  /** Paste-back uses the out-of-band redirect URI (profile `oob = true`). */
  oob: boolean;
  /** Login flow: auto, loopback, device or paste. */
  flow: FlowName;
  /** Where new credentials go. */
  storage: StorageMode;
  /** Hosts `git-credential` answers for (`AUTHCTL_GIT_HOSTS`, profile `git_hosts`). */
  gitHosts: string[];
  /** `AUTHCTL_TOKEN`: a token to use for this process only, or undefined. */
  envToken?: string;
  /** The provider's kind, endpoints, client authentication and the like. */
  provider: ProviderSettings;
  /**
   * The provider settings given as flags, as given: what a login must be
   * given again to obtain credentials for this command (its hint).
   */
  providerFlags: Partial<Record<keyof ProviderSettings, RawSetting>>;
  /** The profiles config.toml defines. */
  configuredProfiles: string[];
  /** Where each setting came from. */
  sources: Record<
    Exclude<keyof SettingFlags, "provider" | "resourceTarget">,
    SettingSource
  >;
}

/** Everything settings are resolved from. */
export interface SettingInputs {
  flags: SettingFlags;
  env: Env;
  config: ConfigFile;
  build: BuildInfo;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a profile name: letters, digits, ".", "_", "-", up to 64. */
export function validateProfileName(profile: string): string {
  if (!PROFILE_NAME.test(profile)) {
    throw new UsageError(
      "invalid_profile",
      `Invalid profile name "${profile}". Use letters, digits, ".", "_" and "-" (up to 64 characters).`,
    );
  }
  return profile;
}

/** Resolves every setting; validates the profile name and the issuer URL. */
export function resolveSettings(inputs: SettingInputs): Settings {
  const { flags, env, config, build } = inputs;
  const target = flags.resourceTarget;
  const issuerGiven = Boolean(
    flags.issuer || env.get("AUTHCTL_ISSUER") || build.issuer,
  );
  const profileHit = first<string>([
    ["flag", flags.profile],
    ["env", env.get("AUTHCTL_PROFILE")],
    [
      "resource",
      target
        ? profileForResource(config, target) ??
          (target.create && !issuerGiven
            ? newProfileName(config, target.url)
            : undefined)
        : undefined,
    ],
    ["profile", config.defaultProfile],
    ["default", "default"],
  ]);
  const profile = validateProfileName(profileHit.value);
  const fromProfile = config.profiles[profile] ?? {};
  const pick = (
    flag: string | undefined,
    envName: string,
    prof: string | undefined,
    built: string,
  ) =>
    first<string>([
      ["flag", flag],
      ["env", env.get(envName)],
      ["profile", prof],
      ["build", built],
      ["default", ""],
    ]);
  const issuer = pick(
    flags.issuer,
    "AUTHCTL_ISSUER",
    fromProfile.issuer,
    build.issuer,
  );
  const clientId = pick(
    flags.clientId,
    "AUTHCTL_CLIENT_ID",
    fromProfile.clientId,
    build.clientId,
  );
  const audience = pick(
    flags.audience,
    "AUTHCTL_AUDIENCE",
    fromProfile.audience,
    build.audience,
  );
  const ports = pick(
    flags.ports,
    "AUTHCTL_PORT",
    fromProfile.ports,
    build.ports,
  );
  const flow = pick(flags.flow, "AUTHCTL_FLOW", fromProfile.flow, "");
  const storage = pick(
    flags.storage,
    "AUTHCTL_STORAGE",
    fromProfile.storage,
    "",
  );
  const named = (
    what: string,
    hit: { value: string; source: SettingSource },
    allowed: readonly string[],
    flag: string,
    envName: string,
  ) => {
    if (!hit.value || allowed.includes(hit.value)) return;
    throw new UsageError(
      `invalid_${what}`,
      `Invalid ${what} "${hit.value}" (from ${
        describeSource(hit.source, { flag, env: envName, profile, key: what })
      }). Use one of: ${allowed.join(", ")}.`,
    );
  };
  named("storage", storage, STORAGE_MODES, "--storage", "AUTHCTL_STORAGE");
  named("flow", flow, FLOW_NAMES, "--flow", "AUTHCTL_FLOW");
  const envScopes = env.get("AUTHCTL_SCOPES");
  const scopes = first<string[]>([
    ["flag", flags.scopes?.length ? splitScopes(flags.scopes) : undefined],
    ["env", envScopes ? splitScopes([envScopes]) : undefined],
    ["profile", fromProfile.scopes],
    ["build", build.scopes.length ? splitScopes(build.scopes) : undefined],
    ["default", []],
  ]);
  const provider = resolveProviderSettings(inputs, fromProfile.provider ?? {});
  // A known provider names its own issuer (github.com, accounts.google.com…).
  if (!issuer.value && provider.provider) {
    issuer.value = PRESETS[provider.provider].defaultIssuer ?? "";
  }
  if (issuer.value) validateIssuer(issuer.value);
  return {
    appName: build.name,
    profile,
    issuer: issuer.value,
    clientId: clientId.value,
    scopes: ownScopes(splitScopes(scopes.value)),
    audience: audience.value,
    ports: parsePorts(
      ports.value,
      describeSource(ports.source, {
        flag: "--port",
        env: "AUTHCTL_PORT",
        profile,
        key: "ports",
      }),
    ),
    oob: fromProfile.oob ?? false,
    flow: (flow.value || "auto") as FlowName,
    storage: (storage.value || "auto") as StorageMode,
    gitHosts: env.get("AUTHCTL_GIT_HOSTS")
      ? splitScopes([env.get("AUTHCTL_GIT_HOSTS")!])
      : fromProfile.gitHosts ?? [],
    envToken: env.get("AUTHCTL_TOKEN") || undefined,
    provider,
    providerFlags: Object.fromEntries(
      Object.entries(flags.provider ?? {}).filter(([, v]) =>
        v !== undefined && !(Array.isArray(v) && v.length === 0)
      ),
    ),
    configuredProfiles: Object.keys(config.profiles),
    sources: {
      profile: profileHit.source,
      issuer: issuer.source,
      clientId: clientId.source,
      scopes: scopes.source,
      audience: audience.source,
      ports: ports.source,
      flow: flow.source,
      storage: storage.source,
    },
  };
}

/**
 * The configured profile for a resource: the one whose `resource` is the
 * URL (`exact`), or the one whose resource the URL lies under, the most
 * specific first (`covers`). Undefined when none is.
 */
export function profileForResource(
  config: ConfigFile,
  target: Pick<ResourceTarget, "url" | "match">,
): string | undefined {
  const url = asUrl(target.url);
  if (!url) return undefined;
  let best: { name: string; length: number } | undefined;
  for (const [name, profile] of Object.entries(config.profiles)) {
    for (const resource of profile.provider?.resources ?? []) {
      const r = asUrl(resource);
      if (!r) continue;
      const hit = target.match === "exact"
        ? r.href === url.href
        : resourceCovers(r, url);
      if (hit && (!best || r.href.length > best.length)) {
        best = { name, length: r.href.length };
      }
    }
  }
  return best?.name;
}

/**
 * Whether a token for `resource` may be sent to `url`: the same origin, and
 * the resource's path or a path below it.
 */
export function resourceCovers(resource: URL, url: URL): boolean {
  if (resource.origin !== url.origin) return false;
  const base = resource.pathname.replace(/\/$/, "");
  return url.pathname === resource.pathname || url.pathname === base ||
    url.pathname.startsWith(`${base}/`);
}

/**
 * The profile name for a resource no profile has: its host (and port), or,
 * when a profile of that name is another resource's, the host and path.
 */
function newProfileName(
  config: ConfigFile,
  resource: string,
): string | undefined {
  const url = asUrl(resource);
  if (!url) return undefined;
  const clean = (s: string) =>
    s.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/-{2,}/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "").replace(/-+$/, "");
  const bare = url.hostname.replace(/^\[|\]$/g, "");
  const host = clean(
    `${bare.includes(":") ? `ipv6-${bare}` : bare}${
      url.port ? `-${url.port}` : ""
    }`,
  );
  const candidates = [host, clean(`${host}-${url.pathname}`)];
  for (let i = 2; i < 10; i++) candidates.push(`${candidates[1]}-${i}`);
  return candidates.map((c) => c.slice(0, 64)).find((name) =>
    PROFILE_NAME.test(name) && !(name in config.profiles)
  );
}

function asUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Each provider setting from the flag, the environment, the profile (parsed
 * with the config file) or the build, in that order.
 */
function resolveProviderSettings(
  inputs: SettingInputs,
  fromProfile: ProviderSettings,
): ProviderSettings {
  const out: Record<string, unknown> = {};
  for (const spec of PROVIDER_SETTING_SPECS) {
    const flag = spec.flag ? inputs.flags.provider?.[spec.key] : undefined;
    const env = inputs.env.get(spec.env);
    const built = inputs.build.provider?.[spec.key];
    if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) {
      out[spec.key] = parseProviderSetting(spec, flag, `--${spec.flag}`);
    } else if (env !== undefined && env !== "") {
      out[spec.key] = parseProviderSetting(spec, env, spec.env);
    } else if (fromProfile[spec.key] !== undefined) {
      out[spec.key] = fromProfile[spec.key];
    } else if (built !== undefined) {
      out[spec.key] = built;
    }
  }
  return out as ProviderSettings;
}

/**
 * Refuses endpoints given without a provider kind: the default kind,
 * `oidc`, finds its endpoints and signing keys by discovery, so endpoints
 * alone would quietly make a login without `openid`, an ID token or a
 * nonce. A preset (`github`) or `oauth2` says what is meant.
 */
export function requireKindWithEndpoints(settings: ProviderSettings): void {
  if (settings.provider || !settings.authorizationEndpoint) return;
  throw new UsageError(
    "endpoints_without_provider",
    `The authorization and token endpoints are given, but no provider kind: the default, "oidc", finds its endpoints and signing keys by discovery, and does not take endpoints in their place. For a plain OAuth 2.0 server without discovery (Laravel Passport and the like), add --provider oauth2 (provider = "oauth2" in the profile); for an OpenID provider, remove the endpoints.`,
  );
}

/**
 * Checks that an issuer is an absolute https URL (http only on a loopback
 * host) without query or fragment.
 */
export function validateIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch (cause) {
    throw new UsageError(
      "invalid_issuer",
      `Invalid issuer "${issuer}": not a URL. Give the provider's issuer URL, e.g. "https://login.example.com".`,
      { cause },
    );
  }
  if (url.protocol === "http:" && !isSecureUrl(url)) {
    throw new UsageError(
      "insecure_issuer",
      `Refusing the plain-http issuer "${issuer}": only loopback addresses may use http. Use its https URL.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(
      "invalid_issuer",
      `Invalid issuer "${issuer}": it must be an https URL.`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError(
      "invalid_issuer",
      `Invalid issuer "${issuer}": an issuer has no query, fragment or credentials.`,
    );
  }
  return url;
}

/**
 * Where a setting's value came from, in the words a person can act on: the
 * flag, the environment variable, the profile's key in config.toml, or the
 * build.
 */
export function describeSource(
  source: SettingSource,
  names: { flag: string; env: string; profile: string; key: string },
): string {
  switch (source) {
    case "flag":
      return names.flag;
    case "env":
      return names.env;
    case "build":
      return "the build's defaults";
    default:
      return `${names.key} in profile "${names.profile}" of config.toml`;
  }
}

function first<T>(
  candidates: [SettingSource, T | undefined][],
): { value: T; source: SettingSource } {
  const found = candidates.find(([, value], i) =>
    i === candidates.length - 1 || (value !== undefined && value !== "")
  )!;
  return { source: found[0], value: found[1] as T };
}

/**
 * Parses a port specification: "" or "0" (ephemeral), "8765", a list
 * "8765,8770" or a range "8765-8769". `from` names where it was given.
 */
export function parsePorts(spec: string, from?: string): number[] {
  const trimmed = spec.trim();
  if (trimmed === "" || trimmed === "0") return [0];
  const ports: number[] = [];
  const invalid = () =>
    new UsageError(
      "invalid_port",
      `Invalid port specification "${spec}"${
        from ? ` (from ${from})` : ""
      }. Use a port (8765), a list (8765,8770) or a range (8765-8769) between 1 and 65535.`,
    );
  for (const part of trimmed.split(",")) {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(part);
    if (!m) throw invalid();
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || to < from || to - from > 1000) {
      throw invalid();
    }
    for (let p = from; p <= to; p++) if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}
