/**
 * The provider's metadata: the endpoints a profile gives, a preset derives,
 * or discovery finds (RFC 8414 §3.3 issuer rules, Entra's tenant template).
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import type { ProviderSettings } from "../config/provider_settings.ts";
import { ProviderError, stripControl } from "../errors.ts";
import type { Preset } from "../config/presets.ts";

/** oauth4webapi's marker for "the caller compares the issuer itself". */
export const NO_ISSUER_CHECK =
  (oauth as unknown as { _nodiscoverycheck: URL })._nodiscoverycheck;

/** The endpoint settings that are set, under their RFC 8414 names. */
export function definedEndpoints(settings: ProviderSettings) {
  const all = {
    authorization_endpoint: settings.authorizationEndpoint,
    token_endpoint: settings.tokenEndpoint,
    device_authorization_endpoint: settings.deviceAuthorizationEndpoint,
    revocation_endpoint: settings.revocationEndpoint,
    userinfo_endpoint: settings.userinfoEndpoint,
  };
  return Object.fromEntries(
    Object.entries(all).filter(([, v]) => v !== undefined),
  ) as Partial<typeof all>;
}

/**
 * Entra's multi-tenant issuer: accepted only with a preset that expects it,
 * for its `common` and `organizations` authorities, and only when the
 * document names exactly `BASE/{tenantid}/v2.0` for the configured
 * `BASE/AUTHORITY/v2.0`. Returns the template, or undefined.
 */
export function tenantTemplate(
  configured: string,
  named: string,
  preset: Preset,
): string | undefined {
  if (!preset.tenantTemplate) return undefined;
  // The issuer's scheme and host were checked already (https, or http on
  // loopback); the authority is the last segment before /v2.0.
  const m = /^(https?:\/\/.+)\/([^/]+)\/v2\.0$/.exec(configured);
  if (!m || !preset.tenantTemplate.authorities.includes(m[2])) return undefined;
  const template = `${m[1]}/{tenantid}/v2.0`;
  return named === template ? template : undefined;
}

export function issuerMismatch(
  configured: string,
  named: unknown,
  cause?: unknown,
): ProviderError {
  const what = typeof named === "string"
    ? `the issuer "${stripControl(named)}"`
    : "another issuer";
  // Only a trailing slash apart (Auth0's issuers end with one): the same
  // server, so naming the value to use is safe.
  const slash = typeof named === "string" &&
    named.replace(/\/$/, "") === configured.replace(/\/$/, "");
  const template = typeof named === "string" && named.includes("{tenantid}");
  return new ProviderError(
    "issuer_mismatch",
    `The provider's metadata names ${what}, not the configured "${configured}". Nothing proceeds unless they match exactly${
      slash
        ? `: use exactly "${named}" as the issuer (--issuer, or issuer in the profile).`
        : template
        ? ': this is Microsoft Entra ID\'s multi-tenant metadata; set provider = "microsoft".'
        : ": check the issuer URL (scheme, host, path, trailing slash)."
    }`,
    { cause },
  );
}

/**
 * Refuses a provider whose metadata lists PKCE methods without S256; and,
 * for one a protected resource named (`namedByResource`), one whose
 * metadata does not list them at all, as the MCP authorization
 * specification requires.
 */
export function checkPkceSupport(
  metadata: oauth.AuthorizationServer,
  namedByResource?: string,
): void {
  const methods = metadata.code_challenge_methods_supported;
  if (namedByResource !== undefined && !methods?.includes("S256")) {
    throw new ProviderError(
      "pkce_unsupported",
      `The authorization server "${
        stripControl(String(metadata.issuer))
      }", which "${namedByResource}" names, does not list S256 in code_challenge_methods_supported${
        methods
          ? ` (it lists ${JSON.stringify(methods)})`
          : " (its metadata has none)"
      }. A client logging in to a resource by its metadata must refuse such a server (MCP authorization, PKCE): ask its admin to publish the PKCE methods it supports.`,
    );
  }
  if (methods && !methods.includes("S256")) {
    throw new ProviderError(
      "pkce_unsupported",
      `The provider "${metadata.issuer}" does not support PKCE with S256 (it lists ${
        JSON.stringify(methods)
      }), which this client requires.`,
    );
  }
}
