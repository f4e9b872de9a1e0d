/**
 * The dependencies every use case receives, injected by `main.ts` (or by a
 * test, or by a program embedding authctl).
 *
 * @module
 */

import type { ProviderSettings } from "../config/provider_settings.ts";
import type { NetworkOptions } from "../oauth/http.ts";
import type { ProviderSession } from "../oauth/mod.ts";
import type { BrowserOpener } from "../platform/browser.ts";
import type { Clock } from "../platform/clock.ts";
import type { Environment } from "../platform/environment.ts";
import type { Shield } from "../platform/interrupts.ts";
import type { Env } from "../platform/env.ts";
import type { CommandCapture } from "../platform/process.ts";
import type { Terminal } from "../platform/terminal.ts";
import type { ProfileLocks } from "../store/lock.ts";
import type { RegistrationCache } from "../store/registration_cache.ts";
import type { CredentialStore } from "../store/types.ts";

/** The provider a use case talks to, and for what. */
export interface ConnectTarget {
  /** Issuer URL, exactly as configured (or stored with the tokens). */
  issuer: string;
  /** The client ID the requests carry. */
  clientId: string;
  /** The provider settings (kind, endpoints, client auth, resources…). */
  settings: ProviderSettings;
  /** The resource whose metadata named this issuer (RFC 9728), if one did. */
  namedByResource?: string;
  /** Cancels this session's requests (default: the run's signal). */
  signal?: AbortSignal;
  /**
   * When the whole operation must be over (ms since the epoch): one
   * deadline for a refresh's requests, not one each.
   */
  deadline?: number;
}

/** What use cases run against. */
export interface AppDeps {
  /**
   * Finds the provider (discovery, or the configured endpoints) and opens a
   * protocol session with it. The default loads the protocol layer only
   * when called, so `token` with a fresh token never does; a test gives
   * sessions over an in-process provider.
   */
  connect: (target: ConnectTarget) => Promise<ProviderSession>;
  store: CredentialStore;
  /** Per-profile locks around refreshes. */
  locks: ProfileLocks;
  clock: Clock;
  terminal: Terminal;
  browser: BrowserOpener;
  /** Aborted on Ctrl-C (or SIGTERM, SIGHUP). */
  signal: AbortSignal;
  /**
   * Defers interruptions while a refresh's answer is saved (a rotated
   * refresh token exists nowhere else); without it, they are not deferred.
   */
  shield?: Shield;
  /** Timeouts, CA bundle and debug trace for every request. */
  network: NetworkOptions;
  /** Where the CLI runs (detected on demand: only login needs it). */
  environment: () => Environment;
  /** The program's name (`acmectl`), for what the browser shows. */
  appName?: string;
  /**
   * Client registrations (RFC 7591) kept per authorization server; without
   * it, a login that must register does so every time.
   */
  registrations?: RegistrationCache;
  /**
   * The job's environment, where a CI puts its OIDC token (the build's own
   * variables branded); without it, none is found.
   */
  env?: Env;
  /** Runs a CI's agent for its token (Buildkite); default: none can run. */
  capture?: CommandCapture;
}

/** What handing out a token needs (and, when it is due, a refresh). */
export type TokenDeps = Pick<
  AppDeps,
  | "store"
  | "clock"
  | "locks"
  | "signal"
  | "network"
  | "connect"
  | "registrations"
  | "shield"
  | "env"
  | "capture"
>;
