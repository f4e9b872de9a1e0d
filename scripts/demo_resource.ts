/**
 * A protected resource for the demo and the tests, as an MCP server guards
 * itself (the MCP authorization specification): an anonymous request gets
 * `401` with `WWW-Authenticate: Bearer resource_metadata="…"`, its
 * protected-resource metadata (RFC 9728) names the demo provider, and a
 * token is accepted only when the provider's introspection says it is
 * active and its audience is this resource (RFC 8707). Never part of the
 * compiled binary.
 *
 * Resources, each at ORIGIN/NAME, with its metadata at
 * `/.well-known/oauth-protected-resource/NAME`:
 * - `/mcp`: wants `mcp:read` (said in its challenge); `/mcp/admin` below it
 *   wants `mcp:admin` too, and answers `403 insufficient_scope` without it;
 * - `/files`: a second resource on the same provider (scopes from its
 *   metadata, no `scope` in the challenge);
 * - `/quiet`: a challenge without `resource_metadata` (found at the
 *   well-known location);
 * - `/liar`: metadata for another resource (must be refused);
 * - `/nos256`: names an authorization server (served here, at
 *   `/fake-as`) whose metadata lists no PKCE methods (must be refused).
 *
 * Run: `deno run -A scripts/demo_resource.ts --issuer URL [--port N]`.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Options of {@linkcode startDemoResource}. */
export interface DemoResourceOptions {
  /** The authorization server the resources trust (the demo provider). */
  issuer: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** The provider's introspection client. */
  introspector?: { id: string; secret: string };
}

/** A running resource server. */
export interface DemoResource {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Requests seen, by path and outcome (for the tests). */
  seen: { path: string; status: number; authorized: boolean }[];
  close(): Promise<void>;
}

interface ResourceSpec {
  /** Scopes every request needs. */
  needs: string[];
  /** `scope` in the 401 challenge, if any. */
  challengeScope?: string;
  scopesSupported: string[];
  /** Put `resource_metadata` in the challenge. */
  namesMetadata: boolean;
  /** The `resource` its metadata claims (default: itself). */
  claims?: string;
  /** Its authorization server (default: the issuer). */
  authorizationServer?: string;
}

/** Paths below a resource that need more scopes. */
const STEP_UP: Record<string, string[]> = { "/mcp/admin": ["mcp:admin"] };

/** Starts the resource server on 127.0.0.1. */
export function startDemoResource(
  options: DemoResourceOptions,
): Promise<DemoResource> {
  const introspector = options.introspector ??
    { id: "introspector", secret: "introspector-secret" };
  const seen: DemoResource["seen"] = [];
  let origin = "";
  const specs = (): Record<string, ResourceSpec> => ({
    "/mcp": {
      needs: ["mcp:read"],
      challengeScope: "mcp:read",
      scopesSupported: ["mcp:read", "mcp:admin"],
      namesMetadata: true,
    },
    "/files": {
      needs: ["files:read"],
      scopesSupported: ["files:read"],
      namesMetadata: true,
    },
    "/quiet": {
      needs: ["mcp:read"],
      scopesSupported: ["mcp:read"],
      namesMetadata: false,
    },
    "/liar": {
      needs: [],
      scopesSupported: ["mcp:read"],
      namesMetadata: true,
      claims: `${origin}/somewhere-else`,
    },
    "/nos256": {
      needs: [],
      scopesSupported: ["mcp:read"],
      namesMetadata: true,
      authorizationServer: `${origin}/fake-as`,
    },
  });
  const json = (body: unknown, status = 200, headers: HeadersInit = {}) =>
    Response.json(body, {
      status,
      headers: { "cache-control": "no-store", ...headers },
    });

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname;
    const all = specs();
    const wellKnown = "/.well-known/oauth-protected-resource";
    if (path.startsWith(`${wellKnown}/`)) {
      const name = path.slice(wellKnown.length);
      const spec = all[name];
      if (!spec) return json({ error: "not_found" }, 404);
      return json({
        resource: spec.claims ?? `${origin}${name}`,
        resource_name: `Demo resource ${name}`,
        authorization_servers: [spec.authorizationServer ?? options.issuer],
        scopes_supported: spec.scopesSupported,
        bearer_methods_supported: ["header"],
      });
    }
    if (path === wellKnown) {
      // At the root: the server as a whole (the origin) is a resource too.
      return json({
        resource: `${origin}/`,
        authorization_servers: [options.issuer],
        scopes_supported: ["mcp:read"],
      });
    }
    if (path === "/.well-known/oauth-authorization-server/fake-as") {
      // A server that does not say it supports PKCE.
      return json({
        issuer: `${origin}/fake-as`,
        authorization_endpoint: `${origin}/fake-as/auth`,
        token_endpoint: `${origin}/fake-as/token`,
        response_types_supported: ["code"],
      });
    }
    const name = Object.keys(all).find((r) =>
      path === r || path.startsWith(`${r}/`)
    );
    if (!name) return json({ error: "not_found" }, 404);
    const spec = all[name];
    const resource = `${origin}${name}`;
    const challenge = (extra: string) =>
      [
        "Bearer",
        [
          spec.namesMetadata
            ? `resource_metadata="${origin}${wellKnown}${name}"`
            : "",
          extra,
        ].filter(Boolean).join(", "),
      ].join(" ");
    const token = /^Bearer (\S+)$/.exec(
      request.headers.get("authorization") ?? "",
    )?.[1];
    if (!token) {
      const scope = spec.challengeScope ? `scope="${spec.challengeScope}"` : "";
      return json({ error: "unauthorized" }, 401, {
        "www-authenticate": challenge(scope),
      });
    }
    const info = await introspect(token);
    const audience = typeof info.aud === "string"
      ? [info.aud]
      : Array.isArray(info.aud)
      ? info.aud
      : [];
    if (info.active !== true || !audience.includes(resource)) {
      return json({ error: "invalid_token" }, 401, {
        "www-authenticate": challenge(
          `error="invalid_token", error_description="${
            info.active === true
              ? `the token is not for ${resource}`
              : "inactive token"
          }"`,
        ),
      });
    }
    const granted = String(info.scope ?? "").split(" ").filter(Boolean);
    const needs = [...spec.needs, ...(STEP_UP[path] ?? [])];
    const missing = needs.filter((s) => !granted.includes(s));
    if (missing.length) {
      return json({ error: "insufficient_scope" }, 403, {
        "www-authenticate": challenge(
          `error="insufficient_scope", scope="${
            [...new Set([...spec.needs, ...needs])].join(" ")
          }"`,
        ),
      });
    }
    return json({ ok: true, resource, path, sub: info.sub, scope: info.scope });
  }

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${options.issuer}/token/introspection`, {
      method: "POST",
      headers: {
        authorization: `Basic ${
          btoa(`${introspector.id}:${introspector.secret}`)
        }`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ token }),
    });
    return response.ok ? await response.json() : { active: false };
  }

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: ({ port }) => {
        origin = `http://127.0.0.1:${port}`;
        resolve({
          origin,
          seen,
          close: () => server.shutdown(),
        });
      },
    }, async (request) => {
      const response = await handle(request);
      seen.push({
        path: new URL(request.url).pathname,
        status: response.status,
        authorized: request.headers.has("authorization"),
      });
      return response;
    });
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      issuer: { type: "string" },
      port: { type: "string", default: "0" },
    },
  });
  if (!values.issuer) {
    console.error("Give --issuer URL (the demo provider).");
    Deno.exit(2);
  }
  const resource = await startDemoResource({
    issuer: values.issuer,
    port: Number(values.port),
  });
  console.log(JSON.stringify({ origin: resource.origin }));
}
