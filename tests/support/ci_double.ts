/**
 * A CI double built from the documented contracts (`../shared/PROVIDERS.md`,
 * "CI jobs"): it signs real JWTs with jose and serves its JWKS and
 * discovery, GitHub's token service (GET, the request token as a bearer
 * token, `audience` appended to a URL that has a query already) and Azure
 * Pipelines' (POST only, `api-version=7.1`, a service connection). It is
 * strict: a wrong request token, a GET on the Azure endpoint or a missing
 * audience is refused. Buildkite's agent API (POST, the agent's token, the
 * audience in JSON) answers a stand-in `buildkite-agent` command. Usable in-process (`handle`) or behind a server.
 *
 * @module
 */

import * as jose from "jose";

/** The GitHub request token the double accepts. */
export const GITHUB_REQUEST_TOKEN = "gh-request-token-1";
/** The Azure Pipelines job token the double accepts. */
export const AZURE_ACCESS_TOKEN = "azure-system-token-1";
/** The Buildkite agent's access token (the agent's own, not the job's). */
export const BUILDKITE_AGENT_TOKEN = "bk-agent-token-1";
/** The Buildkite job the agent runs. */
export const BUILDKITE_JOB = "0190-job-1";
/** The Azure service connection the double knows. */
export const AZURE_CONNECTION = "conn-1";

/** A CI double. */
export interface CiDouble {
  /** Its issuer (the `iss` of its tokens). */
  readonly issuer: string;
  /** Tokens handed out by its token services (`/github`, `/azure`). */
  readonly issued: { via: string; aud: unknown }[];
  /** Every token it signed: the secrets a test looks for in output. */
  readonly signed: string[];
  /** The subject its tokens name. */
  subject: string;
  /** Lifetime of its tokens, in seconds. */
  lifetime: number;
  /** The Azure service connection it knows (default {@linkcode AZURE_CONNECTION}). */
  azureConnection: string;
  /** Answers one request (discovery, JWKS, the token services). */
  handle(request: Request): Promise<Response>;
  /** A token as the CI would give it, for `audience`. */
  sign(audience: string | undefined, extra?: jose.JWTPayload): Promise<string>;
  /** The variables GitHub Actions gives a job with `id-token: write`. */
  githubEnv(base: string): Record<string, string>;
  /** The variables Azure Pipelines gives a step that maps the job token. */
  azureEnv(base: string): Record<string, string>;
  /**
   * The variables a Buildkite job has, with a stand-in `buildkite-agent`
   * written into `bin` (put it first on PATH): it takes only `oidc
   * request-token [--audience AUD]` and asks the double's agent API, as the
   * real agent asks Buildkite's.
   */
  buildkiteEnv(base: string, bin: string): Promise<Record<string, string>>;
}

/**
 * The stand-in `buildkite-agent`: strict about its arguments, it POSTs the
 * audience to the agent API with the agent's token and prints the JWT.
 */
const BUILDKITE_AGENT = String.raw`#!/bin/sh
set -eu
if [ "$#" -lt 2 ] || [ "$1" != oidc ] || [ "$2" != request-token ]; then
  echo "buildkite-agent (double): only 'oidc request-token' is known, not: $*" >&2
  exit 2
fi
shift 2
audience=
while [ "$#" -gt 0 ]; do
  case "$1" in
    --audience) audience="$2"; shift 2 ;;
    *) echo "buildkite-agent (double): unknown flag $1" >&2; exit 2 ;;
  esac
done
answer=$(curl -fsS -X POST \
  -H "Authorization: Token $BUILDKITE_AGENT_ACCESS_TOKEN" \
  -H "Content-Type: application/json" \
  --data "{\"audience\":\"$audience\"}" \
  "$BUILDKITE_AGENT_ENDPOINT/jobs/$BUILDKITE_JOB_ID/oidc/tokens")
printf '%s\n' "$answer" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'
`;

/** A CI double whose tokens name `issuer` (where it is served). */
export async function ciDouble(issuer: string): Promise<CiDouble> {
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256");
  const jwk = { ...await jose.exportJWK(publicKey), kid: "ci-1", alg: "ES256" };
  const double: CiDouble = {
    issuer,
    issued: [],
    signed: [],
    subject: "repo:acme/app:ref:refs/heads/main",
    lifetime: 300,
    azureConnection: AZURE_CONNECTION,
    async sign(audience, extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      let jwt = new jose.SignJWT({
        repository: "acme/app",
        ref: "refs/heads/main",
        ...extra,
      })
        .setProtectedHeader({ alg: "ES256", kid: "ci-1", typ: "JWT" })
        .setIssuer(issuer)
        .setSubject(double.subject)
        .setIssuedAt(now)
        .setExpirationTime(now + double.lifetime)
        .setJti(crypto.randomUUID());
      if (audience) jwt = jwt.setAudience(audience);
      const token = await jwt.sign(privateKey);
      double.signed.push(token);
      return token;
    },
    async handle(request) {
      const url = new URL(request.url);
      const auth = request.headers.get("authorization") ?? "";
      switch (url.pathname) {
        case "/.well-known/openid-configuration":
          return Response.json({
            issuer,
            jwks_uri: `${issuer}/jwks`,
            id_token_signing_alg_values_supported: ["ES256"],
          });
        case "/jwks":
          return Response.json({ keys: [jwk] });
        case "/github": {
          if (request.method !== "GET") return status(405);
          if (auth !== `bearer ${GITHUB_REQUEST_TOKEN}`) return status(401);
          // The URL GitHub gives has a query already: audience is appended.
          if (url.searchParams.get("api-version") !== "2.0") return status(400);
          const audience = url.searchParams.get("audience") ?? undefined;
          double.issued.push({ via: "/github", aud: audience });
          return Response.json({ value: await double.sign(audience) });
        }
        case `/buildkite/v3/jobs/${BUILDKITE_JOB}/oidc/tokens`: {
          // The agent API: POST, the agent's token, the audience in JSON.
          if (request.method !== "POST") return status(405);
          if (auth !== `Token ${BUILDKITE_AGENT_TOKEN}`) return status(401);
          const body = await request.json().catch(() => ({}));
          if (typeof body.audience !== "string" || !body.audience) {
            return status(422);
          }
          double.issued.push({ via: "/buildkite", aud: body.audience });
          return Response.json({ token: await double.sign(body.audience) });
        }
        case "/azure": {
          if (request.method !== "POST") return status(405);
          if (auth !== `Bearer ${AZURE_ACCESS_TOKEN}`) return status(401);
          if (
            url.searchParams.get("api-version") !== "7.1" ||
            url.searchParams.get("serviceConnectionId") !==
              double.azureConnection
          ) return status(400);
          const audience = "api://AzureADTokenExchange";
          double.issued.push({ via: "/azure", aud: audience });
          return Response.json({ oidcToken: await double.sign(audience) });
        }
      }
      return status(404);
    },
    githubEnv: (base) => ({
      GITHUB_ACTIONS: "true",
      ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/github?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: GITHUB_REQUEST_TOKEN,
    }),
    azureEnv: (base) => ({
      TF_BUILD: "True",
      SYSTEM_OIDCREQUESTURI: `${base}/azure`,
      SYSTEM_ACCESSTOKEN: AZURE_ACCESS_TOKEN,
      AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: double.azureConnection,
    }),
    async buildkiteEnv(base, bin) {
      await Deno.mkdir(bin, { recursive: true });
      await Deno.writeTextFile(`${bin}/buildkite-agent`, BUILDKITE_AGENT, {
        mode: 0o755,
      });
      return {
        BUILDKITE: "true",
        BUILDKITE_AGENT_ENDPOINT: `${base}/buildkite/v3`,
        BUILDKITE_AGENT_ACCESS_TOKEN: BUILDKITE_AGENT_TOKEN,
        BUILDKITE_JOB_ID: BUILDKITE_JOB,
      };
    },
  };
  return double;
}

function status(code: number): Response {
  return new Response(`refused (${code})`, { status: code });
}

/** A CI double served on 127.0.0.1; its issuer is where it is served. */
export interface ServedCiDouble {
  ci: CiDouble;
  base: string;
  close(): Promise<void>;
}

/** Serves a new CI double on a free port of 127.0.0.1. */
export async function serveCiDouble(): Promise<ServedCiDouble> {
  let handle: (r: Request) => Promise<Response> = () =>
    Promise.resolve(new Response(null, { status: 503 }));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => handle(r),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const ci = await ciDouble(base);
  handle = ci.handle;
  return { ci, base, close: () => server.shutdown() };
}
