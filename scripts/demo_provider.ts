/**
 * A local OpenID provider for the demo and the tests: oidc-provider from npm
 * (an OpenID-certified implementation) on 127.0.0.1, with one public native
 * client and a login page that accepts any user name. Never part of the
 * compiled binary.
 *
 * With `resources`, it is also the authorization server of the demo's
 * protected resources (scripts/demo_resource.ts), as an MCP server's
 * would be: open dynamic client registration (RFC 7591) and resource
 * indicators (RFC 8707) for any resource on 127.0.0.1, whose scopes are
 * `mcp:read`, `mcp:admin` and `files:read`.
 *
 * Run: `deno run -A scripts/demo_provider.ts [--port N] [--issuer URL] [--access-token-ttl S]
 * [--resources] [--closed-registration]
 * [--client-id-metadata-documents [--ca-file PEM]]`.
 * Prints one JSON line `{"issuer": …, "clientId": …}` on stdout once it listens.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import * as jose from "jose";

/** The demo client's ID. */
export const DEMO_CLIENT_ID = "authctl-demo";

/** Another public client the demo provider knows. */
export const OTHER_CLIENT_ID = "other-cli";

/** A CLI client the provider does not let use the device flow. */
export const NO_DEVICE_CLIENT_ID = "no-device-cli";

/** A CLI client the provider accepts only with pushed authorization requests. */
export const PAR_CLIENT_ID = "par-cli";

/** Options of {@linkcode startDemoProvider}. */
export interface DemoProviderOptions {
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  /**
   * The issuer, when it is not where the provider listens (a test's fault
   * proxy in front of it); default `http://127.0.0.1:PORT`.
   */
  issuer?: string;
  /** Access token lifetime in seconds. */
  accessTokenTtl?: number;
  /** Offer no revocation endpoint (a provider without RFC 7009). */
  noRevocation?: boolean;
  /** Answer every DPoP proof without the provider's nonce with a challenge. */
  dpopNonce?: boolean;
  /**
   * Registration (RFC 7591) and resource indicators (RFC 8707) for the
   * demo's protected resources.
   */
  resources?: boolean;
  /** With `resources`: registration needs an initial access token. */
  closedRegistration?: boolean;
  /**
   * Accept Client ID Metadata Documents (an https URL as the client ID),
   * fetched trusting this CA bundle too (a test's private CA).
   */
  clientIdMetadataDocuments?: { caFile?: string };
}

/** The scopes the demo's protected resources know. */
export const RESOURCE_SCOPES = "mcp:read mcp:admin files:read";

/** A running demo provider. */
export interface DemoProvider {
  issuer: string;
  /** Where it listens (the issuer's address, unless one was given). */
  listen: string;
  clientId: string;
  close(): Promise<void>;
}

/** A public native client: loopback redirects, code, refresh and device. */
function nativeClient(clientId: string) {
  return {
    client_id: clientId,
    application_type: "native" as const,
    token_endpoint_auth_method: "none",
    // Native clients may use any port on a loopback redirect (RFC 8252 §7.3).
    redirect_uris: ["http://127.0.0.1/callback"],
    grant_types: [
      "authorization_code",
      "refresh_token",
      "urn:ietf:params:oauth:grant-type:device_code",
    ],
    response_types: ["code"],
  };
}

/** A fetch that trusts `caFile` as well as the system's roots. */
function fetchTrusting(caFile: string) {
  const client = Deno.createHttpClient({
    caCerts: [Deno.readTextFileSync(caFile)],
  });
  return (url: string, init: RequestInit) =>
    fetch(url, { ...init, client } as RequestInit);
}

/** Starts the provider on 127.0.0.1. */
export async function startDemoProvider(
  options: DemoProviderOptions = {},
): Promise<DemoProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, "127.0.0.1", resolve)
  );
  const { port } = server.address() as AddressInfo;
  const issuer = options.issuer ?? `http://127.0.0.1:${port}`;
  const { privateKey } = await jose.generateKeyPair("RS256", {
    extractable: true,
  });
  const jwk = {
    ...await jose.exportJWK(privateKey),
    kid: "demo-1",
    use: "sig",
    alg: "RS256",
  };
  // Imported here so callers can quiet its start-up warnings first.
  const { default: Provider, errors } = await import("oidc-provider");
  const provider = new Provider(issuer, {
    // The demo's CLI client, and another CLI's (whose ID tokens a backend
    // for the first must refuse).
    clients: [
      nativeClient(DEMO_CLIENT_ID),
      nativeClient(OTHER_CLIENT_ID),
      {
        ...nativeClient(PAR_CLIENT_ID),
        require_pushed_authorization_requests: true,
      },
      {
        ...nativeClient(NO_DEVICE_CLIENT_ID),
        grant_types: ["authorization_code", "refresh_token"],
      },
      {
        // A resource server's own client, for the tests' introspection calls.
        client_id: "introspector",
        client_secret: "introspector-secret",
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomUUID()] },
    scopes: ["openid", "offline_access", "profile", "email"],
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
    },
    // Any user name is accepted on the development login page.
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        name: id,
        preferred_username: id,
        email: `${id}@example.test`,
        email_verified: true,
      }),
    }),
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: !options.noRevocation },
      ...(options.dpopNonce
        ? {
          dPoP: {
            enabled: true,
            nonceSecret: Buffer.from(
              crypto.getRandomValues(new Uint8Array(32)),
            ),
            requireNonce: () => true,
          },
        }
        : {}),
      introspection: { enabled: true },
      userinfo: { enabled: true },
      ...(options.clientIdMetadataDocuments
        ? { clientIdMetadataDocument: { enabled: true, ack: "draft-02" } }
        : {}),
      ...(options.resources
        ? {
          registration: {
            enabled: true,
            initialAccessToken: options.closedRegistration
              ? crypto.randomUUID()
              : false,
          },
          resourceIndicators: {
            enabled: true,
            // Strict: a token or refresh request that does not name the
            // resource again gets a token that is not the resource's (and
            // the demo resource refuses it).
            useGrantedResource: () => false,
            getResourceServerInfo: (_ctx: unknown, indicator: string) => {
              const url = new URL(indicator);
              if (url.hostname !== "127.0.0.1") {
                throw new errors.InvalidTarget();
              }
              return {
                scope: RESOURCE_SCOPES,
                audience: indicator,
                accessTokenFormat: "opaque",
                accessTokenTTL: options.accessTokenTtl ?? 3600,
              };
            },
          },
        }
        : {}),
    },
    ...(options.clientIdMetadataDocuments?.caFile
      ? { fetch: fetchTrusting(options.clientIdMetadataDocuments.caFile) }
      : {}),
    // As most MCP authorization servers do: a refresh token for any client
    // registered for the refresh grant (without offline_access's consent).
    ...(options.resources
      ? {
        issueRefreshToken: (
          _ctx: unknown,
          client: { grantTypeAllowed(type: string): boolean },
        ) => client.grantTypeAllowed("refresh_token"),
      }
      : {}),
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      IdToken: 3600,
      RefreshToken: 14 * 86400,
      Interaction: 3600,
      Session: 14 * 86400,
      Grant: 14 * 86400,
      DeviceCode: 600,
    },
  });
  // What the tests count: refresh requests, and grants revoked (which is what
  // oidc-provider does when a rotated refresh token is used again).
  const stats = {
    refreshSuccess: 0,
    refreshError: 0,
    grantsRevoked: 0,
    registrations: 0,
  };
  const grantType = (ctx: { oidc?: { params?: { grant_type?: unknown } } }) =>
    ctx.oidc?.params?.grant_type;
  provider.on("grant.success", (ctx: never) => {
    if (grantType(ctx) === "refresh_token") stats.refreshSuccess++;
  });
  provider.on("grant.error", (ctx: never) => {
    if (grantType(ctx) === "refresh_token") stats.refreshError++;
  });
  provider.on("grant.revoked", () => stats.grantsRevoked++);
  provider.on("registration_create.success", () => stats.registrations++);
  provider.use(
    async (ctx: { path: string; body: unknown }, next: () => Promise<void>) => {
      if (ctx.path === "/__test/stats") {
        ctx.body = stats;
        return;
      }
      await next();
    },
  );
  // Behind a test's proxy (an issuer given): the proxy's address, from its
  // X-Forwarded-Host, names the endpoints.
  if (options.issuer) provider.proxy = true;
  server.on("request", provider.callback());
  return {
    issuer,
    listen: `http://127.0.0.1:${port}`,
    clientId: DEMO_CLIENT_ID,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      issuer: { type: "string" },
      "access-token-ttl": { type: "string", default: "3600" },
      "no-revocation": { type: "boolean", default: false },
      "dpop-nonce": { type: "boolean", default: false },
      resources: { type: "boolean", default: false },
      "closed-registration": { type: "boolean", default: false },
      "client-id-metadata-documents": { type: "boolean", default: false },
      "ca-file": { type: "string" },
    },
  });
  // oidc-provider warns about its development defaults; they are the point here.
  console.warn = () => {};
  console.info = () => {};
  const provider = await startDemoProvider({
    port: Number(values.port),
    issuer: values.issuer,
    accessTokenTtl: Number(values["access-token-ttl"]),
    noRevocation: values["no-revocation"],
    dpopNonce: values["dpop-nonce"],
    resources: values.resources,
    closedRegistration: values["closed-registration"],
    clientIdMetadataDocuments: values["client-id-metadata-documents"]
      ? { caFile: values["ca-file"] }
      : undefined,
  });
  console.log(
    JSON.stringify({
      issuer: provider.issuer,
      clientId: provider.clientId,
      listen: provider.listen,
    }),
  );
}
