/**
 * The types the CLI's commands share: what `main.ts` (or a test) gives the
 * CLI. Its own module, so the command files and their context do not
 * import each other.
 *
 * @module
 */

import type { BuildInfo } from "../config/build_info.ts";
import type { BrowserOpener } from "../platform/browser.ts";
import type { Clock } from "../platform/clock.ts";
import type { SystemInfo } from "../platform/env.ts";
import type { Environment } from "../platform/environment.ts";
import type { Shield } from "../platform/interrupts.ts";
import type { CommandCapture, ProcessRunner } from "../platform/process.ts";
import type { Terminal } from "../platform/terminal.ts";

/** The platform the CLI runs on, built by `main.ts` or a test. */
export interface CliDeps {
  system: SystemInfo;
  terminal: Terminal;
  clock: Clock;
  browser: BrowserOpener;
  /** Aborted on Ctrl-C (or SIGTERM, SIGHUP). */
  signal: AbortSignal;
  /** Defers interruptions while refreshed tokens are saved. */
  shield?: Shield;
  build: BuildInfo;
  /** Detects where the CLI runs (called by login only). */
  environment: () => Environment;
  /** Runs programs for `exec`. */
  processes: ProcessRunner;
  /** Runs a CI's agent for its OIDC token (Buildkite). */
  capture?: CommandCapture;
  /** Reads releases for `upgrade` and the update notice (default: `fetch`). */
  fetch?: typeof fetch;
}
