/**
 * The dependencies every use case receives, injected by `main.ts` (or by a
 * test, or by a program embedding authctl).
 *
 * @module
 */

import type { NetworkOptions } from "../oauth/http.ts";
import type { BrowserOpener } from "../platform/browser.ts";
import type { Clock } from "../platform/clock.ts";
import type { Environment } from "../platform/environment.ts";
import type { Shield } from "../platform/interrupts.ts";
import type { Terminal } from "../platform/terminal.ts";
import type { ProfileLocks } from "../store/lock.ts";
import type { RegistrationCache } from "../store/registration_cache.ts";
import type { CredentialStore } from "../store/types.ts";

/** What use cases run against. */
export interface AppDeps {
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
}
