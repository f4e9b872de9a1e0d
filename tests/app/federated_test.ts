/**
 * Logging in without a person, over a fake session: a CI token exchanged
 * (RFC 8693, an Entra-style client assertion, jwt-bearer), client
 * credentials (a secret, a signed assertion), and a long job whose tokens
 * are renewed from a new CI token. The provider answers in-process; the CI
 * double signs real JWTs.
 */

import * as jose from "jose";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
} from "../support/assert.ts";
import { appDeps, settingsFor } from "../support/app_deps.ts";
import { type CiDouble, ciDouble } from "../support/ci_double.ts";
import {
  type InProcessProvider,
  inProcessProvider,
} from "../support/in_process.ts";
import { entraDouble, stsDouble } from "../support/token_services.ts";
import { login } from "../../src/app/login.ts";
import { getToken } from "../../src/app/token.ts";
import type { Settings } from "../../src/config/settings.ts";
import { envFrom } from "../../src/platform/env.ts";

const LOGIN = { flow: "auto", timeoutMs: 1000 };

/** A provider and a CI double on one in-process transport. */
async function setUp(
  vars: (ci: CiDouble) => Record<string, string> = () => ({}),
) {
  const p = await inProcessProvider();
  const ci = await ciDouble("https://ci.example");
  for (const path of ["/github", "/azure", "/jwks-ci"]) {
    p.routes.set(path, (r) =>
      ci.handle(
        new Request(
          r.url.href.replace("/jwks-ci", "/jwks"),
          { method: r.method, headers: r.headers },
        ),
      ));
  }
  const t = appDeps(p);
  t.deps.env = envFrom(vars(ci));
  return { p, ci, ...t };
}

/** The CI double's keys, as a provider that trusts its issuer holds them. */
async function ciKeys(ci: CiDouble) {
  const jwks = await (await ci.handle(new Request(`${ci.issuer}/jwks`))).json();
  return jose.createLocalJWKSet(jwks);
}

const issued = (n: number, lifetime = 3600) =>
  Response.json({
    access_token: `exchanged-${n}`,
    token_type: "Bearer",
    expires_in: lifetime,
  });

Deno.test("federated: RFC 8693 token exchange with exactly the configured scope and audience", async () => {
  const { p, ci, deps, store } = await setUp();
  const token = await ci.sign("https://as.example");
  deps.env = envFrom({ CI_JWT: token });
  let n = 0;
  p.routes.set("/token", () => issued(++n));
  const result = await login(
    deps,
    settingsFor(p, {
      AUTHCTL_FEDERATED: "env:CI_JWT",
      AUTHCTL_SCOPES: "deploy",
      AUTHCTL_AUDIENCE: "https://api.example",
    }),
    LOGIN,
  );
  assert(result.loggedIn);
  const [sent] = p.to("/token");
  assertEquals(
    sent.form.get("grant_type"),
    "urn:ietf:params:oauth:grant-type:token-exchange",
  );
  assertEquals(sent.form.get("subject_token"), token);
  assertEquals(
    sent.form.get("subject_token_type"),
    "urn:ietf:params:oauth:token-type:jwt",
  );
  // Only what was configured: no openid, no offline_access.
  assertEquals(sent.form.get("scope"), "deploy");
  assertEquals(sent.form.get("audience"), "https://api.example");
  assertEquals(sent.form.has("client_secret"), false);
  const saved = (await store.get("default"))!;
  assertEquals(saved.flow, "federated");
  assertEquals(saved.accessToken, "exchanged-1");
  assertEquals(saved.federated, {
    source: "env:CI_JWT",
    iss: ci.issuer,
    sub: ci.subject,
  });
  // The CI token is sent, never kept.
  assertEquals(JSON.stringify(saved).includes(token), false);
});

Deno.test("federated: Entra's client assertion from GitHub, for its audience; a subject that matches no credential is explained", async () => {
  const { p, ci, deps, store } = await setUp((ci) =>
    ci.githubEnv("https://ci.example")
  );
  const env = {
    AUTHCTL_PROVIDER: "microsoft",
    AUTHCTL_FEDERATED: "github",
    AUTHCTL_SCOPES: "api://deploy/.default",
  };
  const entra = entraDouble("cli", [{
    issuer: ci.issuer,
    subject: ci.subject,
    audiences: ["api://AzureADTokenExchange"],
  }], await ciKeys(ci));
  p.routes.set("/token", (r) => entra.token(r.form, r.headers));
  await login(deps, settingsFor(p, env), LOGIN);
  // The preset's audience was asked of GitHub; no interactive scopes sent.
  assertEquals(ci.issued.at(-1), {
    via: "/github",
    aud: "api://AzureADTokenExchange",
  });
  assertEquals(
    p.to("/token")[0].form.get("scope"),
    "api://deploy/.default",
  );
  assertEquals((await store.get("default"))?.accessToken, entra.issued[0]);

  // Another branch: no federated credential matches its subject.
  ci.subject = "repo:acme/app:ref:refs/heads/feature";
  const err = await login(deps, settingsFor(p, env), { ...LOGIN, force: true })
    .then(() => undefined, (e) => e);
  assertEquals(err?.code, "exchange_refused");
  assertMatch(err.message, /AADSTS700213/);
  assertMatch(
    err.message,
    /iss "https:\/\/ci\.example", sub "repo:acme\/app:ref:refs\/heads\/feature", aud "api:\/\/AzureADTokenExchange"/,
  );
  assertMatch(err.message, /compare its issuer and subject/);
  // Negative control: a double that does not check the subject lets it in.
  entra.checks.subject = false;
  await login(deps, settingsFor(p, env), { ...LOGIN, force: true });
  entra.checks.subject = true;
  ci.subject = "repo:acme/app:ref:refs/heads/main";

  // A wrong audience is refused, and said with its own hint.
  const wrong = { ...env, AUTHCTL_FEDERATED_AUDIENCE: "api://wrong" };
  await assertRejects(
    () => login(deps, settingsFor(p, wrong), { ...LOGIN, force: true }),
    {
      message:
        /AADSTS70021[\s\S]*aud "api:\/\/wrong"[\s\S]*credential's audience/,
    },
  );
  // Negative control: without the audience check, it passes.
  entra.checks.audience = false;
  await login(deps, settingsFor(p, wrong), { ...LOGIN, force: true });

  // Interactive scopes mixed in are refused: exactly what was configured
  // is sent (the double refuses a mix, as Entra does).
  assertEquals(
    (await entra.token(
      new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "cli",
        scope: "openid api://deploy/.default",
      }),
    )).status,
    400,
  );
});

Deno.test("federated: Google's STS: a token exchange from no client at a token endpoint alone; each of its checks bites", async () => {
  const { p, ci, deps, store } = await setUp((ci) =>
    ci.githubEnv("https://ci.example")
  );
  const name =
    "projects/123456789/locations/global/workloadIdentityPools/ci/providers/github";
  const sts = stsDouble([{
    name,
    issuerUri: ci.issuer,
    allowedAudiences: [],
    attributeCondition: "assertion.repository=='acme/app'",
  }], await ciKeys(ci));
  p.routes.set("/token", (r) => sts.token(r.form, r.headers));
  const env = {
    AUTHCTL_PROVIDER: "oauth2",
    AUTHCTL_TOKEN_ENDPOINT: `${p.issuer}/token`,
    AUTHCTL_FEDERATED: "github",
    AUTHCTL_FEDERATED_AUDIENCE: `https://iam.googleapis.com/${name}`,
    AUTHCTL_AUDIENCE: `//iam.googleapis.com/${name}`,
    AUTHCTL_SCOPES: "https://www.googleapis.com/auth/cloud-platform",
    AUTHCTL_REQUESTED_TOKEN_TYPE:
      "urn:ietf:params:oauth:token-type:access_token",
  };
  const noClient = settingsFor(p, env, {});
  await login(deps, noClient, LOGIN);
  const [sent] = p.to("/token");
  assertEquals(sent.form.has("client_id"), false);
  assertEquals(sent.headers.has("authorization"), false);
  assertEquals((await store.get("default"))?.accessToken, sts.issued[0]);
  assertEquals(
    (await getToken(deps, noClient)).accessToken,
    sts.issued[0],
  );

  // Negative controls: a client ID sent is refused (no client
  // authentication here), as a repository outside the condition is, and a
  // wrong CI audience; each passes with its check off.
  const refusals: [Settings, keyof typeof sts.checks, RegExp][] = [
    [settingsFor(p, env), "clientAuth", /not supported/],
    [
      settingsFor(p, { ...env, AUTHCTL_FEDERATED_AUDIENCE: "https://x" }, {}),
      "audience",
      /aud "https:\/\/x"/,
    ],
  ];
  for (const [settings, check, said] of refusals) {
    await assertRejects(
      () => login(deps, settings, { ...LOGIN, force: true }),
      { message: said },
    );
    sts.checks[check] = false;
    await login(deps, settings, { ...LOGIN, force: true });
    sts.checks[check] = true;
  }
  sts.providers[0].attributeCondition = "assertion.repository=='acme/other'";
  await assertRejects(
    () => login(deps, noClient, { ...LOGIN, force: true }),
    { message: /attribute condition[\s\S]*sub "repo:acme/ },
  );
  sts.checks.condition = false;
  await login(deps, noClient, { ...LOGIN, force: true });
});

Deno.test("federated: the jwt-bearer grant sends the CI token as the assertion", async () => {
  const { p, ci, deps } = await setUp();
  const token = await ci.sign("hydra");
  deps.env = envFrom({ T: token });
  p.routes.set("/token", () => issued(1));
  await login(
    deps,
    settingsFor(p, {
      AUTHCTL_FEDERATED: "env:T",
      AUTHCTL_EXCHANGE: "jwt-bearer",
    }),
    LOGIN,
  );
  const [sent] = p.to("/token");
  assertEquals(
    sent.form.get("grant_type"),
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
  );
  assertEquals(sent.form.get("assertion"), token);
});

Deno.test("client credentials: a secret (basic), or an assertion signed with the key file", async () => {
  const { p, deps, store } = await setUp();
  p.routes.set(
    "/token",
    (r) =>
      r.form.get("grant_type") === "client_credentials" ? issued(1) : undefined,
  );
  await login(
    deps,
    settingsFor(p, {
      AUTHCTL_CLIENT_SECRET: "s3cret",
      AUTHCTL_CLIENT_AUTH: "client_secret_basic",
      AUTHCTL_SCOPES: "jobs",
    }),
    { ...LOGIN, clientCredentials: true },
  );
  const basic = p.to("/token")[0];
  assertEquals(
    basic.headers.get("authorization"),
    `Basic ${btoa("cli:s3cret")}`,
  );
  assertEquals(basic.form.get("scope"), "jobs");
  const saved = (await store.get("default"))!;
  assertEquals(saved.flow, "client_credentials");
  assertEquals(JSON.stringify(saved).includes("s3cret"), false);

  // private_key_jwt: an assertion the provider verifies with the public key.
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256", {
    extractable: true,
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/key.pem`,
      await jose.exportPKCS8(privateKey),
    );
    let verified: jose.JWTPayload | undefined;
    p.routes.set("/token", async (r) => {
      if (
        r.form.get("client_assertion_type") !==
          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
      ) return Response.json({ error: "invalid_client" }, { status: 401 });
      ({ payload: verified } = await jose.jwtVerify(
        r.form.get("client_assertion")!,
        publicKey,
        { issuer: "cli", subject: "cli" },
      ));
      return issued(2);
    });
    await login(
      deps,
      settingsFor(p, {
        AUTHCTL_CLIENT_AUTH: "private_key_jwt",
        AUTHCTL_CLIENT_KEY_FILE: `${dir}/key.pem`,
      }),
      { ...LOGIN, clientCredentials: true, force: true },
    );
    assert(verified, "no assertion verified");
    // No key file: said, with where it goes.
    await assertRejects(
      () =>
        login(
          deps,
          settingsFor(p, { AUTHCTL_CLIENT_AUTH: "private_key_jwt" }),
          { ...LOGIN, clientCredentials: true, force: true },
        ),
      { code: "client_key_missing", message: /AUTHCTL_CLIENT_KEY_FILE/ },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A long job: tokens for 5 s, renewed from a new CI token each time. */
function longJob(p: InProcessProvider) {
  let n = 0;
  p.routes.set("/token", () => issued(++n, 5));
  return () => n;
}

Deno.test("federated: a long job's token is renewed from a new CI token each time", async () => {
  const { p, ci, deps, clock } = await setUp((ci) =>
    ci.githubEnv("https://ci.example")
  );
  const exchanges = longJob(p);
  const settings = settingsFor(p, { AUTHCTL_FEDERATED: "github" });
  await login(deps, settings, LOGIN);
  // Every 2 s for 30 s: each call succeeds; past half its life, renewed.
  for (let t = 0; t < 30; t += 2) {
    clock.elapsed += 2000;
    const credential = await getToken(deps, settings, { minTtlMs: 1000 });
    assert(credential.expiresAt! > clock.now(), `stale token at ${t} s`);
  }
  // Renewed when under the minimum lifetime: every few calls, never late.
  assert(exchanges() >= 5, `only ${exchanges()} exchanges`);
  // Each exchange fetched a new CI token from GitHub's service.
  assertEquals(ci.issued.length, exchanges());
  assertEquals(
    new Set(p.to("/token").map((r) => r.form.get("subject_token"))).size,
    exchanges(),
  );
});

Deno.test("federated: a variable's CI token cannot be renewed past its exp: exit 4, naming it", async () => {
  const { p, ci, deps, clock } = await setUp();
  longJob(p);
  ci.lifetime = 10;
  deps.env = envFrom({ T: await ci.sign("x") });
  const settings = settingsFor(p, { AUTHCTL_FEDERATED: "env:T" });
  await login(deps, settings, LOGIN);
  clock.elapsed += 20_000;
  const err = await getToken(deps, settings).then(() => undefined, (e) => e);
  assertEquals(err?.code, "ci_token_expired");
  assertEquals(err?.exitCode, 4);
  assertMatch(err.message, /expired at \d{4}-/);
});
