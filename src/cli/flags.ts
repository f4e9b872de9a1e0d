/**
 * Flag definitions several commands share, in the command-line parser's
 * (`@stricli/core`) terms, and the typed values they parse into. Nothing
 * here loads more than the parser's types: every command's definition stays
 * cheap to import, so `authctl token` pays only for what it runs.
 *
 * @module
 */

import type { CommandContext, FlagParametersForType } from "@stricli/core";
import type { CliDeps } from "./types.ts";
import { STORAGE_MODES, type StorageMode } from "../config/modes.ts";
import {
  PROVIDER_SETTING_SPECS,
  type ProviderFlagSpec,
  type ProviderSettings,
  type ProviderSettingSpec,
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

/** `client-auth` as the parser's property: `clientAuth`. */
type CamelCase<S extends string> = S extends `${infer H}-${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

/** What the flag of setting `S` parses into. */
type FlagValue<S extends ProviderFlagSpec> = S["kind"] extends
  { type: "enum"; values: readonly (infer V)[] } ? V
  : S["kind"] extends { type: "bool" } ? boolean
  : S["kind"] extends { type: "params" | "urls" } ? readonly string[]
  : string;

/**
 * The provider settings' flags (`login`, `profiles add`), typed from the
 * settings table: one property per setting that has a flag.
 */
export type ProviderFlags = {
  readonly [S in ProviderFlagSpec as CamelCase<S["flag"]>]?: FlagValue<S>;
};

/** A flag's name as the parser's property (`client-auth` → `clientAuth`). */
function camelCase(flag: string): string {
  return flag.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** The parser's definition of a setting's flag, from its kind. */
function flagOf(spec: ProviderSettingSpec, brief: string) {
  const kind = spec.kind;
  switch (kind.type) {
    case "enum":
      return { kind: "enum", values: kind.values, brief, optional: true };
    case "bool":
      return {
        kind: "boolean",
        brief: `${brief}; --no-${spec.flag}: never`,
        optional: true,
      };
    case "params":
      return repeatable(brief, "key=value");
    case "urls":
      return repeatable(brief, "uri");
    case "redirect":
      return text(brief, "uri");
    case "url":
      return text(brief, "url");
    default:
      return text(brief, spec.flag ?? spec.key);
  }
}

/**
 * The provider settings' flags, generated from the settings table; with
 * `withEnv`, each names its environment variable too (a command that reads
 * the environment; `profiles add` writes only what it is given).
 */
function describedProviderFlags(
  withEnv: boolean,
): FlagParametersForType<ProviderFlags, CliContext> {
  const flags: Record<string, unknown> = {};
  for (const spec of PROVIDER_SETTING_SPECS) {
    if (!spec.flag) continue;
    flags[camelCase(spec.flag)] = flagOf(
      spec,
      withEnv ? `${spec.brief} (env ${spec.env})` : spec.brief,
    );
  }
  return flags as FlagParametersForType<ProviderFlags, CliContext>;
}

/** The flags of {@linkcode ProviderFlags} (`login`). */
export const providerFlags = describedProviderFlags(true);

/** The same flags for `profiles add`, which reads no environment. */
export const profileProviderFlags = describedProviderFlags(false);

/** The provider flags given, by setting, for the settings' resolution. */
export function providerFlagValues(
  flags: Partial<ProviderFlags>,
): Partial<Record<keyof ProviderSettings, string | string[] | boolean>> {
  const given = flags as Record<string, string | readonly string[] | boolean>;
  const out: Partial<
    Record<keyof ProviderSettings, string | string[] | boolean>
  > = {};
  for (const spec of PROVIDER_SETTING_SPECS) {
    const value = spec.flag ? given[camelCase(spec.flag)] : undefined;
    if (value === undefined) continue;
    out[spec.key] = typeof value === "object" ? [...value] : value;
  }
  return out;
}
