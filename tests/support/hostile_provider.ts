/**
 * A hostile authorization server for the adversarial tests: a complete,
 * correct provider (discovery, authorization with auto-approval, PKCE-checked
 * code exchange, refresh, device grant, JWKS, userinfo, revocation) whose
 * every answer a scenario can bend in one named way.
 */

import * as jose from "jose";

/** What a token-endpoint answer is built from. */
export interface TokenContext {
  issuer: string;
  clientId: string;
  /** The nonce of the authorization request ("" for device and refresh). */
  nonce: string;
  grant: string;
  /** The token request's form. */
  form: URLSearchParams;
  /** The default ID token claims. */
  claims(): Record<string, unknown>;
  /** Signs claims with the published key (or as asked). */
  sign(
    claims: Record<string, unknown>,
    options?: {
      key?: CryptoKey | Uint8Array;
      alg?: string;
      kid?: string | null;
    },
  ): Promise<string>;
}

/** The bendable behaviour. */
export interface Hostile {
  /** Overrides of the discovery document. */
  metadata: Record<string, unknown>;
  /** Builds the query of the redirect back to the client. */
  callback(params: URLSearchParams, correct: URLSearchParams): string;
  /** The token endpoint's answer. */
  token(
    ctx: TokenContext,
    correct: () => Promise<Record<string, unknown>>,
  ): Promise<Response>;
  /** The JWKS, per fetch number (0, 1, …). */
  jwks(fetchNumber: number, keys: { k1: jose.JWK; k2: jose.JWK }): unknown;
  /** The userinfo answer. */
  userinfo(): unknown;
  /** The device authorization answer. */
  device(correct: Record<string, unknown>): Response;
}

/** A running hostile provider. */
export interface HostileProvider {
  issuer: string;
  clientId: string;
  hostile: Hostile;
  /** Requests per path. */
  hits: Map<string, number>;
  /** The form of every revocation request (RFC 7009), in order. */
  revocations: URLSearchParams[];
  /** Private keys: k1 is published; k2 only when a scenario publishes it. */
  keys: { k1: CryptoKey; k2: CryptoKey; stranger: CryptoKey };
  close(): Promise<void>;
}

const CLIENT_ID = "hostile-client";

/** Options of {@linkcode startHostileProvider}. */
export interface HostileOptions {
  /** Serve https with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
  /** The provider's clock is this many seconds ahead (Date headers, iat, exp). */
  skewSeconds?: number;
}

/** Starts a hostile provider on 127.0.0.1 behaving correctly. */
export async function startHostileProvider(
  options: HostileOptions = {},
): Promise<HostileProvider> {
  const k1 = await jose.generateKeyPair("RS256", { extractable: true });
  const k2 = await jose.generateKeyPair("RS256", { extractable: true });
  const stranger = await jose.generateKeyPair("RS256");
  const jwk1 = {
    ...await jose.exportJWK(k1.publicKey),
    kid: "k1",
    alg: "RS256",
    use: "sig",
  };
  const jwk2 = {
    ...await jose.exportJWK(k2.publicKey),
    kid: "k2",
    alg: "RS256",
    use: "sig",
  };
  let issuer = "";
  const codes = new Map<
    string,
    { challenge: string; nonce: string; redirect: string }
  >();
  const hits = new Map<string, number>();
  const revocations: URLSearchParams[] = [];
  let jwksFetches = 0;
  const skew = options.skewSeconds ?? 0;
  const now = () => Math.floor(Date.now() / 1000) + skew;

  const sign: TokenContext["sign"] = async (claims, options = {}) => {
    const alg = options.alg ?? "RS256";
    const header: jose.JWTHeaderParameters = { alg };
    if (options.kid !== null) header.kid = options.kid ?? "k1";
    if (alg === "none") {
      const enc = (o: unknown) =>
        new TextEncoder().encode(JSON.stringify(o)).toBase64({
          alphabet: "base64url",
          omitPadding: true,
        });
      return `${enc({ alg: "none" })}.${enc(claims)}.`;
    }
    return await new jose.SignJWT(claims).setProtectedHeader(header).sign(
      options.key ?? k1.privateKey,
    );
  };

  const hostile: Hostile = {
    metadata: {},
    callback: (_params, correct) => correct.toString(),
    token: async (_ctx, correct) => Response.json(await correct()),
    jwks: () => ({ keys: [jwk1] }),
    userinfo: () => ({ sub: "alice", email: "alice@hostile.test" }),
    device: (correct) => Response.json(correct),
  };

  const handler = async (req: Request): Promise<Response> => {
    {
      const url = new URL(req.url);
      hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
      const form = req.method === "POST"
        ? new URLSearchParams(await req.text())
        : new URLSearchParams();
      switch (url.pathname) {
        case "/.well-known/openid-configuration":
          return Response.json({
            issuer,
            authorization_endpoint: `${issuer}/auth`,
            token_endpoint: `${issuer}/token`,
            device_authorization_endpoint: `${issuer}/device/auth`,
            userinfo_endpoint: `${issuer}/me`,
            revocation_endpoint: `${issuer}/revoke`,
            jwks_uri: `${issuer}/jwks`,
            code_challenge_methods_supported: ["S256"],
            id_token_signing_alg_values_supported: ["RS256"],
            authorization_response_iss_parameter_supported: true,
            grant_types_supported: [
              "authorization_code",
              "refresh_token",
              "urn:ietf:params:oauth:grant-type:device_code",
            ],
            ...hostile.metadata,
          });
        case "/jwks":
          return Response.json(
            hostile.jwks(jwksFetches++, { k1: jwk1, k2: jwk2 }),
          );
        case "/auth": {
          const q = url.searchParams;
          const code = crypto.randomUUID();
          codes.set(code, {
            challenge: q.get("code_challenge") ?? "",
            nonce: q.get("nonce") ?? "",
            redirect: q.get("redirect_uri") ?? "",
          });
          const correct = new URLSearchParams({
            code,
            state: q.get("state") ?? "",
            iss: issuer,
          });
          return new Response(null, {
            status: 302,
            headers: {
              location: `${q.get("redirect_uri")}?${
                hostile.callback(q, correct)
              }`,
            },
          });
        }
        case "/device/auth":
          return hostile.device({
            device_code: "dc-hostile",
            user_code: "HOST-ILE1",
            verification_uri: `${issuer}/device`,
            expires_in: 60,
            interval: 1,
          });
        case "/token": {
          const grant = form.get("grant_type") ?? "";
          let nonce = "";
          if (grant === "authorization_code") {
            const entry = codes.get(form.get("code") ?? "");
            codes.delete(form.get("code") ?? "");
            const verifier = form.get("code_verifier") ?? "";
            const digest = new Uint8Array(
              await crypto.subtle.digest(
                "SHA-256",
                new TextEncoder().encode(verifier),
              ),
            )
              .toBase64({ alphabet: "base64url", omitPadding: true });
            if (
              !entry || entry.challenge !== digest ||
              entry.redirect !== form.get("redirect_uri")
            ) {
              return Response.json({ error: "invalid_grant" }, { status: 400 });
            }
            nonce = entry.nonce;
          } else if (grant === "refresh_token") {
            if (!(form.get("refresh_token") ?? "").startsWith("rt-")) {
              return Response.json({ error: "invalid_grant" }, { status: 400 });
            }
          }
          const claims = () => {
            const c: Record<string, unknown> = {
              iss: issuer,
              aud: CLIENT_ID,
              sub: "alice",
              iat: now(),
              exp: now() + 600,
            };
            if (nonce) c.nonce = nonce;
            return c;
          };
          const ctx: TokenContext = {
            issuer,
            clientId: CLIENT_ID,
            nonce,
            grant,
            form,
            claims,
            sign,
          };
          return await hostile.token(ctx, async () => ({
            access_token: `at-${crypto.randomUUID()}`,
            token_type: "Bearer",
            expires_in: 3600,
            refresh_token: `rt-${crypto.randomUUID()}`,
            scope: form.get("scope") ?? "openid offline_access",
            id_token: await sign(claims()),
          }));
        }
        case "/me":
          return Response.json(hostile.userinfo());
        case "/revoke":
          revocations.push(form);
          return new Response(null, { status: 200 });
        default:
          return new Response("not found", { status: 404 });
      }
    }
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...options.tls },
    async (req) => {
      const response = await handler(req);
      if (!skew) return response;
      const headers = new Headers(response.headers);
      headers.set("date", new Date(Date.now() + skew * 1000).toUTCString());
      return new Response(response.body, { status: response.status, headers });
    },
  );
  issuer = `${options.tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`;
  return {
    issuer,
    clientId: CLIENT_ID,
    hostile,
    hits,
    revocations,
    keys: {
      k1: k1.privateKey,
      k2: k2.privateKey,
      stranger: stranger.privateKey,
    },
    close: () => server.shutdown(),
  };
}
