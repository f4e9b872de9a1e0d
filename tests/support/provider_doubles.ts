/**
 * Test doubles of hosted providers, one server with each under its own path
 * (`/github`, `/google`, `/microsoft`, `/auth0`), built from the documented
 * behaviours in shared/PROVIDERS.md and strict in the same ways:
 *
 * - GitHub: no discovery; fixed endpoints under the issuer; the token
 *   endpoint answers form-encoded unless asked for JSON, and reports every
 *   error with HTTP 200; `token_type` "bearer"; the web flow needs the
 *   client secret, the device flow does not; no ID token; who logged in from
 *   `GET /api/v3/user` (`login`, `id`). OAuth-app tokens come without
 *   `expires_in` (they never expire); the GitHub App client's expire after
 *   8 h with a rotating refresh token, whose refresh needs the secret
 *   unless the tokens came from the device flow. The user API answers 401
 *   (no challenge) for a token revoked with `POST /__revoke?token=…`.
 * - Refreshed ID tokens (Google, Entra, Auth0) carry `sub` (and Entra's
 *   `tid`) only: no name, no email.
 * - Google: discovery without `offline_access` in `scopes_supported`; the
 *   `offline_access` scope is `invalid_scope`; a refresh token only with
 *   `access_type=offline`; the token endpoint needs the client secret
 *   (exchange, refresh, device polling); refreshes omit `refresh_token`;
 *   the device answer names `verification_url`.
 * - Microsoft Entra ID: multi-tenant discovery whose issuer is the
 *   `{tenantid}` template; each ID token's `iss` holds its tenant (`tid`);
 *   `prompt=consent` is AADSTS90094; a refresh token only with
 *   `offline_access`, which the answer's `scope` never echoes; the port of
 *   a redirect URI is ignored only for `http://localhost`; no revocation.
 * - Auth0: the issuer ends with a slash; refresh tokens rotate, and a
 *   rotated one used again revokes the whole family.
 *
 * The authorization endpoint approves at once (302 to the redirect URI);
 * `POST /__delay?ms=…` makes the token endpoint answer that much later;
 * `POST /__slow?path=…&ms=…` does the same for any one path, and
 * `POST /__down?path=…&status=…` puts it behind a gateway that is down;
 * `POST /__clock?offset=…` sets the double's clock ahead (or behind) by that
 * many milliseconds; `POST /__jwks?status=503` takes its key set down;
 * device codes are approved with `POST /__approve?user_code=…`; Entra's
 * next ID tokens come from another tenant after `POST /__tenant?tid=…`.
 */

import * as jose from "jose";

/** One provider of the double. */
export interface DoubleProvider {
  /** The issuer to configure. */
  issuer: string;
  clientId: string;
  /** Its installed-app secret, when it has one. */
  clientSecret?: string;
}

/** The running doubles. */
export interface ProviderDoubles {
  url: string;
  github: DoubleProvider;
  /** GitHub with a GitHub App's client: expiring, rotating tokens. */
  githubApp: DoubleProvider;
  google: DoubleProvider;
  microsoft: DoubleProvider;
  auth0: DoubleProvider;
  /** The tenant every Entra user of the double belongs to. */
  tenant: string;
  /** Every request, as "METHOD /path", in order. */
  log: string[];
  /** The form of every token request, in order (what the client sent). */
  tokenRequests: URLSearchParams[];
  /** Every access token issued, with the grant it was issued for, in order. */
  issued: { grantType: string; accessToken: string }[];
  close(): Promise<void>;
}

type Name = "github" | "google" | "microsoft" | "auth0";

interface Grant {
  provider: Name;
  clientId: string;
  /** The GitHub App's tokens came from the device flow. */
  device?: boolean;
  redirectUri?: string;
  scope: string;
  nonce?: string;
  challenge?: string;
  offline: boolean;
}

const SECRET: Partial<Record<Name, string>> = {
  github: "github-app-secret",
  google: "GOCSPX-google-desktop-secret",
};
/** A GitHub App with expiring user tokens (GitHub's own client IDs: Iv23…). */
const GITHUB_APP = "Iv23.github-app";
const CLIENT: Record<Name, string> = {
  github: "Iv1.github-client",
  google: "123-google.apps.googleusercontent.com",
  microsoft: "00000000-aaaa-bbbb-cccc-000000000001",
  auth0: "auth0-cli-client",
};

/** Starts the doubles on 127.0.0.1. */
export async function startProviderDoubles(): Promise<ProviderDoubles> {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", {
    extractable: true,
  });
  const jwk = { ...await jose.exportJWK(publicKey), kid: "k1", alg: "RS256" };
  const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  // The tenant of the next ID tokens (POST /__tenant?tid= changes it).
  let currentTenant = tenant;
  const log: string[] = [];
  const tokenRequests: URLSearchParams[] = [];
  // The double's clock, ahead of the machine's by `clockOffsetMs` (POST
  // /__clock?offset=…): its ID tokens' times, and its Date header unless
  // &date=real (a provider whose tokens and Date header disagree).
  let clockOffsetMs = 0;
  let shiftDate = true;
  const providerNow = () => Math.floor((Date.now() + clockOffsetMs) / 1000);
  // What the key set answers (POST /__jwks?status=…): 200, or an outage.
  let jwksStatus = 200;
  // How long the token endpoint takes to answer (POST /__delay?ms=…), for
  // one grant type (&grant=…) or all.
  let tokenDelayMs = 0;
  let delayedGrant: string | undefined;
  const issued: { grantType: string; accessToken: string }[] = [];
  // Paths that answer late (POST /__slow?path=…&ms=…; ms=0 removes one).
  const slowPaths = new Map<string, number>();
  // Paths behind a gateway that is down (POST /__down?path=…&status=503):
  // an HTML page with that status, before the double sees the request.
  const downPaths = new Map<string, number>();
  const codes = new Map<string, Grant>();
  const access = new Map<string, Grant>();
  /** refresh token → its family; a used one is remembered as used. */
  const refresh = new Map<string, { grant: Grant; family: string }>();
  const usedRefresh = new Map<string, string>();
  const revokedFamilies = new Set<string>();
  const devices = new Map<string, { grant: Grant; approved: boolean }>();
  const userCodes = new Map<string, string>();
  let base = "";
  const random = () => crypto.getRandomValues(new Uint8Array(16)).toHex();
  const issuerOf = (p: Name) =>
    p === "microsoft"
      ? `${base}/microsoft/organizations/v2.0`
      : p === "auth0"
      ? `${base}/auth0/`
      : `${base}/${p}`;

  const idToken = async (
    grant: Grant,
    withNonce: boolean,
    refreshed = false,
  ) => {
    const iss = grant.provider === "microsoft"
      ? `${base}/microsoft/${currentTenant}/v2.0`
      : issuerOf(grant.provider);
    // The names reach the ID token only with the scopes that ask for them
    // (Entra: profile; Google: email, profile), and never after a refresh.
    const scopes = grant.scope.split(" ");
    const strict = grant.provider === "microsoft" ||
      grant.provider === "google";
    const named = !refreshed && (!strict || scopes.includes("profile"));
    const emailed = !refreshed &&
      (grant.provider !== "google" || scopes.includes("email"));
    return await new jose.SignJWT({
      ...(named ? { name: "Alice Example", preferred_username: "alice" } : {}),
      ...(emailed ? { email: "alice@double.test" } : {}),
      ...(withNonce && grant.nonce ? { nonce: grant.nonce } : {}),
      ...(grant.provider === "microsoft" ? { tid: currentTenant } : {}),
    })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(iss)
      .setSubject("alice-sub")
      .setAudience(grant.clientId)
      .setIssuedAt(providerNow())
      .setExpirationTime(providerNow() + 3600)
      .sign(privateKey);
  };

  /** The token answer, in the provider's dialect. */
  const answer = (p: Name, body: Record<string, unknown>, req: Request) => {
    if (p === "github") {
      const json = req.headers.get("accept")?.includes("application/json");
      // GitHub: errors with HTTP 200; form-encoded unless JSON is asked for.
      if (!json) {
        return new Response(
          new URLSearchParams(
            Object.entries(body).map(([k, v]) => [k, String(v)]),
          ).toString(),
          { headers: { "content-type": "application/x-www-form-urlencoded" } },
        );
      }
      return Response.json(body);
    }
    return Response.json(body, { status: "error" in body ? 400 : 200 });
  };
  const error = (p: Name, req: Request, code: string, description?: string) =>
    answer(p, {
      error: code,
      ...(description ? { error_description: description } : {}),
    }, req);

  const tokens = async (grant: Grant, withNonce: boolean, rotate?: string) => {
    const accessToken = `at-${grant.provider}-${random()}`;
    access.set(accessToken, grant);
    issued.push({
      grantType: rotate
        ? "refresh_token"
        : grant.device
        ? "device_code"
        : "authorization_code",
      accessToken,
    });
    const app = grant.clientId === GITHUB_APP;
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: grant.provider === "github" ? "bearer" : "Bearer",
      // GitHub: OAuth-app tokens never expire; GitHub App tokens last 8 h.
      ...(grant.provider !== "github"
        ? { expires_in: 3600 }
        : app
        ? { expires_in: 28800, refresh_token_expires_in: 15897600 }
        : {}),
      // Entra never echoes offline_access in the granted scope.
      scope: grant.provider === "microsoft"
        ? grant.scope.split(" ").filter((s) => s !== "offline_access").join(" ")
        : grant.scope,
    };
    if (grant.provider !== "github") {
      body.id_token = await idToken(grant, withNonce, rotate !== undefined);
    }
    // Google keeps the refresh token it gave; the others rotate.
    if (
      (grant.offline || app) && !(grant.provider === "google" && rotate)
    ) {
      const token = `rt-${grant.provider}-${random()}`;
      refresh.set(token, { grant, family: rotate ?? random() });
      body.refresh_token = token;
    }
    return body;
  };

  const needsSecret = (
    p: Name,
    form: URLSearchParams,
    grantType: string,
  ) => {
    const secret = SECRET[p];
    if (!secret) return false;
    // GitHub's device flow needs no secret; its web flow does, and so does
    // the refresh of web-flow tokens (not of device-flow ones).
    if (p === "github" && grantType.endsWith("device_code")) return false;
    if (p === "github" && grantType === "refresh_token") {
      const entry = refresh.get(form.get("refresh_token") ?? "");
      if (entry?.grant.device) return false;
    }
    return form.get("client_secret") !== secret;
  };

  const clientOf = (p: Name, id: string | null) =>
    id === CLIENT[p] || (p === "github" && id === GITHUB_APP);

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    log.push(`${req.method} ${url.pathname}`);
    const [, first, ...rest] = url.pathname.split("/");
    const p = first as Name;
    const path = "/" + rest.join("/");
    const form = req.method === "POST"
      ? new URLSearchParams(await req.text())
      : new URLSearchParams();
    if (first === "__tenant") {
      currentTenant = url.searchParams.get("tid") ?? tenant;
      return new Response("ok");
    }
    if (first === "__clock") {
      clockOffsetMs = Number(url.searchParams.get("offset") ?? 0);
      shiftDate = url.searchParams.get("date") !== "real";
      return new Response("ok");
    }
    if (first === "__jwks") {
      jwksStatus = Number(url.searchParams.get("status") ?? 200);
      return new Response("ok");
    }
    if (first === "__down") {
      const target = url.searchParams.get("path") ?? "";
      const status = Number(url.searchParams.get("status") ?? 0);
      if (status) downPaths.set(target, status);
      else downPaths.delete(target);
      return new Response("ok");
    }
    if (first === "__slow") {
      const target = url.searchParams.get("path") ?? "";
      const ms = Number(url.searchParams.get("ms") ?? 0);
      if (ms) slowPaths.set(target, ms);
      else slowPaths.delete(target);
      return new Response("ok");
    }
    if (first === "__delay") {
      tokenDelayMs = Number(url.searchParams.get("ms") ?? 0);
      delayedGrant = url.searchParams.get("grant") || undefined;
      return new Response("ok");
    }
    if (first === "__revoke") {
      access.delete(url.searchParams.get("token") ?? "");
      return new Response("revoked");
    }
    if (first === "__approve") {
      const device = userCodes.get(url.searchParams.get("user_code") ?? "");
      if (!device) return new Response("unknown code", { status: 404 });
      devices.get(device)!.approved = true;
      return new Response("approved");
    }
    if (!(p in CLIENT)) return new Response("not found", { status: 404 });
    const issuer = issuerOf(p);

    // Discovery (none for GitHub's user login).
    const discovery = p === "microsoft"
      ? "/organizations/v2.0/.well-known/openid-configuration"
      : "/.well-known/openid-configuration";
    if (req.method === "GET" && path === discovery && p !== "github") {
      const prefix = p === "microsoft"
        ? `${base}/microsoft/organizations`
        : `${base}/${p}`;
      return Response.json({
        issuer: p === "microsoft"
          ? `${base}/microsoft/{tenantid}/v2.0`
          : issuer,
        authorization_endpoint: p === "microsoft"
          ? `${prefix}/oauth2/v2.0/authorize`
          : `${prefix}/authorize`,
        token_endpoint: p === "microsoft"
          ? `${prefix}/oauth2/v2.0/token`
          : `${prefix}/token`,
        device_authorization_endpoint: p === "microsoft"
          ? `${prefix}/oauth2/v2.0/devicecode`
          : `${prefix}/device/code`,
        userinfo_endpoint: `${prefix}/userinfo`,
        jwks_uri: `${prefix}/jwks`,
        ...(p === "auth0"
          ? { revocation_endpoint: `${prefix}/oauth/revoke` }
          : {}),
        ...(p === "google" ? { revocation_endpoint: `${prefix}/revoke` } : {}),
        scopes_supported: p === "google"
          ? ["openid", "email", "profile"]
          : ["openid", "email", "profile", "offline_access"],
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["plain", "S256"],
      });
    }
    const tail = path.replace(/^\/organizations/, "")
      .replace(/^\/oauth2\/v2\.0/, "").replace(/^\/login\/oauth/, "")
      .replace(/^\/login/, "");
    if (req.method === "GET" && tail === "/jwks") {
      if (jwksStatus !== 200) {
        return new Response("<html>Service Unavailable</html>", {
          status: jwksStatus,
          headers: { "content-type": "text/html" },
        });
      }
      return Response.json({ keys: [jwk] });
    }
    if (req.method === "GET" && tail === "/authorize") {
      const q = url.searchParams;
      const redirect = q.get("redirect_uri") ?? "";
      const back = (params: Record<string, string>) =>
        new Response(null, {
          status: 302,
          headers: {
            location: `${redirect}?${new URLSearchParams({
              ...params,
              state: q.get("state") ?? "",
            })}`,
          },
        });
      if (!clientOf(p, q.get("client_id"))) {
        return new Response("unknown client", { status: 400 });
      }
      const r = new URL(redirect);
      // Redirect URIs: loopback only; Entra ignores the port only for
      // localhost; GitHub matches the path (/callback).
      const registered = p === "microsoft"
        ? r.hostname === "localhost" && r.pathname === "/callback"
        : ["127.0.0.1", "localhost", "[::1]"].includes(r.hostname) &&
          r.pathname === "/callback";
      if (!registered) {
        return new Response(
          `redirect_uri_mismatch: ${redirect} is not registered`,
          { status: 400 },
        );
      }
      const scope = q.get("scope") ?? "";
      const scopes = scope.split(" ");
      if (p === "google" && scopes.includes("offline_access")) {
        return back({
          error: "invalid_scope",
          error_description:
            "Some requested scopes were invalid. {invalid=[offline_access]}",
        });
      }
      if (p === "microsoft" && q.get("prompt") === "consent") {
        return back({
          error: "consent_required",
          error_description:
            "AADSTS90094: The grant requires admin permission.",
        });
      }
      const code = `code-${random()}`;
      codes.set(code, {
        provider: p,
        clientId: q.get("client_id")!,
        redirectUri: redirect,
        scope,
        nonce: q.get("nonce") ?? undefined,
        challenge: q.get("code_challenge") ?? undefined,
        offline: p === "google"
          ? q.get("access_type") === "offline"
          : p === "github"
          ? false
          : scopes.includes("offline_access"),
      });
      return back({ code });
    }
    if (
      req.method === "POST" &&
      (tail === "/device/code" || tail === "/devicecode")
    ) {
      const deviceCode = `dc-${random()}`;
      const userCode = `${random().slice(0, 4)}-${random().slice(0, 4)}`
        .toUpperCase().replace(/[0-9]/g, "K");
      const scope = form.get("scope") ?? "";
      devices.set(deviceCode, {
        grant: {
          provider: p,
          clientId: form.get("client_id") ?? "",
          device: true,
          scope,
          offline: p === "google" ? true : p !== "github" &&
            scope.split(" ").includes("offline_access"),
        },
        approved: false,
      });
      userCodes.set(userCode, deviceCode);
      const verification = `${base}/${p}/activate`;
      return answer(p, {
        device_code: deviceCode,
        user_code: userCode,
        // Google names it verification_url.
        [p === "google" ? "verification_url" : "verification_uri"]:
          verification,
        ...(p === "auth0"
          ? {
            verification_uri_complete: `${verification}?user_code=${userCode}`,
          }
          : {}),
        expires_in: 900,
        interval: 1,
      }, req);
    }
    if (
      req.method === "POST" && (tail === "/token" || tail === "/access_token")
    ) {
      const grantType = form.get("grant_type") ?? "";
      tokenRequests.push(form);
      if (tokenDelayMs && (!delayedGrant || delayedGrant === grantType)) {
        await new Promise((r) => setTimeout(r, tokenDelayMs));
      }
      if (needsSecret(p, form, grantType)) {
        return p === "github"
          ? error(p, req, "incorrect_client_credentials")
          : error(p, req, "invalid_request", "client_secret is missing.");
      }
      if (!clientOf(p, form.get("client_id"))) {
        return error(p, req, "invalid_client");
      }
      if (grantType === "authorization_code") {
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        if (!grant || grant.redirectUri !== form.get("redirect_uri")) {
          return error(
            p,
            req,
            p === "github" ? "bad_verification_code" : "invalid_grant",
          );
        }
        if (grant.challenge) {
          const digest = new Uint8Array(
            await crypto.subtle.digest(
              "SHA-256",
              new TextEncoder().encode(form.get("code_verifier") ?? ""),
            ),
          ).toBase64({ alphabet: "base64url", omitPadding: true });
          if (digest !== grant.challenge) return error(p, req, "invalid_grant");
        }
        return answer(p, await tokens(grant, true), req);
      }
      if (grantType === "refresh_token") {
        const given = form.get("refresh_token") ?? "";
        const entry = refresh.get(given);
        const replayed = usedRefresh.get(given);
        if (replayed !== undefined) {
          // Auth0: reuse of a rotated token revokes the whole family.
          if (p === "auth0") revokedFamilies.add(replayed);
          return error(
            p,
            req,
            "invalid_grant",
            "Unknown or invalid refresh token.",
          );
        }
        if (!entry || revokedFamilies.has(entry.family)) {
          return error(
            p,
            req,
            "invalid_grant",
            "Unknown or invalid refresh token.",
          );
        }
        if (p !== "google") {
          refresh.delete(given);
          usedRefresh.set(given, entry.family);
        }
        return answer(p, await tokens(entry.grant, false, entry.family), req);
      }
      if (grantType === "urn:ietf:params:oauth:grant-type:device_code") {
        const device = devices.get(form.get("device_code") ?? "");
        if (!device) return error(p, req, "expired_token");
        if (!device.approved) return error(p, req, "authorization_pending");
        devices.delete(form.get("device_code")!);
        return answer(p, await tokens(device.grant, false), req);
      }
      return error(p, req, "unsupported_grant_type");
    }
    if (
      req.method === "POST" && (tail === "/revoke" || tail === "/oauth/revoke")
    ) {
      const token = form.get("token") ?? "";
      const entry = refresh.get(token);
      if (entry) revokedFamilies.add(entry.family);
      access.delete(token);
      return new Response(null, { status: 200 });
    }
    const bearer = /^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "")
      ?.[1];
    const user = bearer ? access.get(bearer) : undefined;
    if (
      req.method === "GET" && (tail === "/userinfo" || path === "/api/v3/user")
    ) {
      if (!user || user.provider !== p) {
        return Response.json({ message: "Bad credentials" }, { status: 401 });
      }
      return p === "github"
        ? Response.json({
          login: "alice",
          id: 4242,
          name: "Alice Example",
          email: "alice@double.test",
        })
        : Response.json({
          sub: "alice-sub",
          name: "Alice Example",
          email: "alice@double.test",
        });
    }
    return new Response("not found", { status: 404 });
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      const slow = slowPaths.get(path);
      if (slow) await new Promise((r) => setTimeout(r, slow));
      const down = downPaths.get(path);
      if (down) {
        await req.body?.cancel();
        return new Response("<html><body>Service Unavailable</body></html>", {
          status: down,
          headers: { "content-type": "text/html" },
        });
      }
      const response = await handler(req);
      if (clockOffsetMs && shiftDate) {
        response.headers.set(
          "date",
          new Date(Date.now() + clockOffsetMs).toUTCString(),
        );
      }
      return response;
    },
  );
  base = `http://127.0.0.1:${server.addr.port}`;
  const provider = (p: Name): DoubleProvider => ({
    issuer: issuerOf(p),
    clientId: CLIENT[p],
    clientSecret: SECRET[p],
  });
  return {
    url: base,
    github: provider("github"),
    githubApp: { ...provider("github"), clientId: GITHUB_APP },
    google: provider("google"),
    microsoft: provider("microsoft"),
    auth0: provider("auth0"),
    tenant,
    log,
    tokenRequests,
    issued,
    close: () => server.shutdown(),
  };
}
