/**
 * Logging in without a person: the CI job's own OIDC token exchanged at the
 * provider (`login --federated SOURCE`), or a service account's client
 * credentials (`login --client-credentials`). Neither brings a refresh
 * token; when the access token runs low, {@linkcode renewUnattended} does
 * the same again (a new CI token, exchanged again) under the profile's lock.
 *
 * @module
 */

import { exchangeOf } from "../config/presets.ts";
import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { ProviderSession, TokenSet } from "../oauth/mod.ts";
import { describeCiSource } from "../oauth/ci_token.ts";
import { envFrom } from "../platform/env.ts";
import { newCredential, type StoredCredential } from "../store/types.ts";
import { loginCommand, notLoggedIn } from "./credential.ts";
import type { AppDeps } from "./deps.ts";

/** What an unattended grant needs. */
export type UnattendedDeps = Pick<
  AppDeps,
  "connect" | "clock" | "network" | "env" | "capture" | "signal"
>;

/**
 * Whether `mode` needs a client ID: client credentials and a client
 * assertion authenticate a client; a token exchange or a jwt-bearer grant
 * may come from none (Google's STS takes no client).
 */
export function unattendedNeedsClient(
  settings: Settings,
  mode: UnattendedMode,
): boolean {
  return mode === "client_credentials" ||
    exchangeOf(settings.provider) === "client-assertion" ||
    settings.provider.clientAuth !== undefined &&
      settings.provider.clientAuth !== "none";
}

/** Which grant: a CI token exchanged, or the client's credentials. */
export type UnattendedMode = "federated" | "client_credentials";

/**
 * The mode a login runs in without a person, or undefined for a person's
 * login: `--client-credentials`, or a federated source configured.
 */
export function unattendedMode(
  settings: Settings,
  clientCredentials: boolean,
): UnattendedMode | undefined {
  if (clientCredentials && settings.provider.federated) {
    throw new UsageError(
      "conflicting_login",
      `--client-credentials and --federated "${settings.provider.federated}" are two different logins: give one.`,
    );
  }
  if (clientCredentials) return "client_credentials";
  return settings.provider.federated ? "federated" : undefined;
}

/**
 * Obtains tokens for `settings` in `mode`, and the credential to store:
 * the CI token itself is never part of it, only where it came from and
 * whom it named. `expectedEndpoint`: the token endpoint the credential was
 * obtained from (a renewal sends nothing elsewhere).
 */
export async function obtainUnattended(
  deps: UnattendedDeps,
  settings: Settings,
  mode: UnattendedMode,
  expectedEndpoint?: string,
): Promise<StoredCredential> {
  const oauth = await import("../oauth/mod.ts");
  let session = await deps.connect({
    issuer: settings.issuer,
    clientId: settings.clientId,
    settings: settings.provider,
    deadline: Date.now() + deps.network.timeoutMs,
  });
  const endpoint = session.metadata.token_endpoint;
  if (expectedEndpoint && endpoint !== expectedEndpoint) {
    throw notLoggedIn(
      settings,
      `The tokens of profile "${settings.profile}" were issued by the token endpoint "${expectedEndpoint}", but the provider settings now name "${endpoint}". No CI token or client credential is sent elsewhere: log in again.`,
      "token_endpoint_changed",
      loginCommand(settings, { force: true }),
    );
  }
  session = await oauth.withClientKey(session);
  const request = {
    scopes: settings.scopes,
    audience: settings.audience || undefined,
  };
  let tokens: TokenSet;
  let federated: StoredCredential["federated"];
  if (mode === "client_credentials") {
    tokens = await oauth.clientCredentialsGrant(session, request);
  } else {
    const ci = await oauth.fetchCiToken(
      oauth.checkCiSource(
        settings.provider.federated ?? "auto",
        "the federated setting",
      ),
      {
        env: deps.env ?? envFrom({}),
        http: session.http,
        capture: deps.capture ?? noCapture,
        audience: settings.provider.federatedAudience ??
          session.preset.federatedAudience,
        now: deps.clock.now(),
      },
    );
    tokens = await exchange(oauth, session, settings, ci.token, request);
    federated = {
      source: ci.source,
      iss: typeof ci.claims.iss === "string" ? ci.claims.iss : undefined,
      sub: typeof ci.claims.sub === "string" ? ci.claims.sub : undefined,
    };
  }
  const credential = newCredential(settings, mode, deps.clock.now(), {
    ...tokens,
    // A missing scope means the requested one (RFC 6749 §5.1).
    grantedScope: tokens.scope ?? settings.scopes.join(" "),
  });
  credential.tokenEndpoint = endpoint;
  if (federated) credential.federated = federated;
  return credential;
}

/** The CI token, exchanged the way the profile (or its preset) says. */
async function exchange(
  oauth: typeof import("../oauth/mod.ts"),
  session: ProviderSession,
  settings: Settings,
  token: string,
  request: { scopes: readonly string[]; audience?: string },
): Promise<TokenSet> {
  switch (exchangeOf(settings.provider)) {
    case "client-assertion":
      return await oauth.clientAssertionGrant(session, token, request);
    case "jwt-bearer":
      return await oauth.jwtBearerGrant(session, token, request);
    default:
      return await oauth.tokenExchangeGrant(session, token, request);
  }
}

/**
 * New tokens for a credential that was obtained without a person: the same
 * grant again, with the settings it was obtained with (under what is
 * configured now), saved in the store. The caller holds the profile's lock.
 */
export async function renewUnattended(
  deps: UnattendedDeps & Pick<AppDeps, "store">,
  settings: Settings,
  current: StoredCredential,
): Promise<StoredCredential> {
  const renewed = await obtainUnattended(
    deps,
    {
      ...settings,
      issuer: current.issuer,
      clientId: current.clientId,
      provider: { ...current.provider, ...settings.provider },
    },
    current.flow === "client_credentials" ? "client_credentials" : "federated",
    current.tokenEndpoint,
  );
  await deps.store.set(settings.profile, renewed);
  return renewed;
}

/** Without a way to run programs, Buildkite's agent cannot be asked. */
const noCapture = () =>
  Promise.reject(
    new UsageError(
      "ci_token_missing",
      "No CI token: programs cannot be run here to ask Buildkite's agent.",
    ),
  );

/**
 * How a credential obtained without a person came about, for the login
 * line: ` with the CI token of GitHub Actions (sub "repo:…")`, or "".
 */
export function describeUnattended(credential: StoredCredential): string {
  if (credential.flow === "client_credentials") {
    return " with the client's credentials";
  }
  const f = credential.federated;
  if (!f) return "";
  return ` with the CI token of ${describeCiSource(f.source)}${
    f.sub ? ` (sub "${f.sub}")` : ""
  }`;
}
