/**
 * The interface every login flow implements, and the narrow clients the
 * flows need of the provider: a browser flow needs an
 * {@linkcode AuthorizationCodeClient}, the device flow a
 * {@linkcode DeviceClient}; neither needs the whole protocol layer, and a
 * test gives either as a plain object.
 *
 * @module
 */

import type { RedirectShape } from "../config/redirect.ts";
import type { Settings } from "../config/settings.ts";
import type {
  AuthorizationRequest,
  AuthorizationUrl,
  DeviceAuthorization,
  DevicePoll,
  TokenSet,
} from "../oauth/mod.ts";
import type { BrowserOpener } from "../platform/browser.ts";
import type { Clock } from "../platform/clock.ts";
import type { Terminal } from "../platform/terminal.ts";

/** What the loopback and paste-back flows need of the provider. */
export interface AuthorizationCodeClient {
  /** The issuer, for the person ("To log in to …"). */
  readonly issuer: string;
  /** The shape of the loopback redirect URI. */
  readonly redirectShape: RedirectShape;
  /** Whether authorization responses carry `iss` (RFC 9207). */
  readonly sendsIss: boolean;
  /** The URL to send the person to (pushed first, with PAR). */
  authorizationUrl(request: AuthorizationRequest): Promise<AuthorizationUrl>;
  /** Checks an authorization response; returns what to exchange. */
  validateCallback(
    params: URLSearchParams,
    expectedState: string,
  ): URLSearchParams;
  /** Exchanges the code for tokens, validated. */
  exchangeCode(
    callback: URLSearchParams,
    redirectUri: string,
    codeVerifier: string,
    expectedNonce: string,
  ): Promise<TokenSet>;
}

/** What the device flow needs of the provider. */
export interface DeviceClient {
  /** The issuer, for the person ("To log in to …"). */
  readonly issuer: string;
  /** Starts a device authorization. */
  deviceAuthorization(
    scopes: string[],
    audience: string,
  ): Promise<DeviceAuthorization>;
  /** Polls once. */
  pollDeviceCode(deviceCode: string): Promise<DevicePoll>;
}

/** Everything a flow needs, injected; `C` is the client it needs. */
export interface LoginContext<
  C = AuthorizationCodeClient & DeviceClient,
> {
  client: C;
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
