/**
 * Doubles of the hosted token services that take a CI job's token, built
 * from their documented behaviour (`../shared/PROVIDERS.md`, "Providers:
 * how they accept a CI token"), and strict in the same ways:
 *
 * - **Entra ID**: the client credentials grant with the CI token as the
 *   client assertion; the token's `aud` must be a federated credential's
 *   audience (`api://AzureADTokenExchange`), its `iss` and `sub` must match
 *   that credential exactly (case-sensitive); exactly one `<resource>/.default`
 *   scope. Its errors carry the documented AADSTS codes.
 * - **Google's STS**: RFC 8693 token exchange with no client
 *   authentication, the workload identity provider's `//iam.googleapis.com/…`
 *   name as `audience`, `requested_token_type` an access token, and the
 *   provider's issuer, allowed audiences and attribute condition checked.
 *
 * Each takes the request's form (so a test can use it in-process, or
 * {@linkcode serveTokenServices} serves both) and verifies the CI token's
 * signature with the keys it is given. Every check can be switched off: a
 * test shows that it bites.
 *
 * @module
 */

import * as jose from "jose";

/** The keys that verify a CI token (the CI's JWKS). */
export type CiKeys = jose.JWTVerifyGetKey;

/** An Entra federated credential, as `az ad app federated-credential create` takes it. */
export interface FederatedCredential {
  name?: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

/** An Entra-style token endpoint. */
export interface EntraDouble {
  /** The app registration's client ID. */
  readonly appId: string;
  /** The app's federated credentials. */
  credentials: FederatedCredential[];
  /** The checks in force. */
  checks: { audience: boolean; subject: boolean; expiry: boolean };
  /** Tokens it issued. */
  readonly issued: string[];
  /** Answers a POST to its token endpoint. */
  token(form: URLSearchParams, headers?: Headers): Promise<Response>;
}

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

/** An Entra-style token endpoint for `appId`, trusting `credentials`. */
export function entraDouble(
  appId: string,
  credentials: FederatedCredential[],
  keys: CiKeys,
): EntraDouble {
  const aadsts = (code: string, text: string, error = "invalid_client") =>
    Response.json({
      error,
      error_description: `${code}: ${text}`,
      error_codes: [Number(code.slice(6))],
    }, { status: error === "invalid_client" ? 401 : 400 });
  const double: EntraDouble = {
    appId,
    credentials,
    checks: { audience: true, subject: true, expiry: true },
    issued: [],
    async token(form) {
      if (form.get("grant_type") !== "client_credentials") {
        return aadsts(
          "AADSTS70003",
          "The app requested an unsupported grant type.",
          "unsupported_grant_type",
        );
      }
      if (form.get("client_id") !== appId) {
        return aadsts(
          "AADSTS700016",
          `Application with identifier '${
            form.get("client_id")
          }' was not found.`,
          "unauthorized_client",
        );
      }
      // One resource's .default, and nothing else (a mix is refused).
      const scope = form.get("scope") ?? "";
      if (!/^\S+\/\.default$/.test(scope)) {
        return aadsts(
          "AADSTS1002012",
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
          "invalid_scope",
        );
      }
      if (form.get("client_assertion_type") !== ASSERTION_TYPE) {
        return aadsts(
          "AADSTS7000218",
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      }
      let payload: jose.JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(
          form.get("client_assertion") ?? "",
          keys,
          double.checks.expiry ? {} : { currentDate: new Date(0) },
        ));
      } catch {
        return aadsts(
          "AADSTS700024",
          "Client assertion is not within its valid time range.",
        );
      }
      const audiences = [payload.aud ?? []].flat();
      const forAudience = double.credentials.filter((c) =>
        !double.checks.audience ||
        c.audiences.some((a) => audiences.includes(a))
      );
      if (!forAudience.length) {
        return aadsts(
          "AADSTS70021",
          "No matching federated identity record found for presented assertion audience.",
        );
      }
      if (
        double.checks.subject &&
        !forAudience.some((c) =>
          c.issuer === payload.iss && c.subject === payload.sub
        )
      ) {
        return aadsts(
          "AADSTS700213",
          `No matching federated identity record found for presented assertion subject '${payload.sub}'.`,
        );
      }
      const token = `entra-at-${crypto.randomUUID()}`;
      double.issued.push(token);
      return Response.json({
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    },
  };
  return double;
}

/** A workload identity pool's OIDC provider, as gcloud creates it. */
export interface WorkloadProvider {
  /** `projects/NUM/locations/global/workloadIdentityPools/POOL/providers/ID`. */
  name: string;
  /** `--issuer-uri`. */
  issuerUri: string;
  /** `--allowed-audiences`; empty: the provider's own URL, `https://iam.googleapis.com/<name>`. */
  allowedAudiences: string[];
  /** `--attribute-condition`: `assertion.CLAIM=='VALUE'` terms joined by `&&`. */
  attributeCondition?: string;
}

/** A Google STS double. */
export interface StsDouble {
  /** The pool providers it knows. */
  providers: WorkloadProvider[];
  /** The checks in force. */
  checks: { clientAuth: boolean; audience: boolean; condition: boolean };
  /** Tokens it issued. */
  readonly issued: string[];
  /** Answers a POST to `/v1/token`. */
  token(form: URLSearchParams, headers?: Headers): Promise<Response>;
}

/** A Google STS double over `providers`. */
export function stsDouble(
  providers: WorkloadProvider[],
  keys: CiKeys,
): StsDouble {
  const refuse = (error: string, description: string) =>
    Response.json({ error, error_description: description }, { status: 400 });
  const double: StsDouble = {
    providers,
    checks: { clientAuth: true, audience: true, condition: true },
    issued: [],
    async token(form, headers = new Headers()) {
      if (
        double.checks.clientAuth &&
        (headers.has("authorization") || form.has("client_secret") ||
          form.has("client_assertion") || form.has("client_id"))
      ) {
        return refuse(
          "invalid_request",
          "Client authentication is not supported by this endpoint.",
        );
      }
      if (form.get("grant_type") !== TOKEN_EXCHANGE) {
        return refuse(
          "unsupported_grant_type",
          `Unsupported grant type: ${form.get("grant_type")}.`,
        );
      }
      if (form.get("requested_token_type") !== ACCESS_TOKEN_TYPE) {
        return refuse(
          "invalid_request",
          "Invalid value for requested_token_type.",
        );
      }
      const type = form.get("subject_token_type");
      if (
        type !== "urn:ietf:params:oauth:token-type:jwt" &&
        type !== "urn:ietf:params:oauth:token-type:id_token"
      ) {
        return refuse("invalid_request", "Invalid subject_token_type.");
      }
      const audience = form.get("audience") ?? "";
      const provider = double.providers.find((p) =>
        audience === `//iam.googleapis.com/${p.name}`
      );
      if (!provider) {
        return refuse(
          "invalid_target",
          'The target service indicated by the "audience" parameters is invalid.',
        );
      }
      if (
        form.get("scope") !== "https://www.googleapis.com/auth/cloud-platform"
      ) {
        return refuse("invalid_scope", "Invalid scope.");
      }
      let payload: jose.JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(
          form.get("subject_token") ?? "",
          keys,
          { issuer: provider.issuerUri },
        ));
      } catch (err) {
        return refuse(
          "invalid_grant",
          `The subject token is invalid: ${(err as Error).message}.`,
        );
      }
      const allowed = provider.allowedAudiences.length
        ? provider.allowedAudiences
        : [`https://iam.googleapis.com/${provider.name}`];
      const audiences = [payload.aud ?? []].flat();
      if (
        double.checks.audience && !allowed.some((a) => audiences.includes(a))
      ) {
        return refuse(
          "invalid_grant",
          `The audience in ID Token [${
            audiences.join(",")
          }] does not match the expected audience.`,
        );
      }
      if (
        double.checks.condition && provider.attributeCondition &&
        !conditionHolds(provider.attributeCondition, payload)
      ) {
        return refuse(
          "unauthorized_client",
          "The given credential is rejected by the attribute condition.",
        );
      }
      const token = `ya29.sts-${crypto.randomUUID()}`;
      double.issued.push(token);
      return Response.json({
        access_token: token,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: "Bearer",
        expires_in: 3599,
      });
    },
  };
  return double;
}

/** `assertion.a=='x' && assertion.b=='y'`: the only CEL this double knows. */
function conditionHolds(condition: string, claims: jose.JWTPayload): boolean {
  return condition.split("&&").every((term) => {
    const m = /^\s*assertion\.(\w+)\s*==\s*'([^']*)'\s*$/.exec(term);
    if (!m) throw new Error(`the STS double cannot read "${term}"`);
    return claims[m[1]] === m[2];
  });
}

/** The Entra and STS doubles, served on one port. */
export interface TokenServices {
  readonly base: string;
  /** The Entra tenant's issuer: `<base>/<tenant>/v2.0` (discovery below it). */
  readonly entraIssuer: string;
  /** The STS token endpoint: `<base>/v1/token`. */
  readonly stsTokenEndpoint: string;
  close(): Promise<void>;
}

/** The tenant of the served Entra double. */
export const ENTRA_TENANT = "11111111-2222-3333-4444-555555555555";

/** Serves `entra` (as tenant {@linkcode ENTRA_TENANT}) and `sts` on 127.0.0.1. */
export function serveTokenServices(
  entra: EntraDouble,
  sts: StsDouble,
): TokenServices {
  let base = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const url = new URL(request.url);
      const form = () => request.text().then((t) => new URLSearchParams(t));
      const issuer = `${base}/${ENTRA_TENANT}/v2.0`;
      if (
        url.pathname ===
          `/${ENTRA_TENANT}/v2.0/.well-known/openid-configuration`
      ) {
        return Response.json({
          issuer,
          authorization_endpoint:
            `${base}/${ENTRA_TENANT}/oauth2/v2.0/authorize`,
          token_endpoint: `${base}/${ENTRA_TENANT}/oauth2/v2.0/token`,
          jwks_uri: `${base}/${ENTRA_TENANT}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "code id_token"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
          scopes_supported: ["openid", "profile", "email", "offline_access"],
        });
      }
      if (request.method !== "POST") return new Response(null, { status: 405 });
      if (url.pathname === `/${ENTRA_TENANT}/oauth2/v2.0/token`) {
        return await entra.token(await form(), request.headers);
      }
      if (url.pathname === "/v1/token") {
        return await sts.token(await form(), request.headers);
      }
      return new Response(null, { status: 404 });
    },
  );
  base = `http://127.0.0.1:${server.addr.port}`;
  return {
    base,
    entraIssuer: `${base}/${ENTRA_TENANT}/v2.0`,
    stsTokenEndpoint: `${base}/v1/token`,
    close: () => server.shutdown(),
  };
}
