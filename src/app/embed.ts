/**
 * authctl inside another program: the same use cases and runtime as the
 * CLI's commands, configured by explicit options instead of flags, the
 * environment and a config file.
 *
 * @module
 */

import { brandEnv } from "../config/brand.ts";
import { buildInfo } from "../config/build_info.ts";
import { configDir as defaultConfigDir } from "../config/paths.ts";
import { resolveSettings, type Settings } from "../config/settings.ts";
import { DEFAULT_HTTP_TIMEOUT_MS } from "../oauth/http.ts";
import { type BrowserOpener, systemBrowser } from "../platform/browser.ts";
import { systemClock } from "../platform/clock.ts";
import { denoEnv, envFrom, type SystemInfo } from "../platform/env.ts";
import { detectEnvironment } from "../platform/environment.ts";
import { denoTerminal, type Terminal } from "../platform/terminal.ts";
import type { StorageMode } from "../store/mod.ts";
import type { AppDeps } from "./deps.ts";
import { login as loginUseCase, type LoginResult } from "./login.ts";
import { logout as logoutUseCase, type LogoutResult } from "./logout.ts";
import { createAppDeps } from "./runtime.ts";
import { status as statusUseCase, type StatusReport } from "./status.ts";
import { getIdToken as idTokenUseCase, getToken } from "./token.ts";

/** Where messages for the person go, and where pasted input comes from. */
export interface Prompts {
  /** Shows a line to the person: the address to open, a device code, notices. */
  say(text: string): void;
  /**
   * Reads a line the person types (the paste-back flow); omit it when there
   * is no one to type, and the flows that need typing are not offered.
   */
  readLine?(signal?: AbortSignal): Promise<string | null>;
}

/** How a program using authctl is set up. */
export interface AuthOptions {
  /**
   * The program's name: its config directory and keychain service (and the
   * prefix of the variables that can override the directory, e.g.
   * `ACMECTL_CONFIG_DIR`).
   */
  name: string;
  /** The provider's issuer URL. */
  issuer: string;
  /** The program's public client ID. */
  clientId: string;
  /** Extra scopes; `openid` and `offline_access` are always requested. */
  scopes?: string[];
  /** The `audience` parameter, when the provider wants one. */
  audience?: string;
  /** Callback ports for the loopback flow, e.g. "8765-8769". */
  ports?: string;
  /** Profile name (default "default"). */
  profile?: string;
  /** Login flow: "auto" (the default), "loopback", "device" or "paste". */
  flow?: "auto" | "loopback" | "device" | "paste";
  /**
   * Where tokens are kept: "auto" (the keychain, else a 0600 file; the
   * default), "keychain", "file", or "memory" (this process only).
   */
  storage?: StorageMode | "memory";
  /** Where messages go (default: stderr, and stdin for pastes). */
  prompts?: Prompts;
  /** Opens a URL in a browser; resolves false when it could not. */
  openBrowser?: (url: string) => Promise<boolean>;
  /** The config directory (default: the platform's, named after `name`). */
  configDir?: string;
  /** Cancels a login or a refresh in progress. */
  signal?: AbortSignal;
  /** Timeout of each request to the provider, in ms (default 30 s). */
  httpTimeoutMs?: number;
  /** PEM file of extra root certificates. */
  caFile?: string;
}

/** Options of {@linkcode login}. */
export interface EmbeddedLoginOptions {
  /** Log in again even when a fresh token is stored. */
  force?: boolean;
  /** How long to wait for the person, in ms (default 5 minutes). */
  timeoutMs?: number;
  /** Never open a browser here (print the address instead). */
  noBrowser?: boolean;
  /** Show the device flow's QR code (default true). */
  qr?: boolean;
}

/** Options of {@linkcode getAccessToken} and {@linkcode getIdToken}. */
export interface TokenRequestOptions {
  /** Refresh first when the token expires within this many seconds (60). */
  minTtlSeconds?: number;
}

/**
 * Logs in with the flow that suits the machine (or `options.flow`) and
 * stores the tokens; reuses a fresh stored token unless `force`.
 */
export async function login(
  options: AuthOptions,
  loginOptions: EmbeddedLoginOptions = {},
): Promise<LoginResult> {
  const { deps, settings } = runtime(options);
  return await loginUseCase(deps, settings, {
    flow: settings.flow,
    force: loginOptions.force,
    noBrowser: loginOptions.noBrowser,
    qr: loginOptions.qr,
    timeoutMs: loginOptions.timeoutMs ?? 5 * 60_000,
  });
}

/**
 * A valid access token, refreshed first when it expires within
 * `minTtlSeconds` (safely across processes). Throws a NotLoggedInError
 * (`exitCode` 4) when there is none: call {@linkcode login}.
 */
export async function getAccessToken(
  options: AuthOptions,
  request: TokenRequestOptions = {},
): Promise<string> {
  const { deps, settings } = runtime(options);
  const credential = await getToken(deps, settings, {
    minTtlMs: (request.minTtlSeconds ?? 60) * 1000,
  });
  return credential.accessToken;
}

/** The current ID token, refreshed first when needed (for backends that take it). */
export async function getIdToken(
  options: AuthOptions,
  request: TokenRequestOptions = {},
): Promise<string> {
  const { deps, settings } = runtime(options);
  return (await idTokenUseCase(deps, settings, {
    minTtlMs: (request.minTtlSeconds ?? 60) * 1000,
  })).idToken;
}

/** Revokes the tokens at the provider when it can, then forgets them. */
export async function logout(options: AuthOptions): Promise<LogoutResult> {
  const { deps, settings } = runtime(options);
  return await logoutUseCase(deps, settings.profile);
}

/** Who is logged in, until when, and where the tokens are kept. */
export async function status(options: AuthOptions): Promise<StatusReport> {
  const { deps, settings } = runtime(options);
  return await statusUseCase(deps, settings);
}

/** The settings and dependencies of one call. */
function runtime(options: AuthOptions): { deps: AppDeps; settings: Settings } {
  const system: SystemInfo = {
    os: Deno.build.os,
    env: brandEnv(denoEnv, options.name),
  };
  const settings = resolveSettings({
    flags: {
      profile: options.profile,
      flow: options.flow,
      storage: options.storage === "memory" ? undefined : options.storage,
    },
    // Only what the program passes: never the user's AUTHCTL_* variables.
    env: envFrom({}),
    config: { path: "", profiles: {} },
    // The program's own name and defaults: nothing of authctl's build.
    build: {
      version: buildInfo.version,
      commit: buildInfo.commit,
      provider: {},
      name: options.name,
      issuer: options.issuer,
      clientId: options.clientId,
      scopes: options.scopes ?? [],
      audience: options.audience ?? "",
      ports: options.ports ?? "",
    },
  });
  const terminal = promptTerminal(options.prompts);
  const browser: BrowserOpener = options.openBrowser
    ? { open: options.openBrowser }
    : systemBrowser(system);
  const deps = createAppDeps({
    configDir: options.configDir ?? defaultConfigDir(system, options.name),
    appName: options.name,
    storage: options.storage ?? "auto",
    terminal,
    clock: systemClock,
    browser,
    signal: options.signal ?? new AbortController().signal,
    network: {
      timeoutMs: options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
      caFile: options.caFile,
    },
    environment: () => detectEnvironment(system, terminal),
  });
  return { deps, settings };
}

function promptTerminal(prompts: Prompts | undefined): Terminal {
  if (!prompts) return denoTerminal();
  return {
    out: (text) => prompts.say(text),
    err: (text) => prompts.say(text),
    readLine: prompts.readLine
      ? (signal) => prompts.readLine!(signal)
      : () => Promise.resolve(null),
    stdinIsTerminal: Boolean(prompts.readLine),
    stdoutIsTerminal: false,
    stderrIsTerminal: false,
  };
}
