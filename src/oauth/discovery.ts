/**
 * Finding the authorization server: its metadata by OpenID Connect
 * discovery or RFC 8414 (or the endpoints the profile or a preset gives),
 * checked, and made into a {@linkcode ProviderSession}.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { ProviderError, UsageError } from "../errors.ts";
import type { ProviderSettings } from "../config/provider_settings.ts";
import { presetOf } from "../config/presets.ts";
import { requireSecureUrl } from "../platform/env.ts";
import { toAuthctlError } from "./failure.ts";
import { DEFAULT_HTTP_TIMEOUT_MS, Http, type NetworkOptions } from "./http.ts";
import {
  checkPkceSupport,
  definedEndpoints,
  issuerMismatch,
  NO_ISSUER_CHECK,
  tenantTemplate,
} from "./metadata.ts";
import { createSession, type ProviderSession } from "./session.ts";

/** Options of {@linkcode discover}. */
export interface DiscoveryOptions {
  /** Issuer URL, exactly as configured. */
  issuer: string;
  /** Public client ID. */
  clientId: string;
  /** Cancels every request (Ctrl-C). */
  signal?: AbortSignal;
  /** Timeouts, CA bundle, debug trace. */
  network?: NetworkOptions;
  /**
   * The provider settings: kind or known provider, endpoints (no discovery
   * when the authorization and token endpoints are given), client
   * authentication, refresh recipe, resources.
   */
  settings?: ProviderSettings;
  /**
   * The resource whose metadata (RFC 9728) named this issuer: discovery
   * then follows the MCP authorization specification's order, and the
   * metadata must list S256 among its PKCE methods.
   */
  namedByResource?: string;
  /** See {@linkcode SessionInit.keyCooldownMs} (0 by default). */
  keyCooldownMs?: number;
}

/**
 * The provider's metadata and kind. With the authorization and token
 * endpoints given (by the profile, or by a preset that derives them from the
 * issuer), no discovery: the issuer stays the profile's identity. Otherwise
 * OpenID Connect discovery, then RFC 8414 (path inserted); the document's
 * `issuer` must equal the configured issuer exactly (RFC 8414 §3.3), the one
 * exception being Microsoft Entra ID's `{tenantid}` template for its
 * multi-tenant authorities, with `provider = "microsoft"`. Next: any
 * step, with the session this returns.
 *
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig}
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3}
 */
export async function discover(
  options: DiscoveryOptions,
): Promise<ProviderSession> {
  const issuerUrl = new URL(options.issuer);
  requireSecureUrl(issuerUrl, () =>
    new ProviderError(
      "insecure_issuer",
      `Refusing the plain-http issuer "${options.issuer}": only loopback addresses may use http.`,
    ));
  const settings = options.settings ?? {};
  const preset = presetOf(settings.provider);
  const http = new Http(
    options.network ?? { timeoutMs: DEFAULT_HTTP_TIMEOUT_MS },
    options.signal,
  );
  const session = {
    issuer: options.issuer,
    clientId: options.clientId,
    settings,
    http,
    signal: options.signal,
    keyCooldownMs: options.keyCooldownMs,
  };
  const given = definedEndpoints(settings);
  // A token endpoint alone: a server that issues tokens only without a
  // person (Google's STS), said with provider = "oauth2".
  const tokenOnly = settings.provider === "oauth2" && !!given.token_endpoint;
  if (
    !tokenOnly &&
    Boolean(given.authorization_endpoint) !== Boolean(given.token_endpoint)
  ) {
    throw new UsageError(
      "incomplete_endpoints",
      `Only the ${
        given.token_endpoint ? "token" : "authorization"
      } endpoint is configured. Give authorization_endpoint and token_endpoint together (then no discovery is made), or neither. (A token endpoint alone, for logins without a person such as --federated at Google's STS, goes with provider = "oauth2".)`,
    );
  }
  const derived = preset.endpoints?.(issuerUrl);
  if (given.authorization_endpoint || derived || tokenOnly) {
    if (settings.provider === "oidc") {
      throw new UsageError(
        "oidc_without_discovery",
        `provider = "oidc" needs the provider's discovery document (for its signing keys), so endpoints cannot replace it. Remove the endpoints, or set provider = "oauth2" for a plain OAuth 2.0 server.`,
      );
    }
    const metadata: oauth.AuthorizationServer = {
      issuer: options.issuer,
      ...derived,
      ...given,
    };
    return createSession({
      ...session,
      metadata,
      kind: derived ? preset.kind : "oauth2",
    });
  }
  let lastStatus = 0;
  const tried: string[] = [];
  for (
    const { url, algorithm } of metadataLocations(
      issuerUrl,
      options.namedByResource !== undefined,
    )
  ) {
    tried.push(url.href);
    let response: Response;
    try {
      // A GET without secrets: same-origin redirects are followed.
      response = await http.discoveryFetch(url.href, {
        method: "GET",
        headers: { accept: "application/json" },
      });
    } catch (err) {
      throw toAuthctlError(err, "discovery", options.signal, options.issuer);
    }
    if (response.status !== 200) {
      lastStatus = response.status;
      await response.body?.cancel();
      continue;
    }
    let metadata: oauth.AuthorizationServer;
    try {
      // The issuer is compared below, as a plain string.
      metadata = await oauth.processDiscoveryResponse(
        NO_ISSUER_CHECK,
        response,
      );
    } catch (err) {
      throw toAuthctlError(err, "discovery document", options.signal);
    }
    const template = tenantTemplate(options.issuer, metadata.issuer, preset);
    // RFC 8414 §3.3 is a simple string comparison; URL parsing alone would
    // equate "https://a.example" and "https://a.example/".
    if (metadata.issuer !== options.issuer && !template) {
      throw issuerMismatch(options.issuer, metadata.issuer);
    }
    checkPkceSupport(metadata, options.namedByResource);
    const kind = settings.provider && settings.provider !== "oidc"
      ? preset.kind
      : settings.provider === "oidc" || algorithm === "oidc" ||
          // Named by a resource, an RFC 8414 document may be an OpenID
          // provider's too: its scopes say so.
          (options.namedByResource !== undefined &&
            metadata.scopes_supported?.includes("openid"))
      ? "oidc"
      : "oauth2";
    return createSession({
      ...session,
      metadata: { ...metadata, ...given },
      kind,
      issuerTemplate: template,
    });
  }
  throw new ProviderError(
    "discovery_failed",
    `No OpenID Connect or OAuth 2.0 metadata found for the issuer "${options.issuer}" (HTTP ${lastStatus} from ${
      tried.map((t) => `"${t}"`).join(", ")
    }). Check the issuer URL, or give the endpoints (authorization_endpoint, token_endpoint) of a provider without discovery.`,
  );
}

/**
 * Where an issuer's metadata may be, in the order tried. By default OpenID
 * Connect discovery (path appended), then RFC 8414 (path inserted). For an
 * authorization server named by a protected resource, the MCP
 * authorization specification's order: RFC 8414 (path inserted), then
 * OpenID Connect with the path inserted, then appended.
 *
 * @see {@link https://www.rfc-editor.org/rfc/rfc8414.html#section-3.1}
 * @see {@link https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig}
 * @see {@link https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization}
 */
export function metadataLocations(
  issuer: URL,
  namedByResource: boolean,
): { url: URL; algorithm: "oidc" | "oauth2" }[] {
  const path = issuer.pathname.replace(/\/$/, "");
  const at = (p: string) => {
    const url = new URL(issuer.href);
    url.pathname = p.replace(/\/\/+/g, "/");
    return url;
  };
  const oauth2 = {
    url: at(`/.well-known/oauth-authorization-server${path}`),
    algorithm: "oauth2" as const,
  };
  const oidcAppended = {
    url: at(`${path}/.well-known/openid-configuration`),
    algorithm: "oidc" as const,
  };
  if (!namedByResource) return [oidcAppended, oauth2];
  const oidcInserted = {
    url: at(`/.well-known/openid-configuration${path}`),
    algorithm: "oidc" as const,
  };
  return path ? [oauth2, oidcInserted, oidcAppended] : [oauth2, oidcAppended];
}
