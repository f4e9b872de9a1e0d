/**
 * The settings that describe the provider beyond its issuer and client ID:
 * which kind of provider it is, its endpoints when it publishes no
 * discovery, how the client authenticates, how a refresh token is asked
 * for, the redirect URI's shape and the resources tokens are for. Each is
 * declared once here, with its flag, environment variable, profile key and
 * build variable; the config file, the settings, the command line and the
 * release build all read this table.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { checkRedirectUri } from "./redirect.ts";
import { requireSecureUrl } from "../platform/env.ts";

export { PROVIDER_NAMES, type ProviderName } from "./modes.ts";
import {
  EXCHANGE_METHODS,
  type ExchangeMethod,
  PROVIDER_NAMES,
  type ProviderName,
} from "./modes.ts";

/** `client_auth`: how the client authenticates at the token endpoint. */
export type ClientAuthMethod =
  | "none"
  | "client_secret_post"
  | "client_secret_basic"
  | "private_key_jwt";

/** The values of {@linkcode ClientAuthMethod}. */
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  "none",
  "client_secret_post",
  "client_secret_basic",
  "private_key_jwt",
];

/**
 * Authorization-request parameters that `auth_params` cannot set: the
 * protocol's own, which authctl chooses (and checks) itself.
 */
export const PROTOCOL_PARAMETERS = [
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "redirect_uri",
  "client_id",
  "response_type",
  "scope",
  "request_uri",
  "resource",
] as const;

/** The provider settings, as resolved (absent: not configured anywhere). */
export interface ProviderSettings {
  /** Kind of provider, or a known provider (default `oidc`). */
  provider?: ProviderName;
  /** RFC 8414 `authorization_endpoint`. */
  authorizationEndpoint?: string;
  /** RFC 8414 `token_endpoint`. */
  tokenEndpoint?: string;
  /** RFC 8628 `device_authorization_endpoint`. */
  deviceAuthorizationEndpoint?: string;
  /** RFC 7009 `revocation_endpoint`. */
  revocationEndpoint?: string;
  /** Where who logged in is read (`userinfo_endpoint`, or an API's profile). */
  userinfoEndpoint?: string;
  /** How the client authenticates at the token endpoint. */
  clientAuth?: ClientAuthMethod;
  /**
   * An installed-app secret the provider documents as not confidential
   * (Google desktop clients, GitHub OAuth apps). Never from a flag.
   */
  clientSecret?: string;
  /**
   * A Client ID Metadata Document's https URL, used as the client ID where
   * the provider advertises `client_id_metadata_document_supported` and no
   * client ID is configured.
   */
  clientIdMetadataDocument?: string;
  /** Ask for `offline_access` (default: when the metadata lists it). */
  offlineAccess?: boolean;
  /** The `prompt` parameter, sent only when set. */
  prompt?: string;
  /** Extra authorization-request parameters (`access_type=offline`). */
  authParams?: Record<string, string>;
  /** The loopback redirect URI's shape (host, path, optional port). */
  redirectUri?: string;
  /** RFC 8707 resource indicators. */
  resources?: string[];
  /**
   * Push authorization requests (RFC 9126); unset: when the metadata
   * requires it.
   */
  par?: boolean;
  /**
   * Bind tokens to a key (RFC 9449): `never` (the default: a bound token
   * cannot be handed to kubectl or git), `auto` (when the provider supports
   * it) or `always`.
   */
  dpop?: DpopMode;
  /**
   * Where a CI job's OIDC token comes from (`github`, `gitlab`, `circleci`,
   * `buildkite`, `azure-pipelines`, `bitbucket`, `file:PATH`, `env:NAME`,
   * `auto`): `login` exchanges it at the provider instead of asking a person.
   */
  federated?: string;
  /** The audience to ask the CI for, where the job may choose it. */
  federatedAudience?: string;
  /** How the provider takes the CI token (default: the preset's). */
  exchange?: ExchangeMethod;
  /** RFC 8693 `subject_token_type` (default `…:token-type:jwt`). */
  subjectTokenType?: string;
  /** RFC 8693 `requested_token_type`, sent when set. */
  requestedTokenType?: string;
  /**
   * A PEM (PKCS #8) or JWK file with the private key that signs the
   * client's assertions (`client_auth = "private_key_jwt"`).
   */
  clientKeyFile?: string;
}

/** `dpop`: when tokens are bound to a key the CLI holds. */
export type DpopMode = "never" | "auto" | "always";

/** The values of {@linkcode DpopMode}. */
export const DPOP_MODES: readonly DpopMode[] = ["never", "auto", "always"];

/** How a value is written and checked. */
type Kind =
  | { type: "enum"; values: readonly string[] }
  | { type: "url" }
  | { type: "redirect" }
  | { type: "text" }
  | { type: "secret" }
  | { type: "bool" }
  | { type: "params" }
  | { type: "urls" };

/** One provider setting and its names in every place it can be given. */
export interface ProviderSettingSpec {
  key: keyof ProviderSettings;
  /** The flag (`--token-endpoint`), or undefined for the client secret. */
  flag?: string;
  /** `AUTHCTL_…`. */
  env: string;
  /** The key in a profile of `config.toml`. */
  profile: string;
  /** `AUTHCTL_BUILD_…`. */
  build: string;
  kind: Kind;
  /** One line for `--help`. */
  brief: string;
}

/** `token_endpoint` as a flag's name: `token-endpoint`. */
type Kebab<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}-${Kebab<T>}`
  : S;

function endpoint<
  const K extends keyof ProviderSettings,
  const F extends string,
>(
  key: K,
  field: F,
  what: string,
) {
  return {
    key,
    flag: field.replaceAll("_", "-") as Kebab<F>,
    env: `AUTHCTL_${field.toUpperCase()}`,
    profile: field,
    build: `AUTHCTL_BUILD_${field.toUpperCase()}`,
    kind: { type: "url" } as const,
    brief:
      `${what} (RFC 8414 ${field}); with the authorization and token endpoints given, no discovery`,
  };
}

/**
 * Every provider setting, once: its names as a flag, a variable, a profile
 * key and a build setting, how it is checked, and its help line. The CLI's
 * provider flags (definitions and types) are generated from it.
 */
const SETTINGS_TABLE = [
  {
    key: "provider",
    flag: "provider",
    env: "AUTHCTL_PROVIDER",
    profile: "provider",
    build: "AUTHCTL_BUILD_PROVIDER",
    kind: { type: "enum", values: PROVIDER_NAMES },
    brief:
      "kind of provider: oidc (the default), oauth2 (no OpenID Connect), or github, google, microsoft with their presets",
  },
  endpoint(
    "authorizationEndpoint",
    "authorization_endpoint",
    "authorization endpoint",
  ),
  endpoint("tokenEndpoint", "token_endpoint", "token endpoint"),
  endpoint(
    "deviceAuthorizationEndpoint",
    "device_authorization_endpoint",
    "device authorization endpoint",
  ),
  endpoint("revocationEndpoint", "revocation_endpoint", "revocation endpoint"),
  endpoint(
    "userinfoEndpoint",
    "userinfo_endpoint",
    "where who logged in is read: userinfo, or an API's profile route",
  ),
  {
    key: "clientAuth",
    flag: "client-auth",
    env: "AUTHCTL_CLIENT_AUTH",
    profile: "client_auth",
    build: "AUTHCTL_BUILD_CLIENT_AUTH",
    kind: { type: "enum", values: CLIENT_AUTH_METHODS },
    brief:
      "client authentication: none (a public client, the default), client_secret_post or client_secret_basic",
  },
  {
    key: "clientSecret",
    env: "AUTHCTL_CLIENT_SECRET",
    profile: "client_secret",
    build: "AUTHCTL_BUILD_CLIENT_SECRET",
    kind: { type: "secret" },
    brief: "an installed-app secret the provider documents as public",
  },
  {
    key: "clientIdMetadataDocument",
    env: "AUTHCTL_CLIENT_ID_METADATA_DOCUMENT",
    profile: "client_id_metadata_document",
    build: "AUTHCTL_BUILD_CLIENT_ID_METADATA_DOCUMENT",
    kind: { type: "url" },
    brief:
      "the https URL of a Client ID Metadata Document, the client ID where the provider accepts one",
  },
  {
    key: "offlineAccess",
    flag: "offline-access",
    env: "AUTHCTL_OFFLINE_ACCESS",
    profile: "offline_access",
    build: "AUTHCTL_BUILD_OFFLINE_ACCESS",
    kind: { type: "bool" },
    brief:
      "ask for the offline_access scope (default: when the provider's metadata lists it)",
  },
  {
    key: "prompt",
    flag: "prompt",
    env: "AUTHCTL_PROMPT",
    profile: "prompt",
    build: "AUTHCTL_BUILD_PROMPT",
    kind: { type: "text" },
    brief: "the prompt parameter, e.g. consent (default: none is sent)",
  },
  {
    key: "authParams",
    flag: "auth-param",
    env: "AUTHCTL_AUTH_PARAMS",
    profile: "auth_params",
    build: "AUTHCTL_BUILD_AUTH_PARAMS",
    kind: { type: "params" },
    brief:
      "extra authorization-request parameter KEY=VALUE, repeatable (e.g. access_type=offline)",
  },
  {
    key: "redirectUri",
    flag: "redirect-uri",
    env: "AUTHCTL_REDIRECT_URI",
    profile: "redirect_uri",
    build: "AUTHCTL_BUILD_REDIRECT_URI",
    kind: { type: "redirect" },
    brief:
      "loopback redirect URI: host 127.0.0.1 (default), [::1] or localhost, any path, a fixed port or none",
  },
  {
    key: "resources",
    flag: "resource",
    env: "AUTHCTL_RESOURCE",
    profile: "resource",
    build: "AUTHCTL_BUILD_RESOURCE",
    kind: { type: "urls" },
    brief:
      "RFC 8707 resource the tokens are for, repeatable; with no issuer, login asks the resource where to log in",
  },
  {
    key: "par",
    flag: "par",
    env: "AUTHCTL_PAR",
    profile: "par",
    build: "AUTHCTL_BUILD_PAR",
    kind: { type: "bool" },
    brief:
      "push the authorization request first (RFC 9126); default: when the provider requires it",
  },
  {
    key: "dpop",
    flag: "dpop",
    env: "AUTHCTL_DPOP",
    profile: "dpop",
    build: "AUTHCTL_BUILD_DPOP",
    kind: { type: "enum", values: DPOP_MODES },
    brief:
      "bind tokens to a key (DPoP, RFC 9449): never (the default), auto (when the provider supports it) or always",
  },
  {
    key: "federated",
    flag: "federated",
    env: "AUTHCTL_FEDERATED",
    profile: "federated",
    build: "AUTHCTL_BUILD_FEDERATED",
    kind: { type: "text" },
    brief:
      "log in with the CI job's own OIDC token, no stored secret: github, gitlab, circleci, buildkite, azure-pipelines, bitbucket, file:PATH, env:NAME or auto",
  },
  {
    key: "federatedAudience",
    flag: "federated-audience",
    env: "AUTHCTL_FEDERATED_AUDIENCE",
    profile: "federated_audience",
    build: "AUTHCTL_BUILD_FEDERATED_AUDIENCE",
    kind: { type: "text" },
    brief:
      "the audience to ask the CI for, where the job chooses it (GitHub, Buildkite, Azure Pipelines)",
  },
  {
    key: "exchange",
    flag: "exchange",
    env: "AUTHCTL_EXCHANGE",
    profile: "exchange",
    build: "AUTHCTL_BUILD_EXCHANGE",
    kind: { type: "enum", values: EXCHANGE_METHODS },
    brief:
      "how the provider takes the CI token: token-exchange (RFC 8693), client-assertion or jwt-bearer (RFC 7523); default: the provider's",
  },
  {
    key: "subjectTokenType",
    flag: "subject-token-type",
    env: "AUTHCTL_SUBJECT_TOKEN_TYPE",
    profile: "subject_token_type",
    build: "AUTHCTL_BUILD_SUBJECT_TOKEN_TYPE",
    kind: { type: "text" },
    brief:
      "the CI token's type in a token exchange (default urn:ietf:params:oauth:token-type:jwt)",
  },
  {
    key: "requestedTokenType",
    flag: "requested-token-type",
    env: "AUTHCTL_REQUESTED_TOKEN_TYPE",
    profile: "requested_token_type",
    build: "AUTHCTL_BUILD_REQUESTED_TOKEN_TYPE",
    kind: { type: "text" },
    brief: "the token type to ask for in a token exchange (sent when set)",
  },
  {
    key: "clientKeyFile",
    env: "AUTHCTL_CLIENT_KEY_FILE",
    profile: "client_key_file",
    build: "AUTHCTL_BUILD_CLIENT_KEY_FILE",
    kind: { type: "text" },
    brief:
      "a PEM (PKCS #8) or JWK file with the key that signs the client's assertions (client_auth private_key_jwt)",
  },
] as const satisfies readonly ProviderSettingSpec[];

/** Every provider setting (see the table above). */
export const PROVIDER_SETTING_SPECS: readonly ProviderSettingSpec[] =
  SETTINGS_TABLE;

/** The entries of the settings that have a flag, with their literal types. */
export type ProviderFlagSpec = Extract<
  typeof SETTINGS_TABLE[number],
  { flag: string }
>;

/** The raw value of a setting from one place, before it is checked. */
export type RawSetting = string | string[] | boolean | Record<string, unknown>;

/**
 * Checks and converts one setting's raw value; `from` names where it came
 * from, for the message.
 */
export function parseProviderSetting(
  spec: ProviderSettingSpec,
  raw: RawSetting,
  from: string,
): ProviderSettings[keyof ProviderSettings] {
  const name = spec.profile;
  const bad = (what: string) =>
    new UsageError(
      "invalid_setting",
      `Invalid ${name} ${what} (from ${from}).`,
    );
  const one = (): string => {
    if (typeof raw === "string") return raw.trim();
    if (Array.isArray(raw) && raw.length === 1) return String(raw[0]).trim();
    throw bad("value: one string was expected");
  };
  switch (spec.kind.type) {
    case "enum": {
      const value = one();
      if (!spec.kind.values.includes(value)) {
        throw bad(
          `"${value}": use one of ${spec.kind.values.join(", ")}`,
        );
      }
      return value as ProviderName;
    }
    case "url":
      return checkEndpoint(one(), name, from);
    case "redirect":
      return checkRedirectUri(one(), from);
    case "text":
      return one();
    case "secret": {
      const value = one();
      // Never quoted back: it is a secret, however public.
      if (!/^[\x21-\x7E]{1,512}$/.test(value)) {
        throw bad("value: visible ASCII without spaces was expected");
      }
      return value;
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      const value = one().toLowerCase();
      if (["true", "yes", "1", "on"].includes(value)) return true;
      if (["false", "no", "0", "off"].includes(value)) return false;
      throw bad(`"${value}": use true or false`);
    }
    case "params":
      return checkParams(raw, name, from);
    case "urls": {
      const values = typeof raw === "string"
        ? raw.split(/[\s,]+/).filter(Boolean)
        : Array.isArray(raw)
        ? raw.map(String)
        : undefined;
      if (!values) throw bad("value: a URL or a list of URLs was expected");
      return values.map((v) => checkResource(v, from));
    }
  }
}

/** Checks and converts raw values given as flags (`profiles add`). */
export function parseProviderFlags(
  raw: Partial<Record<keyof ProviderSettings, RawSetting>>,
): ProviderSettings {
  const out: Record<string, unknown> = {};
  for (const spec of PROVIDER_SETTING_SPECS) {
    const value = raw[spec.key];
    if (value === undefined) continue;
    out[spec.key] = parseProviderSetting(spec, value, `--${spec.flag}`);
  }
  return out as ProviderSettings;
}

/** An endpoint URL: https, or http on a loopback address. */
export function checkEndpoint(value: string, name: string, from: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      "invalid_endpoint",
      `Invalid ${name} "${value}" (from ${from}): not a URL.`,
    );
  }
  requireSecureUrl(url, () =>
    new UsageError(
      "insecure_endpoint",
      `Refusing the ${name} "${value}" (from ${from}): use https (http only on loopback addresses).`,
    ));
  return value;
}

function checkResource(value: string, from: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(
      "invalid_resource",
      `Invalid resource "${value}" (from ${from}): a resource is an absolute URI.`,
    );
  }
  if (url.hash) {
    throw new UsageError(
      "invalid_resource",
      `Invalid resource "${value}" (from ${from}): a resource has no fragment (RFC 8707 §2).`,
    );
  }
  return value;
}

function checkParams(
  raw: RawSetting,
  name: string,
  from: string,
): Record<string, string> {
  const pairs: [string, string][] = [];
  if (typeof raw === "string" || Array.isArray(raw)) {
    const items = typeof raw === "string"
      ? raw.split("&").filter(Boolean)
      : raw.map(String);
    for (const item of items) {
      const i = item.indexOf("=");
      if (i <= 0) {
        throw new UsageError(
          "invalid_auth_param",
          `Invalid ${name} "${item}" (from ${from}): give KEY=VALUE, e.g. access_type=offline.`,
        );
      }
      pairs.push([item.slice(0, i).trim(), item.slice(i + 1)]);
    }
  } else if (typeof raw === "object" && raw !== null) {
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== "string") {
        throw new UsageError(
          "invalid_auth_param",
          `Invalid ${name} "${k}" (from ${from}): a string value was expected.`,
        );
      }
      pairs.push([k, v]);
    }
  } else {
    throw new UsageError(
      "invalid_auth_param",
      `Invalid ${name} (from ${from}): a table of strings was expected.`,
    );
  }
  for (const [key] of pairs) {
    if ((PROTOCOL_PARAMETERS as readonly string[]).includes(key)) {
      throw new UsageError(
        "protocol_parameter",
        `${name} cannot set "${key}" (from ${from}): authctl sets the protocol's own parameters (${
          PROTOCOL_PARAMETERS.join(", ")
        }) itself.${key === "scope" ? " Give scopes with --scope." : ""}${
          key === "resource" ? " Give resources with --resource." : ""
        }`,
      );
    }
  }
  return Object.fromEntries(pairs);
}
