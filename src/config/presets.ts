/**
 * Every difference between providers, as data: what a known provider
 * (`provider = "github"`, …) presets, from the facts its documentation
 * states. A profile's own settings always win over a preset. The protocol
 * code reads these fields; it never asks which provider it talks to.
 *
 * @module
 */

import type { ClientAuthMethod, ProviderName } from "./provider_settings.ts";
import type { ExchangeMethod } from "./modes.ts";

/** Endpoints a preset derives from the issuer (its base URL). */
export interface PresetEndpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  device_authorization_endpoint?: string;
  revocation_endpoint?: string;
  userinfo_endpoint?: string;
}

/** What a provider kind or a known provider presets. */
export interface Preset {
  /** OpenID Connect (ID tokens, `openid`) or plain OAuth 2.0. */
  kind: "oidc" | "oauth2";
  /** The issuer when none is configured. */
  defaultIssuer?: string;
  /**
   * Endpoints from the issuer, for a provider without usable discovery;
   * `--issuer` moves them with it (GitHub Enterprise Server, a test double).
   */
  endpoints?: (issuer: URL) => PresetEndpoints;
  /**
   * The scopes asked for when none are configured, besides `openid` and
   * `offline_access`: those that name the account (Entra sends no name
   * without `profile`, Google no email without `email`).
   */
  defaultScopes?: readonly string[];
  /**
   * Flows whose requests the provider takes without the client's secret,
   * the refresh of their tokens included (GitHub: the device flow).
   */
  publicFlows?: readonly string[];
  /** Client authentication when the profile sets none. */
  clientAuth?: ClientAuthMethod;
  /** Ask for `offline_access` (undefined: when the metadata lists it). */
  offlineAccess?: boolean;
  /** Authorization-request parameters it needs (Google: access_type). */
  authParams?: Record<string, string>;
  /** The redirect URI shape it accepts (Entra: any port only for localhost). */
  redirectUri?: string;
  /**
   * The multi-tenant authorities whose metadata names the issuer as a
   * template with `{tenantid}` (Microsoft Entra ID `common`, `organizations`).
   */
  tenantTemplate?: { authorities: readonly string[] };
  /** The fix to name when a login ends without a refresh token. */
  refreshHint?: string;
  /** How it takes a CI job's OIDC token (default `token-exchange`). */
  exchange?: ExchangeMethod;
  /** The audience to ask a CI for when none is configured. */
  federatedAudience?: string;
  /**
   * What to compare when an exchange is refused with one of its documented
   * error codes (looked for in the error description).
   */
  exchangeHints?: Record<string, string>;
}

/** GitHub's API: api.github.com for github.com, `/api/v3` elsewhere (GHES). */
function githubApi(issuer: URL): string {
  return issuer.host === "github.com"
    ? "https://api.github.com"
    : `${issuer.href.replace(/\/$/, "")}/api/v3`;
}

/** The presets. */
export const PRESETS: Record<ProviderName, Preset> = {
  oidc: {
    kind: "oidc",
    refreshHint:
      'set offline_access = true, and prompt = "consent" where the provider asks for it (OpenID Connect Core §11)',
  },
  oauth2: {
    kind: "oauth2",
    refreshHint:
      "check that the client may use the refresh_token grant, or set offline_access = true",
  },
  github: {
    kind: "oauth2",
    defaultIssuer: "https://github.com",
    endpoints: (issuer) => {
      const base = issuer.href.replace(/\/$/, "");
      return {
        authorization_endpoint: `${base}/login/oauth/authorize`,
        token_endpoint: `${base}/login/oauth/access_token`,
        device_authorization_endpoint: `${base}/login/device/code`,
        userinfo_endpoint: `${githubApi(issuer)}/user`,
      };
    },
    // The web flow needs the app's secret even with PKCE (gh ships its own);
    // the device flow, and the refresh of its tokens, take the client ID alone.
    clientAuth: "client_secret_post",
    publicFlows: ["device"],
    offlineAccess: false,
    refreshHint:
      "OAuth-app tokens do not expire; GitHub App user tokens come with a refresh token when the app opts in to expiring tokens",
  },
  google: {
    kind: "oidc",
    defaultIssuer: "https://accounts.google.com",
    // gcloud's choice: the account's email and name, not a bare number.
    defaultScopes: ["email", "profile"],
    // Desktop clients: the secret Google documents as not confidential.
    clientAuth: "client_secret_post",
    // Google refuses the offline_access scope and wants access_type.
    offlineAccess: false,
    authParams: { access_type: "offline" },
    refreshHint:
      'Google issues a refresh token at the first consent only: add prompt = "consent" to get a new one',
  },
  microsoft: {
    kind: "oidc",
    defaultIssuer: "https://login.microsoftonline.com/organizations/v2.0",
    // What az asks for: without profile, only an opaque pairwise sub.
    defaultScopes: ["profile"],
    // A refresh token needs offline_access; prompt=consent is never sent
    // (AADSTS90094 where users may not consent to apps).
    offlineAccess: true,
    // Entra ignores the port only for http://localhost redirect URIs.
    redirectUri: "http://localhost/callback",
    tenantTemplate: { authorities: ["common", "organizations"] },
    refreshHint:
      "check that the app registration allows public client flows and the offline_access permission",
    // A federated credential: the CI token as a client assertion.
    exchange: "client-assertion",
    federatedAudience: "api://AzureADTokenExchange",
    exchangeHints: {
      AADSTS700213:
        "no federated credential of the app matches: compare its issuer and subject with the iss and sub above, exactly (case-sensitive)",
      AADSTS7002138:
        "no federated credential of the app matches: compare its issuer and subject with the iss and sub above, exactly (case-sensitive)",
      AADSTS70021:
        "no federated credential matches the token's audience: the CI token's aud must be the credential's audience (api://AzureADTokenExchange)",
      AADSTS700024:
        "the CI token is outside its valid time range (it expired): ask the CI for a new one, which authctl does on the next run",
    },
  },
};

/** The preset of `name` (default `oidc`). */
export function presetOf(name: ProviderName | undefined): Preset {
  return PRESETS[name ?? "oidc"];
}

/**
 * How the provider takes a CI job's token: the profile's `exchange`, else
 * its preset's, else RFC 8693 token exchange.
 */
export function exchangeOf(
  settings: { exchange?: ExchangeMethod; provider?: ProviderName },
): ExchangeMethod {
  return settings.exchange ?? presetOf(settings.provider).exchange ??
    "token-exchange";
}
