/**
 * Flag definitions several commands share, in the command-line parser's
 * (`@stricli/core`) terms, and the typed values they parse into. Nothing
 * here loads more than the parser's types: every command's definition stays
 * cheap to import, so `authctl token` pays only for what it runs.
 *
 * @module
 */

import type { CommandContext } from "@stricli/core";
import type { CliDeps } from "./types.ts";
import { STORAGE_MODES, type StorageMode } from "../config/modes.ts";
import {
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  DPOP_MODES,
  type DpopMode,
  PROVIDER_NAMES,
  PROVIDER_SETTING_SPECS,
  type ProviderName,
  type ProviderSettings,
} from "../config/provider_settings.ts";

/** What a command runs with: the parser's context plus the injected platform. */
export interface CliContext extends CommandContext {
  /** The injected platform. */
  readonly cli: CliDeps;
  /** What the command leaves for `runCli`: its exit code, or its error. */
  readonly outcome: CommandOutcome;
}

/** Where a command leaves the exit code it wants (exec: the program's). */
export interface CommandOutcome {
  exitCode: number;
  /** The error the command failed with, rethrown by `runCli`. */
  error?: unknown;
  /** Arguments to run instead (the `help` command). */
  rerun?: string[];
}

/** The setting flags every command that reaches the provider takes. */
export interface CommonFlags {
  readonly profile?: string;
  readonly issuer?: string;
  readonly clientId?: string;
  readonly scope?: readonly string[];
  readonly audience?: string;
  readonly httpTimeout?: string;
  readonly caFile?: string;
  readonly debug?: boolean;
  readonly storage?: StorageMode;
}

/** An optional flag that takes a string value. */
export function text(brief: string, placeholder: string) {
  return {
    kind: "parsed",
    parse: String,
    brief,
    placeholder,
    optional: true,
  } as const;
}

/** A flag with a string value and a default. */
export function textWithDefault(
  brief: string,
  placeholder: string,
  defaultValue: string,
) {
  return {
    kind: "parsed",
    parse: String,
    brief,
    placeholder,
    default: defaultValue,
  } as const;
}

/** A flag that may be given several times. */
export function repeatable(brief: string, placeholder: string) {
  return {
    kind: "parsed",
    parse: String,
    brief,
    placeholder,
    variadic: true,
    optional: true,
  } as const;
}

/** A required flag with a string value. */
export function requiredText(brief: string, placeholder: string) {
  return { kind: "parsed", parse: String, brief, placeholder } as const;
}

/** A flag without a value. */
export function toggle(brief: string) {
  return {
    kind: "boolean",
    brief,
    optional: true,
    withNegated: false,
  } as const;
}

/** `--storage`. */
export function storageFlag(brief: string) {
  return {
    kind: "enum",
    values: STORAGE_MODES,
    brief,
    optional: true,
  } as const;
}

/** The flags of {@linkcode CommonFlags}. */
export const commonFlags = {
  profile: text("profile to use (env AUTHCTL_PROFILE)", "name"),
  issuer: text("OpenID provider issuer URL (env AUTHCTL_ISSUER)", "url"),
  clientId: text("public OAuth client ID (env AUTHCTL_CLIENT_ID)", "id"),
  scope: repeatable(
    "scope to request, repeatable; openid and offline_access are added as the provider needs (env AUTHCTL_SCOPES)",
    "scope",
  ),
  audience: text("audience to request (env AUTHCTL_AUDIENCE)", "aud"),
  httpTimeout: text(
    "time the provider has to answer: each request, and a refresh as a whole (default 30s; env AUTHCTL_HTTP_TIMEOUT)",
    "duration",
  ),
  caFile: text(
    "PEM file of extra root certificates, for corporate TLS (env AUTHCTL_CA_FILE)",
    "path",
  ),
  debug: toggle(
    "trace every HTTP exchange on stderr, secrets redacted (env AUTHCTL_DEBUG=1)",
  ),
  storage: storageFlag(
    "where credentials go: auto (keychain, else a file), keychain or file (env AUTHCTL_STORAGE)",
  ),
} as const;

/**
 * `--resource` of the commands that hand out a token: the profile logged in
 * to that resource, whose token must be that resource's.
 */
export const resourceFlag = text(
  "the token of the profile logged in to this resource (login --resource); it must be that resource's",
  "url",
);

/** The resource a token command is about, for {@linkcode resourceFlag}. */
export function exactResource(url: string | undefined) {
  return url ? { url, match: "exact" as const } : undefined;
}

/** `--min-ttl` of the commands that hand out a token. */
export const minTtlFlag = textWithDefault(
  "refresh first when the token expires within this many seconds",
  "seconds",
  "60",
);

/**
 * Wraps a command's implementation so that its error reaches `runCli` (and
 * from there `main.ts`, the one place that reports and exits) instead of the
 * parser's own error printing.
 */
export function action<F, A extends unknown[]>(
  run: (this: CliContext, flags: F, ...args: A) => Promise<void> | void,
): (this: CliContext, flags: F, ...args: A) => Promise<void> {
  return async function (this: CliContext, flags: F, ...args: A) {
    try {
      await run.call(this, flags, ...args);
    } catch (err) {
      this.outcome.error = err;
    }
  };
}

/** The provider settings' flags (`login`, `profiles add`). */
export interface ProviderFlags {
  readonly provider?: ProviderName;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly deviceAuthorizationEndpoint?: string;
  readonly revocationEndpoint?: string;
  readonly userinfoEndpoint?: string;
  readonly clientAuth?: ClientAuthMethod;
  readonly offlineAccess?: boolean;
  readonly prompt?: string;
  readonly authParam?: readonly string[];
  readonly redirectUri?: string;
  readonly resource?: readonly string[];
  readonly par?: boolean;
  readonly dpop?: DpopMode;
}

/**
 * The provider settings' flags, each described by its entry in the table;
 * with `withEnv`, naming its environment variable too (a command that
 * reads the environment; `profiles add` writes only what it is given).
 */
function describedProviderFlags(withEnv: boolean) {
  const brief = (key: keyof ProviderSettings) => {
    const spec = PROVIDER_SETTING_SPECS.find((s) => s.key === key)!;
    return withEnv ? `${spec.brief} (env ${spec.env})` : spec.brief;
  };
  return {
    provider: {
      kind: "enum",
      values: PROVIDER_NAMES,
      brief: brief("provider"),
      optional: true,
    },
    authorizationEndpoint: text(brief("authorizationEndpoint"), "url"),
    tokenEndpoint: text(brief("tokenEndpoint"), "url"),
    deviceAuthorizationEndpoint: text(
      brief("deviceAuthorizationEndpoint"),
      "url",
    ),
    revocationEndpoint: text(brief("revocationEndpoint"), "url"),
    userinfoEndpoint: text(brief("userinfoEndpoint"), "url"),
    clientAuth: {
      kind: "enum",
      values: CLIENT_AUTH_METHODS,
      brief: brief("clientAuth"),
      optional: true,
    },
    offlineAccess: {
      kind: "boolean",
      brief: `${brief("offlineAccess")}; --no-offline-access: never`,
      optional: true,
    },
    prompt: text(brief("prompt"), "prompt"),
    authParam: repeatable(brief("authParams"), "key=value"),
    redirectUri: text(brief("redirectUri"), "uri"),
    resource: repeatable(brief("resources"), "uri"),
    par: {
      kind: "boolean",
      brief: `${brief("par")}; --no-par: never`,
      optional: true,
    },
    dpop: {
      kind: "enum",
      values: DPOP_MODES,
      brief: brief("dpop"),
      optional: true,
    },
  } as const;
}

/** The flags of {@linkcode ProviderFlags} (`login`). */
export const providerFlags = describedProviderFlags(true);

/** The same flags for `profiles add`, which reads no environment. */
export const profileProviderFlags = describedProviderFlags(false);

/** The provider flags given, by setting, for the settings' resolution. */
export function providerFlagValues(
  flags: Partial<ProviderFlags>,
): Partial<Record<keyof ProviderSettings, string | string[] | boolean>> {
  const out: Partial<
    Record<keyof ProviderSettings, string | string[] | boolean>
  > = {
    provider: flags.provider,
    authorizationEndpoint: flags.authorizationEndpoint,
    tokenEndpoint: flags.tokenEndpoint,
    deviceAuthorizationEndpoint: flags.deviceAuthorizationEndpoint,
    revocationEndpoint: flags.revocationEndpoint,
    userinfoEndpoint: flags.userinfoEndpoint,
    clientAuth: flags.clientAuth,
    offlineAccess: flags.offlineAccess,
    prompt: flags.prompt,
    authParams: flags.authParam ? [...flags.authParam] : undefined,
    redirectUri: flags.redirectUri,
    resources: flags.resource ? [...flags.resource] : undefined,
    par: flags.par,
    dpop: flags.dpop,
  };
  return Object.fromEntries(
    Object.entries(out).filter(([, v]) => v !== undefined),
  );
}
