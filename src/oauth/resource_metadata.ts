/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): from a resource's URL
 * alone, find the authorization server that issues its tokens and the
 * scopes it wants, as the MCP authorization specification asks of clients.
 *
 * 1. An unauthenticated request to the resource; a `401` names the metadata
 *    in its challenge (`resource_metadata`, §5.1) and maybe the `scope`.
 * 2. Else the well-known location, path-inserted first
 *    (`/.well-known/oauth-protected-resource/PATH`), then at the root.
 * 3. The document's `resource` must be the URL asked about (§3.3): a
 *    document for another resource ends the login.
 *
 * @module
 */

import * as oauth from "oauth4webapi";
import { ProviderError, stripControl, UsageError } from "../errors.ts";
import { requireSecureUrl } from "../platform/env.ts";
import { challengesOf, isScopeToken, tokenChallenge } from "./challenge.ts";
import { toAuthctlError } from "./failure.ts";
import { Http, type NetworkOptions } from "./http.ts";
import { NO_ISSUER_CHECK } from "./metadata.ts";

/** What a protected resource said about itself. */
export interface ProtectedResource {
  /** The resource identifier, as its metadata spells it (RFC 8707's `resource`). */
  resource: string;
  /** Where the metadata came from. */
  metadataUrl: string;
  /** How it was found: named in a challenge, or at a well-known location. */
  foundBy: "challenge" | "well-known";
  /** `authorization_servers`, in the document's order (at least one). */
  authorizationServers: string[];
  /**
   * The scopes to ask for: the challenge's `scope`, else the document's
   * `scopes_supported`, else none.
   */
  scopes: string[];
  /** Where the scopes came from. */
  scopesFrom: "challenge" | "metadata" | "none";
  /** `resource_name`, when the document gives one (shown, never trusted). */
  name?: string;
}

/** Options of {@linkcode discoverProtectedResource}. */
export interface ResourceDiscoveryOptions {
  network: NetworkOptions;
  signal?: AbortSignal;
}

/**
 * Checks a resource URL: absolute, https (http only on loopback), no
 * fragment (RFC 8707 §2), no credentials.
 */
export function validateResourceUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new UsageError(
      "invalid_resource",
      `Invalid resource "${url}": not a URL. Give the server's URL, e.g. "https://mcp.example.com/mcp".`,
      { cause },
    );
  }
  requireSecureUrl(parsed, () =>
    new UsageError(
      "insecure_resource",
      `Refusing the resource "${url}": use its https URL (http only on loopback addresses).`,
    ));
  if (parsed.hash || url.includes("#") || parsed.username || parsed.password) {
    throw new UsageError(
      "invalid_resource",
      `Invalid resource "${url}": a resource has no fragment or credentials (RFC 8707 §2).`,
    );
  }
  return parsed;
}

/** Finds the resource's metadata (see the module doc). */
export async function discoverProtectedResource(
  url: string,
  options: ResourceDiscoveryOptions,
): Promise<ProtectedResource> {
  const resource = validateResourceUrl(url);
  const http = new Http(options.network, options.signal);
  // 1. Ask the resource itself, without a token.
  let challenge: Record<string, string | undefined> | undefined;
  try {
    // Streamed: an MCP server may answer a GET with an event stream; only
    // the head matters, and a redirect is simply no challenge.
    const response = await http.stream(resource.href, {
      method: "GET",
      headers: { accept: "application/json, text/event-stream" },
    });
    await response.body?.cancel();
    if (response.status === 401) {
      challenge = tokenChallenge(await challengesOf(response));
    }
  } catch (err) {
    throw toAuthctlError(err, "resource", options.signal, resource.href);
  }
  const named = challenge?.resource_metadata;
  const candidates: { url: URL; foundBy: ProtectedResource["foundBy"] }[] = [];
  if (named) {
    candidates.push({
      url: metadataUrl(named, resource),
      foundBy: "challenge",
    });
  }
  // 2. The well-known locations: path-inserted, then the root.
  const root = new URL("/.well-known/oauth-protected-resource", resource);
  if (resource.pathname !== "/") {
    const inserted = new URL(root);
    inserted.pathname = `${root.pathname}${resource.pathname}`.replace(
      /\/\/+/g,
      "/",
    );
    candidates.push({ url: inserted, foundBy: "well-known" });
  }
  candidates.push({ url: root, foundBy: "well-known" });
  const tried: string[] = [];
  for (const candidate of candidates) {
    if (tried.includes(candidate.url.href)) continue;
    tried.push(candidate.url.href);
    let response: Response;
    try {
      response = await http.discoveryFetch(candidate.url.href, {
        method: "GET",
        headers: { accept: "application/json" },
      });
    } catch (err) {
      throw toAuthctlError(err, "resource metadata", options.signal);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      continue;
    }
    let document: oauth.ResourceServer;
    try {
      // Compared below with our own message (RFC 9728 §3.3).
      document = await oauth.processResourceDiscoveryResponse(
        NO_ISSUER_CHECK,
        response,
      );
    } catch (err) {
      throw toAuthctlError(err, "resource metadata", options.signal);
    }
    return checkDocument(document, resource, candidate, challenge);
  }
  throw new ProviderError(
    "resource_metadata_not_found",
    `"${resource.href}" does not say where to log in: ${
      named
        ? "the metadata its challenge names"
        : "it answered without a resource_metadata challenge, and"
    } no protected-resource metadata (RFC 9728) was found at ${
      tried.map((t) => `"${t}"`).join(" or ")
    }. Configure the authorization server yourself (--issuer) and keep --resource.`,
  );
}

/** The metadata URL a challenge names: absolute, https or loopback http. */
function metadataUrl(named: string, resource: URL): URL {
  let url: URL;
  try {
    url = new URL(named);
  } catch {
    throw new ProviderError(
      "invalid_resource_metadata_url",
      `"${resource.href}" names its metadata at "${
        stripControl(named)
      }", which is not an absolute URL.`,
    );
  }
  return requireSecureUrl(url, () =>
    new ProviderError(
      "insecure_resource_metadata_url",
      `"${resource.href}" names its metadata at "${
        stripControl(named)
      }": refused, because it is not https.`,
    ));
}

function checkDocument(
  document: oauth.ResourceServer,
  resource: URL,
  found: { url: URL; foundBy: ProtectedResource["foundBy"] },
  challenge: Record<string, string | undefined> | undefined,
): ProtectedResource {
  let named: URL | undefined;
  try {
    named = new URL(document.resource);
  } catch { /* reported below */ }
  if (named?.href !== resource.href) {
    throw new ProviderError(
      "resource_mismatch",
      `The metadata at "${found.url.href}" is for the resource "${
        stripControl(String(document.resource))
      }", not "${resource.href}" (RFC 9728 §3.3), so nothing proceeds: it may not be this server's. Check the URL you gave; if it is right, the server's metadata is wrong.`,
    );
  }
  const servers = document.authorization_servers;
  if (
    !Array.isArray(servers) || servers.length === 0 ||
    servers.some((s) => typeof s !== "string" || s === "")
  ) {
    throw new ProviderError(
      "no_authorization_server",
      `The metadata of "${resource.href}" (at "${found.url.href}") names no authorization server (authorization_servers), so there is nowhere to log in. Configure one with --issuer.`,
    );
  }
  // Scope-tokens only: nothing else reaches the terminal, the
  // authorization request or config.toml.
  const supported = Array.isArray(document.scopes_supported)
    ? document.scopes_supported.filter(isScopeToken)
    : [];
  const fromChallenge = (challenge?.scope ?? "").split(" ").filter(
    isScopeToken,
  );
  return {
    resource: document.resource,
    metadataUrl: found.url.href,
    foundBy: found.foundBy,
    authorizationServers: [...servers],
    scopes: fromChallenge.length ? fromChallenge : supported,
    scopesFrom: fromChallenge.length
      ? "challenge"
      : supported.length
      ? "metadata"
      : "none",
    name: typeof document.resource_name === "string"
      ? stripControl(document.resource_name).slice(0, 200)
      : undefined,
  };
}
