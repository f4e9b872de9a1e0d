/**
 * The interface every login flow implements.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import type { Provider, TokenSet } from "../oauth/provider.ts";
import type { BrowserOpener } from "../platform/browser.ts";
import type { Clock } from "../platform/clock.ts";
import type { Terminal } from "../platform/terminal.ts";

/** Everything a flow needs, injected. */
export interface LoginContext {
  provider: Provider;
  settings: Settings;
  terminal: Terminal;
  browser: BrowserOpener;
  clock: Clock;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** How long to wait for the user, in milliseconds. */
  timeoutMs: number;
  /** The program's name, for the browser's page (`acmectl`). */
  appName?: string;
}

/** One way of obtaining tokens from the provider. */
export interface LoginFlow {
  /** Name, as given to `--flow`. */
  readonly name: "loopback" | "device" | "paste";
  /** Runs the flow to completion; throws an AuthctlError on failure. */
  login(context: LoginContext): Promise<TokenSet>;
}
