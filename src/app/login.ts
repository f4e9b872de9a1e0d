/**
 * The login use case: reuse a fresh stored credential unless forced, else
 * discover the provider, run a flow, and store what it obtained.
 *
 * @module
 */

import { requireKindWithEndpoints, type Settings } from "../config/settings.ts";
import {
  AuthctlError,
  ErrorCode,
  NotLoggedInError,
  ProviderError,
  UsageError,
} from "../errors.ts";
import { requireSecureUrl } from "../platform/env.ts";
import { Http } from "../oauth/http.ts";
import {
  chooseFlow,
  type FlowChoice,
  type FlowRequest,
  pasteFallback,
  preflight,
  sessionClient,
} from "../flows/mod.ts";
import type { LoginContext } from "../flows/types.ts";
import type { TokenSet } from "../oauth/mod.ts";
import { identityFrom } from "../store/identity.ts";
import {
  type CredentialOrigin,
  type IdentityClaims,
  newCredential,
  type StoredCredential,
} from "../store/types.ts";
import {
  isFresh,
  requireKnownProfile,
  settingsMismatch,
} from "./credential.ts";
import type { AppDeps } from "./deps.ts";
import {
  obtainUnattended,
  unattendedMode,
  unattendedNeedsClient,
} from "./unattended.ts";

/** Options of {@linkcode login}. */
export interface LoginOptions {
  /** `--flow`: "auto" or a flow name. */
  flow: string;
  /** `--no-browser`: never open a browser here. */
  noBrowser?: boolean;
  /** Show the device flow's QR code (unless `--no-qr`). */
  qr?: boolean;
  /** How long to wait for the user, in milliseconds. */
  timeoutMs: number;
  /** Log in again even when a fresh credential is stored. */
  force?: boolean;
  /**
   * The resource whose metadata (RFC 9728) named the issuer: discovery
   * follows the MCP order and the metadata must list S256.
   */
  namedByResource?: string;
  /** `--client-credentials`: a service account's login, no person. */
  clientCredentials?: boolean;
}

/** What a login achieved. */
export interface LoginResult {
  /** False when a stored credential was still good and reused. */
  loggedIn: boolean;
  /** The credential now stored (tokens, expiry, identity). */
  credential: StoredCredential;
}

/** Logs the profile in (see the module doc). */
export async function login(
  deps: AppDeps,
  settings: Settings,
  options: LoginOptions,
): Promise<LoginResult> {
  await requireKnownProfile(deps.store, settings);
  // A client ID may be obtained from the provider itself (below).
  requireProviderSettings(settings, { clientId: false });
  requireKindWithEndpoints(settings.provider);
  // Without a person (a CI job, a service account): no flow, no terminal.
  const unattended = unattendedMode(
    settings,
    options.clientCredentials ?? false,
  );
  if (unattended) {
    requireProviderSettings(settings, {
      clientId: unattendedNeedsClient(settings, unattended),
    });
    const cached = options.force
      ? undefined
      : await freshCached(deps, settings);
    if (cached) return { loggedIn: false, credential: cached };
    const placement = await deps.store.place(settings.profile);
    const credential = await obtainUnattended(deps, settings, unattended);
    await saveLocked(deps, settings.profile, () => placement.save(credential));
    return { loggedIn: true, credential };
  }
  const request: FlowRequest = {
    flow: options.flow,
    noBrowser: options.noBrowser ?? false,
    qr: options.qr ?? true,
  };
  const environment = deps.environment();
  preflight(request, environment);
  if (!options.force) {
    const cached = await freshCached(deps, settings);
    if (cached) return { loggedIn: false, credential: cached };
  }
  // Before anyone is asked to approve: a login that cannot be saved fails now.
  const placement = await deps.store.place(settings.profile);
  const oauth = await import("../oauth/mod.ts");
  let session = await deps.connect({
    issuer: settings.issuer,
    clientId: settings.clientId,
    settings: settings.provider,
    namedByResource: options.namedByResource,
  });
  if (!settings.clientId) {
    const { chooseClient, registrationClient } = await import(
      "./client_registration.ts"
    );
    const { clientId } = await chooseClient(
      deps,
      settings,
      registrationClient(session),
    );
    session = oauth.withClient(session, clientId);
    settings = { ...settings, clientId };
  }
  // A new key per login (DPoP), before anyone approves: `always` where
  // the provider has none fails here.
  session = await oauth.withDpop(session);
  const context: LoginContext = {
    client: sessionClient(session),
    settings,
    terminal: deps.terminal,
    browser: deps.browser,
    clock: deps.clock,
    signal: deps.signal,
    timeoutMs: options.timeoutMs,
    appName: deps.appName,
  };
  let choice: FlowChoice = chooseFlow(request, environment, {
    supportsDeviceFlow: oauth.supportsDeviceFlow(session.metadata),
  });
  let tokens: TokenSet;
  try {
    if (choice.reason) deps.terminal.err(`${choice.reason}\n`);
    tokens = await choice.flow.login(context);
  } catch (err) {
    const refusedDevice = err instanceof AuthctlError &&
      err.code === ErrorCode.deviceNotAllowed;
    if (
      !refusedDevice || request.flow !== "auto" || !environment.stdinIsTerminal
    ) {
      throw err;
    }
    choice = pasteFallback();
    deps.terminal.err(`${choice.reason}\n`);
    tokens = await choice.flow.login(context);
  }
  const flow = choice.flow;
  // Checked against the provider's time: say so when this clock is off.
  const clockNote = oauth.clockNote(session);
  if (clockNote) deps.terminal.err(`${clockNote}\n`);
  const credential = toCredential(
    tokens,
    settings,
    flow.name,
    deps.clock.now(),
    oauth.requestedScopes(session, settings.scopes),
  );
  if (session.dpop) credential.dpop = session.dpop.key;
  // Refreshes go to this endpoint and no other (see refresh.ts).
  credential.tokenEndpoint = session.metadata.token_endpoint;
  await saveLocked(deps, settings.profile, () => placement.save(credential));
  if (!tokens.refreshToken) {
    deps.terminal.err(
      `No refresh token came with this login, so you will log in again when the access token expires${
        oauth.refreshHint(session)
          ? `. To get one: ${oauth.refreshHint(session)}.`
          : "."
      }\n`,
    );
  }
  return { loggedIn: true, credential };
}

/** The stored credential, when it is for these settings and still fresh. */
async function freshCached(
  deps: Pick<AppDeps, "store" | "clock">,
  settings: Settings,
): Promise<StoredCredential | undefined> {
  const cached = await deps.store.get(settings.profile).catch(() => undefined);
  return cached && !settingsMismatch(cached, settings) &&
      isFresh(cached, deps.clock.now())
    ? cached
    : undefined;
}

/**
 * Saves a login's credentials under the profile's lock, as a refresh saves
 * its own: a refresh in flight finishes first, and the login replaces what
 * it saved (never the other way round).
 */
async function saveLocked(
  deps: Pick<AppDeps, "locks" | "signal">,
  profile: string,
  save: () => Promise<void>,
): Promise<void> {
  const lock = await deps.locks.acquire(profile, deps.signal);
  try {
    await save();
  } finally {
    lock.release();
  }
}

/**
 * Fails with the fix when no issuer or client ID is configured (the client
 * ID only when `need.clientId` is not false: a login can obtain one).
 */
export function requireProviderSettings(
  settings: Settings,
  need: { clientId?: boolean } = {},
): void {
  const missing = [
    !settings.issuer && "issuer (--issuer or AUTHCTL_ISSUER)",
    need.clientId !== false && !settings.clientId &&
    "client ID (--client-id or AUTHCTL_CLIENT_ID)",
  ].filter(Boolean);
  if (missing.length) {
    throw new UsageError(
      "missing_settings",
      `Profile "${settings.profile}" has no ${
        missing.join(" and no ")
      } configured. Give ${
        missing.length > 1 ? "them" : "it"
      } as flags, in the environment, or in the profile of config.toml.`,
    );
  }
}

function toCredential(
  tokens: TokenSet,
  settings: Settings,
  flow: CredentialOrigin,
  now: number,
  requested: string[],
): StoredCredential {
  return newCredential(settings, flow, now, {
    ...tokens,
    // A missing scope means the requested one (RFC 6749 §5.1).
    grantedScope: tokens.scope ?? requested.join(" "),
  });
}

/** Options of {@linkcode loginWithToken}. */
export interface TokenLoginOptions {
  /** Check the token here (GET with it as a bearer token) instead of userinfo. */
  validateUrl?: string;
}

/**
 * Stores a token given by the user (a personal access token, or any bearer
 * token) after checking it against the provider's userinfo endpoint or
 * `validateUrl`. A rejected token is exit 4 and nothing is saved.
 */
export async function loginWithToken(
  deps: Pick<
    AppDeps,
    "store" | "clock" | "signal" | "network" | "connect" | "locks"
  >,
  settings: Settings,
  token: string,
  options: TokenLoginOptions = {},
): Promise<LoginResult> {
  // Checked at --validate-url, a token needs no provider: the issuer and
  // client ID, when configured, are recorded with it.
  if (!options.validateUrl) {
    await requireKnownProfile(deps.store, settings);
    requireProviderSettings(settings);
    requireKindWithEndpoints(settings.provider);
  }
  const value = token.trim();
  if (!value || /\s/.test(value) || value.length > 16_384) {
    throw new UsageError(
      "invalid_token_input",
      "The token given is empty, contains spaces, or is too long. Give the token alone.",
    );
  }
  const placement = await deps.store.place(settings.profile);
  let identity: IdentityClaims | undefined;
  if (options.validateUrl) {
    await checkAt(options.validateUrl, value, deps);
  } else {
    const { userInfoRequest } = await import("../oauth/mod.ts");
    const session = await deps.connect({
      issuer: settings.issuer,
      clientId: settings.clientId,
      settings: settings.provider,
    });
    let info: Record<string, unknown>;
    try {
      info = await userInfoRequest(session, value);
    } catch (err) {
      if (err instanceof NotLoggedInError) {
        throw new NotLoggedInError(
          "token_rejected",
          `${err.message} Nothing was saved.`,
          { cause: err },
        );
      }
      throw err;
    }
    identity = identityFrom(info);
  }
  const now = deps.clock.now();
  const credential = newCredential(settings, "token", now, {
    accessToken: value,
    identity,
  });
  await saveLocked(deps, settings.profile, () => placement.save(credential));
  return { loggedIn: true, credential };
}

/** GETs `url` with the token; 2xx accepts it, 401/403 reject it. */
async function checkAt(
  url: string,
  token: string,
  deps: Pick<AppDeps, "signal" | "network" | "connect">,
): Promise<void> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError(
      "invalid_validate_url",
      `Invalid --validate-url "${url}".`,
    );
  }
  requireSecureUrl(target, () =>
    new UsageError(
      "insecure_validate_url",
      `Refusing to send the token to "${url}": use https (http only on loopback addresses).`,
    ));
  let response: Response;
  try {
    // Through the same client: timeout, no redirects, size cap, redaction.
    response = await new Http(deps.network, deps.signal).fetch(target.href, {
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (err) {
    if (err instanceof AuthctlError) throw err;
    throw new ProviderError(
      ErrorCode.unreachable,
      `Cannot reach "${url}" to check the token: ${(err as Error).message}.`,
      { cause: err },
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new NotLoggedInError(
      "token_rejected",
      `"${url}" rejected the token (HTTP ${response.status}), so nothing was saved.`,
    );
  }
  if (response.status < 200 || response.status > 299) {
    throw new ProviderError(
      "validation_failed",
      `"${url}" answered HTTP ${response.status}; the token could not be checked and was not saved.`,
    );
  }
}
