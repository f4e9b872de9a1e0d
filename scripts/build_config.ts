/**
 * The settings a branded build bakes in, read from `AUTHCTL_BUILD_*`
 * variables and validated before anything is built, and the module they are
 * written into (`src/config/build_info.ts` of the build's staging copy).
 *
 * @module
 */

import { validateIssuer } from "../src/config/settings.ts";
import type { BuildInfo } from "../src/config/build_info.ts";
import { splitScopes } from "../src/config/config_file.ts";
import { parsePorts } from "../src/config/settings.ts";
import { SEMVER } from "../src/config/distribution.ts";
import {
  parseProviderSetting,
  PROVIDER_SETTING_SPECS,
  type ProviderSettings,
} from "../src/config/provider_settings.ts";

export {
  artifactName,
  isTarget,
  type Target,
  TARGETS,
} from "../src/config/distribution.ts";

/** `NAME-VERSION.bundle.js`: the file name of the one-file bundle. */
export function bundleName(info: BuildInfo): string {
  return `${info.name}-${info.version}.bundle.js`;
}

/**
 * What the packages say about themselves (`deno task package`); a build
 * accepts them too, so one set of variables serves both.
 */
export const PACKAGE_VARIABLES = [
  "AUTHCTL_BUILD_DESCRIPTION",
  "AUTHCTL_BUILD_HOMEPAGE",
  "AUTHCTL_BUILD_LICENSE",
  "AUTHCTL_BUILD_MAINTAINER",
  "AUTHCTL_BUILD_PUBLISHER",
] as const;

/** The variables a build reads (besides any that are refused). */
export const BUILD_VARIABLES = [
  "AUTHCTL_BUILD_NAME",
  "AUTHCTL_BUILD_VERSION",
  "AUTHCTL_BUILD_COMMIT",
  "AUTHCTL_BUILD_ISSUER",
  "AUTHCTL_BUILD_CLIENT_ID",
  "AUTHCTL_BUILD_SCOPES",
  "AUTHCTL_BUILD_AUDIENCE",
  "AUTHCTL_BUILD_PORTS",
  ...PROVIDER_SETTING_SPECS.map((spec) => spec.build),
  "AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC",
  "AUTHCTL_BUILD_REPO",
  "AUTHCTL_BUILD_UPDATE_NOTICE",
  ...PACKAGE_VARIABLES,
] as const;

/** Values used when a variable is unset. */
export interface BuildDefaults {
  /** The version in deno.json. */
  version: string;
  /** The checked-out commit, or "". */
  commit: string;
}

/** One or more build settings are wrong; every problem is listed. */
export class BuildConfigError extends Error {
  /** Each problem, one sentence naming the variable, the value and the fix. */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid build settings:\n  - ${problems.join("\n  - ")}`);
    this.name = "BuildConfigError";
    this.problems = problems;
  }
}

const NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$|^[a-z]$/;
const COMMIT = /^[0-9a-f]{40}$/;
// GitHub's rules for owner and repository names.
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
// RFC 6749 §3.3 scope-token and §A.1 client_id (visible characters; no
// space, so the value survives every place it is copied to).
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const VISIBLE = /^[\x21-\x7E]{1,255}$/;
const PRINTABLE = /^[\x20-\x7E]{1,255}$/;

/**
 * Reads and validates the build settings from `vars` (the environment).
 * Throws {@linkcode BuildConfigError} listing every problem at once.
 */
export function readBuildConfig(
  vars: Record<string, string>,
  defaults: BuildDefaults,
): BuildInfo {
  const problems: string[] = [];
  const get = (key: string) => (vars[key] ?? "").trim();
  // An installed-app secret the provider documents as public (Google
  // desktop clients, GitHub OAuth apps) is baked only when the build is told
  // so explicitly; any other secret is refused.
  const publicSecret = get("AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC") === "yes";
  const allowed = (key: string) =>
    key === "AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC" ||
    (key === "AUTHCTL_BUILD_CLIENT_SECRET" && publicSecret);

  for (const key of Object.keys(vars).sort()) {
    if (!key.startsWith("AUTHCTL_BUILD_")) continue;
    if (/SECRET|PASSWORD|PRIVATE_KEY/.test(key) && !allowed(key)) {
      problems.push(
        `${key} is set: a client secret is never baked into a binary. authctl is a public client (RFC 8252 §8.5) and anything inside a downloaded file can be read out of it. Register the client as public (token_endpoint_auth_method "none") and unset ${key}${
          key === "AUTHCTL_BUILD_CLIENT_SECRET"
            ? ". Only when the provider itself documents the secret as not confidential (Google desktop clients, GitHub OAuth apps) may it be baked: then also set AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC=yes"
            : ""
        }.`,
      );
    } else if (!(BUILD_VARIABLES as readonly string[]).includes(key)) {
      problems.push(
        `Unknown build variable ${key}. The build reads: ${
          BUILD_VARIABLES.join(", ")
        }.`,
      );
    }
  }

  const name = get("AUTHCTL_BUILD_NAME") || "authctl";
  if (!NAME.test(name)) {
    problems.push(
      `AUTHCTL_BUILD_NAME "${name}" is not a usable command name. Use 1 to 40 lowercase letters, digits and "-", starting with a letter (e.g. "acmectl").`,
    );
  }
  const version = get("AUTHCTL_BUILD_VERSION") || defaults.version;
  if (!SEMVER.test(version)) {
    problems.push(
      `AUTHCTL_BUILD_VERSION "${version}" is not a semantic version. Use e.g. "1.4.0" (no leading "v").`,
    );
  }
  const commit = get("AUTHCTL_BUILD_COMMIT") || defaults.commit;
  if (commit && !COMMIT.test(commit)) {
    problems.push(
      `AUTHCTL_BUILD_COMMIT "${commit}" is not a full git commit hash. Give the 40 lowercase hex digits of \`git rev-parse HEAD\`.`,
    );
  }

  const issuer = get("AUTHCTL_BUILD_ISSUER");
  if (issuer) {
    try {
      validateIssuer(issuer);
    } catch (err) {
      problems.push(`AUTHCTL_BUILD_ISSUER: ${(err as Error).message}`);
    }
  }
  const clientId = get("AUTHCTL_BUILD_CLIENT_ID");
  if (clientId && !VISIBLE.test(clientId)) {
    problems.push(
      `AUTHCTL_BUILD_CLIENT_ID "${
        escape(clientId)
      }" is not a client ID: use the public client ID your provider issued (visible ASCII, no spaces, at most 255 characters).`,
    );
  }
  if (Boolean(issuer) !== Boolean(clientId)) {
    problems.push(
      `AUTHCTL_BUILD_${
        issuer ? "CLIENT_ID" : "ISSUER"
      } is missing: bake the issuer and the client ID together, or neither (users then give them with --issuer and --client-id).`,
    );
  }

  const scopes = splitScopes([get("AUTHCTL_BUILD_SCOPES")]);
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) {
      problems.push(
        `AUTHCTL_BUILD_SCOPES has an invalid scope "${
          escape(scope)
        }". Separate scopes with spaces or commas; a scope has no quotes or backslashes.`,
      );
    }
  }
  const audience = get("AUTHCTL_BUILD_AUDIENCE");
  if (audience && !PRINTABLE.test(audience)) {
    problems.push(
      `AUTHCTL_BUILD_AUDIENCE "${
        escape(audience)
      }" has control or non-ASCII characters, or is over 255 characters.`,
    );
  }
  const ports = get("AUTHCTL_BUILD_PORTS");
  try {
    parsePorts(ports);
  } catch (err) {
    problems.push(`AUTHCTL_BUILD_PORTS: ${(err as Error).message}`);
  }

  const isPublic = get("AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC");
  if (isPublic && isPublic !== "yes") {
    problems.push(
      `AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC "${
        escape(isPublic)
      }": set it to "yes" only when the provider documents the client secret as public, or unset it.`,
    );
  }
  const provider: Record<string, unknown> = {};
  for (const spec of PROVIDER_SETTING_SPECS) {
    const value = get(spec.build);
    if (!value || (spec.key === "clientSecret" && !publicSecret)) continue;
    try {
      provider[spec.key] = parseProviderSetting(spec, value, spec.build);
    } catch (err) {
      problems.push(`${spec.build}: ${(err as Error).message}`);
    }
  }

  const repo = get("AUTHCTL_BUILD_REPO");
  if (repo && !REPO.test(repo)) {
    problems.push(
      `AUTHCTL_BUILD_REPO "${
        escape(repo)
      }" is not a GitHub repository: give OWNER/NAME, the repository whose releases \`upgrade\` and the update notice read (the release workflow sets it to \${{ github.repository }}).`,
    );
  }
  const notice = get("AUTHCTL_BUILD_UPDATE_NOTICE") || "on";
  if (notice !== "on" && notice !== "off") {
    problems.push(
      `AUTHCTL_BUILD_UPDATE_NOTICE "${
        escape(notice)
      }": set it to "off" to build without the update notice, or leave it unset.`,
    );
  }

  if (problems.length) throw new BuildConfigError(problems);
  return {
    name,
    version,
    commit,
    issuer,
    clientId,
    scopes,
    audience,
    ports,
    provider: provider as ProviderSettings,
    repo,
    updateNotice: notice === "on",
  };
}

/**
 * The build-time defaults module for `info`: the committed
 * `src/config/build_info.ts` (`source`) with its values replaced, so its
 * types and documentation stay in one place.
 */
export function renderBuildInfo(source: string, info: BuildInfo): string {
  const block = /^export const buildInfo: BuildInfo = \{\n[\s\S]*?\n\};\n/m;
  if (!block.test(source)) {
    throw new Error(
      "src/config/build_info.ts no longer has an `export const buildInfo: BuildInfo = {…};` block for the build to replace.",
    );
  }
  const values = [
    "name",
    "version",
    "commit",
    "issuer",
    "clientId",
    "scopes",
    "audience",
    "ports",
    "provider",
    "repo",
    "updateNotice",
  ] as const;
  const body = values.map((key) => `  ${key}: ${JSON.stringify(info[key])},`)
    .join("\n");
  return source.replace(
    block,
    `// Generated by scripts/build.ts; do not edit.\nexport const buildInfo: BuildInfo = {\n${body}\n};\n`,
  );
}

function escape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
