/**
 * What to ask the provider for, derived from the profile's settings, the
 * provider's preset and its metadata: pure functions, no request. A new
 * provider quirk that changes what is asked for is a preset field read here
 * (see `config/presets.ts`), never a test of which provider this is.
 *
 * @module
 */

import type * as oauth from "oauth4webapi";
import type {
  ClientAuthMethod,
  ProviderSettings,
} from "../config/provider_settings.ts";
import {
  DEFAULT_REDIRECT,
  parseRedirectUri,
  type RedirectShape,
} from "../config/redirect.ts";
import type { Preset } from "../config/presets.ts";

/** The grant type of RFC 8628. */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** What the policies read of a session. */
export interface PolicyInputs {
  readonly settings: ProviderSettings;
  readonly preset: Preset;
  readonly metadata: oauth.AuthorizationServer;
  readonly kind: "oidc" | "oauth2";
}

/**
 * The scopes to request: `openid` for OpenID Connect, `offline_access` when
 * the profile says so (or, unset, the preset, or the metadata lists it),
 * then the configured ones (or, none configured, the preset's defaults).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-3.3}
 * @see {@link https://openid.net/specs/openid-connect-core-1_0.html#OfflineAccess}
 */
export function requestedScopes(
  session: PolicyInputs,
  configured: readonly string[],
): string[] {
  const offline = session.settings.offlineAccess ??
    session.preset.offlineAccess ??
    (session.metadata.scopes_supported?.includes("offline_access") ?? false);
  const out = [
    ...(session.kind === "oidc" ? ["openid"] : []),
    ...(offline ? ["offline_access"] : []),
  ];
  const wanted = configured.length
    ? configured
    : session.preset.defaultScopes ?? [];
  for (const scope of wanted) if (!out.includes(scope)) out.push(scope);
  return out;
}

/**
 * The loopback redirect URI's shape: the profile's `redirect_uri`, else the
 * preset's (Entra: `http://localhost/callback`), else the default
 * `http://127.0.0.1/callback`.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8252.html#section-7.3}
 */
export function redirectShape(
  session: Pick<PolicyInputs, "settings" | "preset">,
): RedirectShape {
  const uri = session.settings.redirectUri ?? session.preset.redirectUri;
  return uri ? parseRedirectUri(uri) : DEFAULT_REDIRECT;
}

/**
 * How the client authenticates at the token endpoint. `flow`: the flow the
 * request belongs to (for a refresh, the flow that obtained the tokens); a
 * flow the preset lists as public (GitHub's device flow) never sends the
 * secret, so none is needed.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-2.3.1}
 */
export function clientAuthMethod(
  session: Pick<PolicyInputs, "settings" | "preset">,
  flow?: string,
): ClientAuthMethod {
  if (flow && session.preset.publicFlows?.includes(flow)) return "none";
  return session.settings.clientAuth ?? session.preset.clientAuth ??
    (session.settings.clientSecret ? "client_secret_post" : "none");
}

/**
 * The RFC 8707 resources, as request parameters.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8707.html#section-2}
 */
export function resourceParams(settings: ProviderSettings): URLSearchParams {
  const params = new URLSearchParams();
  for (const r of settings.resources ?? []) params.append("resource", r);
  return params;
}

/**
 * Whether authorization requests are pushed (RFC 9126): when the profile
 * says `par = true`, or the provider's metadata requires it.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9126.html#section-5}
 */
export function pushesAuthorizationRequests(
  session: Pick<PolicyInputs, "settings" | "metadata">,
): boolean {
  return session.settings.par ??
    session.metadata.require_pushed_authorization_requests === true;
}

/**
 * Whether the provider sends `iss` in authorization responses (RFC 9207).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc9207.html#section-3}
 */
export function sendsIss(metadata: oauth.AuthorizationServer): boolean {
  return metadata.authorization_response_iss_parameter_supported === true;
}

/**
 * Whether the provider offers the device authorization grant (RFC 8628)
 * and does not say that it refuses it.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8628.html#section-4}
 */
export function supportsDeviceFlow(
  metadata: oauth.AuthorizationServer,
): boolean {
  const granted = metadata.grant_types_supported;
  return Boolean(metadata.device_authorization_endpoint) &&
    (!granted || granted.includes(DEVICE_CODE_GRANT));
}

/**
 * Whether the provider has a revocation endpoint (RFC 7009).
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc7009.html#section-2}
 */
export function canRevoke(metadata: oauth.AuthorizationServer): boolean {
  return Boolean(metadata.revocation_endpoint);
}

/**
 * The setting that usually brings a refresh token, for the login line.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc6749.html#section-6}
 */
export function refreshHint(
  session: Pick<PolicyInputs, "preset">,
): string | undefined {
  return session.preset.refreshHint;
}
