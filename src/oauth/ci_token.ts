/**
 * A CI job's own OIDC token, obtained the way each CI documents it
 * (`../shared/PROVIDERS.md`, "CI jobs"): GitHub's token service, GitLab's
 * `id_tokens` variable, CircleCI's and Bitbucket's variables, Buildkite's
 * agent, Azure Pipelines' POST, a (rotating) file, any variable. The token
 * is a secret: it is returned, never printed, and goes into no argv and no
 * child's environment.
 *
 * @module
 */

import * as jose from "jose";
import { NotLoggedInError, ProviderError, UsageError } from "../errors.ts";
import type { Env } from "../platform/env.ts";
import type { CommandCapture } from "../platform/process.ts";
import { toAuthctlError } from "./failure.ts";
import type { Http } from "./http.ts";

/** The CIs whose contract authctl follows, by `--federated` name. */
export const CI_SOURCES = [
  "github",
  "gitlab",
  "circleci",
  "buildkite",
  "azure-pipelines",
  "bitbucket",
] as const;

/** A CI's name, as `--federated` takes it. */
export type CiName = typeof CI_SOURCES[number];

/** The people's names of the CIs, for messages. */
const CI_NAMES: Record<CiName, string> = {
  github: "GitHub Actions",
  gitlab: "GitLab CI",
  circleci: "CircleCI",
  buildkite: "Buildkite",
  "azure-pipelines": "Azure Pipelines",
  bitbucket: "Bitbucket Pipelines",
};

/** A CI token, with where it came from and what it says. */
export interface CiToken {
  /** The JWT: a secret. */
  token: string;
  /** The source it came from (`github`, `file:/var/run/…`), never `auto`. */
  source: string;
  /** Its claims, decoded (not verified: the provider verifies them). */
  claims: jose.JWTPayload;
}

/** What obtaining a CI token needs. */
export interface CiTokenContext {
  /** The job's environment (the build's own variables branded). */
  env: Env;
  /** The HTTP client for GitHub's and Azure Pipelines' token services. */
  http: Http;
  /** Runs Buildkite's agent. */
  capture: CommandCapture;
  /** The audience to ask for, where the CI lets the job choose. */
  audience?: string;
  /** The time now, in milliseconds (a token past its `exp` is refused). */
  now: number;
  /** Return a token past its `exp` too (to show its claims). */
  allowExpired?: boolean;
}

/**
 * The CI this job runs in, from the variables each CI sets, or a token file
 * a platform names (Kubernetes workload identity); undefined elsewhere.
 */
export function detectCi(env: Env): string | undefined {
  if (env.get("GITHUB_ACTIONS") === "true") return "github";
  if (env.get("GITLAB_CI")) return "gitlab";
  if (env.get("CIRCLECI")) return "circleci";
  if (env.get("BUILDKITE")) return "buildkite";
  if (env.get("TF_BUILD")) return "azure-pipelines";
  if (env.get("BITBUCKET_BUILD_NUMBER")) return "bitbucket";
  for (
    const name of ["AZURE_FEDERATED_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE"]
  ) {
    const path = env.get(name);
    if (path) return `file:${path}`;
  }
  return undefined;
}

/** The people's name of a source, for messages. */
export function describeCiSource(source: string): string {
  return CI_NAMES[source as CiName] ??
    (source.startsWith("file:")
      ? `the token file "${source.slice(5)}"`
      : `the variable ${source.slice(4)}`);
}

/**
 * Checks a `--federated` value: a CI's name, `file:PATH`, `env:NAME` or
 * `auto`. `from` names where it was given.
 */
export function checkCiSource(source: string, from: string): string {
  if (
    (CI_SOURCES as readonly string[]).includes(source) || source === "auto" ||
    /^file:.+/.test(source) || /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(source) ||
    /^azure-pipelines:[^\s]+$/.test(source)
  ) {
    return source;
  }
  throw new UsageError(
    "invalid_federated",
    `Invalid federated source "${source}" (from ${from}). Use one of: ${
      CI_SOURCES.join(", ")
    }, file:PATH, env:NAME or auto.`,
  );
}

/**
 * Obtains the job's OIDC token from `source` (resolving `auto` first), and
 * refuses one that is not a JWT or whose `exp` has passed.
 */
export async function fetchCiToken(
  source: string,
  context: CiTokenContext,
): Promise<CiToken> {
  const resolved = source === "auto" ? detectCi(context.env) : source;
  if (!resolved) {
    throw new UsageError(
      "no_ci_detected",
      `--federated auto found no CI here: none of the variables GitHub Actions, GitLab CI, CircleCI, Buildkite, Azure Pipelines or Bitbucket Pipelines set, and no AZURE_FEDERATED_TOKEN_FILE or AWS_WEB_IDENTITY_TOKEN_FILE. Name the source: --federated github (or gitlab, circleci, buildkite, azure-pipelines, bitbucket, file:PATH, env:NAME).`,
    );
  }
  const token = (await rawToken(resolved, context)).trim();
  let claims: jose.JWTPayload;
  try {
    claims = jose.decodeJwt(token);
  } catch (cause) {
    throw new ProviderError(
      "ci_token_invalid",
      `What ${
        describeCiSource(resolved)
      } gave is not a JWT, so it is no OIDC token to exchange.`,
      { cause },
    );
  }
  if (
    !context.allowExpired && typeof claims.exp === "number" &&
    claims.exp * 1000 <= context.now
  ) {
    throw new NotLoggedInError(
      "ci_token_expired",
      `The CI token from ${describeCiSource(resolved)} expired at ${
        new Date(claims.exp * 1000).toISOString()
      } (its exp), and it cannot be renewed from there: a variable holds one token for the whole job. Run the step again, or use a source the CI renews (its token service, or a file).`,
    );
  }
  return { token, source: resolved, claims };
}

/** The token as each source gives it. */
async function rawToken(
  source: string,
  context: CiTokenContext,
): Promise<string> {
  const { env } = context;
  if (source.startsWith("env:")) {
    return requireVar(env, source.slice(4), `--federated ${source}`);
  }
  if (source.startsWith("file:")) return await readTokenFile(source.slice(5));
  if (source.startsWith("azure-pipelines:")) {
    return await azurePipelines(context, source.slice(16));
  }
  switch (source as CiName) {
    case "github":
      return await github(context);
    case "gitlab":
      return requireVar(
        env,
        "AUTHCTL_ID_TOKEN",
        "GitLab: define it in the job's id_tokens block (id_tokens: { AUTHCTL_ID_TOKEN: { aud: … } })",
      );
    case "circleci":
      return env.get("CIRCLE_OIDC_TOKEN_V2") ??
        requireVar(
          env,
          "CIRCLE_OIDC_TOKEN",
          "CircleCI sets CIRCLE_OIDC_TOKEN_V2 in jobs that use a context",
        );
    case "bitbucket":
      return requireVar(
        env,
        "BITBUCKET_STEP_OIDC_TOKEN",
        "Bitbucket Pipelines: give the step oidc: true",
      );
    case "buildkite":
      return await buildkite(context);
    case "azure-pipelines":
      return await azurePipelines(
        context,
        env.get("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"),
      );
  }
  throw new UsageError(
    "invalid_federated",
    `Unknown federated source "${source}".`,
  );
}

function requireVar(env: Env, name: string, hint: string): string {
  const value = env.get(name);
  if (!value) {
    throw new UsageError(
      "ci_token_missing",
      `No CI token: ${name} is not set here (${hint}).`,
    );
  }
  return value;
}

/** A token file, read anew each time (the kubelet rotates it). */
async function readTokenFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new UsageError(
      "ci_token_missing",
      `Cannot read the CI token file "${path}": ${
        (cause as Error).message
      }. Check the path (a projected service-account token, AZURE_FEDERATED_TOKEN_FILE, AWS_WEB_IDENTITY_TOKEN_FILE).`,
      { cause },
    );
  }
}

/**
 * GitHub Actions: GET the request URL (it has a query already) with
 * `&audience=`, and the request token as a bearer token; `{"value": JWT}`.
 */
async function github(context: CiTokenContext): Promise<string> {
  const url = context.env.get("ACTIONS_ID_TOKEN_REQUEST_URL");
  const bearer = context.env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
  if (!url || !bearer) {
    throw new UsageError(
      "ci_token_missing",
      "No CI token: GitHub Actions gives one only to jobs with `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set). Add it to the workflow or the job.",
    );
  }
  const target = context.audience
    ? `${url}${url.includes("?") ? "&" : "?"}audience=${
      encodeURIComponent(context.audience)
    }`
    : url;
  const body = await tokenService(context, target, {
    method: "GET",
    headers: { authorization: `bearer ${bearer}`, accept: "application/json" },
  }, "GitHub's token service");
  return member(body, "value", "GitHub's token service");
}

/**
 * Azure Pipelines: POST the OIDC request URI with the service connection's
 * ID and the job's access token; `{"oidcToken": JWT}` (a GET is refused).
 */
async function azurePipelines(
  context: CiTokenContext,
  connection: string | undefined,
): Promise<string> {
  const uri = context.env.get("SYSTEM_OIDCREQUESTURI");
  const bearer = context.env.get("SYSTEM_ACCESSTOKEN");
  if (!uri || !bearer) {
    throw new UsageError(
      "ci_token_missing",
      "No CI token: Azure Pipelines sets SYSTEM_OIDCREQUESTURI, and SYSTEM_ACCESSTOKEN must be mapped into the step (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)).",
    );
  }
  if (!connection) {
    throw new UsageError(
      "ci_token_missing",
      "Azure Pipelines needs the service connection's ID: --federated azure-pipelines:ID, or AZURESUBSCRIPTION_SERVICE_CONNECTION_ID (the AzureCLI task sets it).",
    );
  }
  const url = new URL(uri);
  url.searchParams.set("api-version", "7.1");
  url.searchParams.set("serviceConnectionId", connection);
  const body = await tokenService(context, url.href, {
    method: "POST",
    headers: {
      authorization: `Bearer ${bearer}`,
      accept: "application/json",
      "content-type": "application/json",
    },
    body: "{}",
  }, "Azure Pipelines' OIDC service");
  return member(body, "oidcToken", "Azure Pipelines' OIDC service");
}

/** Buildkite: the agent prints a token for the audience asked for. */
async function buildkite(context: CiTokenContext): Promise<string> {
  const args = ["oidc", "request-token"];
  if (context.audience) args.push("--audience", context.audience);
  const out = await context.capture("buildkite-agent", args);
  if (out.code !== 0) {
    throw new ProviderError(
      "ci_token_refused",
      `buildkite-agent oidc request-token failed (exit ${out.code}): ${
        out.stderr.trim().slice(0, 300)
      }`,
    );
  }
  return out.stdout;
}

/** A CI token service's JSON answer (2xx), or its refusal said plainly. */
async function tokenService(
  context: CiTokenContext,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  what: string,
): Promise<unknown> {
  let response: Response;
  try {
    response = await context.http.fetch(url, init);
  } catch (err) {
    throw toAuthctlError(err, what);
  }
  if (!response.ok) {
    const text = (await response.text().catch(() => "")).slice(0, 200);
    throw new ProviderError(
      "ci_token_refused",
      `${what} answered HTTP ${response.status}${
        text ? `: ${text.trim()}` : ""
      }.`,
    );
  }
  try {
    return await response.json();
  } catch (cause) {
    throw new ProviderError(
      "ci_token_refused",
      `${what} answered without JSON.`,
      { cause },
    );
  }
}

function member(body: unknown, name: string, what: string): string {
  const value = (body as Record<string, unknown> | null)?.[name];
  if (typeof value !== "string" || !value) {
    throw new ProviderError(
      "ci_token_refused",
      `${what} answered without "${name}".`,
    );
  }
  return value;
}
