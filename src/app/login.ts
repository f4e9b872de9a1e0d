/**
 * The login use case: reuse a fresh stored credential unless forced, else
 * discover the provider, run a flow, and store what it obtained.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { AuthctlError, UsageError } from "../errors.ts";
import { parsePorts } from "../flows/callback_server.ts";
import {
  chooseFlow,
  type FlowChoice,
  type FlowRequest,
  pasteFallback,
  preflight,
} from "../flows/mod.ts";
import type { LoginContext } from "../flows/types.ts";
import { discoverProvider, type TokenSet } from "../oauth/provider.ts";
import type { IdentityClaims, StoredCredential } from "../store/types.ts";
import { isFresh, settingsMismatch } from "./credential.ts";
import type { AppDeps } from "./deps.ts";

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
  /** Timeout of one HTTP request, in milliseconds. */
  httpTimeoutMs?: number;
}

/** What a login achieved. */
export interface LoginResult {
  /** False when a stored credential was still good and reused. */
  loggedIn: boolean;
  credential: StoredCredential;
}

/** Logs the profile in (see the module doc). */
export async function login(
  deps: AppDeps,
  settings: Settings,
  options: LoginOptions,
): Promise<LoginResult> {
  requireProviderSettings(settings);
  const request: FlowRequest = {
    flow: options.flow,
    noBrowser: options.noBrowser ?? false,
    qr: options.qr ?? true,
  };
  const environment = deps.environment();
  preflight(request, environment);
  parsePorts(settings.ports); // a bad --port fails now, not after a cache hit
  if (!options.force) {
    const cached = await deps.store.get(settings.profile).catch(() =>
      undefined
    );
    if (
      cached && !settingsMismatch(cached, settings) &&
      isFresh(cached, deps.clock.now())
    ) {
      return { loggedIn: false, credential: cached };
    }
  }
  const provider = await discoverProvider({
    issuer: settings.issuer,
    clientId: settings.clientId,
    signal: deps.signal,
    httpTimeoutMs: options.httpTimeoutMs,
  });
  const context: LoginContext = {
    provider,
    settings,
    terminal: deps.terminal,
    browser: deps.browser,
    clock: deps.clock,
    signal: deps.signal,
    timeoutMs: options.timeoutMs,
  };
  let choice: FlowChoice = chooseFlow(request, environment, provider);
  let tokens: TokenSet;
  try {
    if (choice.reason) deps.terminal.err(`${choice.reason}\n`);
    tokens = await choice.flow.login(context);
  } catch (err) {
    const refusedDevice = err instanceof AuthctlError &&
      err.code === "device_not_allowed";
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
  const credential = toCredential(
    tokens,
    settings,
    flow.name,
    deps.clock.now(),
  );
  await deps.store.set(settings.profile, credential);
  return { loggedIn: true, credential };
}

/** Fails with the fix when no issuer or client ID is configured. */
export function requireProviderSettings(settings: Settings): void {
  const missing = [
    !settings.issuer && "issuer (--issuer or AUTHCTL_ISSUER)",
    !settings.clientId && "client ID (--client-id or AUTHCTL_CLIENT_ID)",
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
  flow: string,
  now: number,
): StoredCredential {
  const identity: IdentityClaims | undefined = tokens.identity;
  return {
    version: 1,
    issuer: settings.issuer,
    clientId: settings.clientId,
    scopes: settings.scopes,
    audience: settings.audience,
    // A missing scope means the requested one (RFC 6749 §5.1).
    grantedScope: tokens.scope ?? settings.scopes.join(" "),
    tokenType: tokens.tokenType,
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresIn === undefined
      ? undefined
      : now + tokens.expiresIn * 1000,
    refreshToken: tokens.refreshToken,
    idToken: tokens.idToken,
    identity,
    obtainedAt: now,
    flow,
  };
}
