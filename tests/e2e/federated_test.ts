/**
 * End to end: the real CLI logs a CI job in with the job's own OIDC token
 * (the CI double, served), exchanged at oidc-provider (token exchange and
 * jwt-bearer grants added as test code, strict), and a service account with
 * client credentials (a secret; a signed assertion). The token obtained is
 * one the provider knows as active. A refused CI token shows its claims; a
 * long job keeps working; the CI token appears in no argv and no trace.
 */

import * as jose from "jose";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { ciDouble } from "../support/ci_double.ts";
import { startE2e } from "../support/e2e.ts";
import {
  CI_CLIENT_ID,
  KEY_CLIENT_ID,
  SERVICE_CLIENT_ID,
  SERVICE_SECRET,
  startFederationProvider,
} from "../support/federation_provider.ts";
import { sampleProcesses } from "../support/proc.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The CI double on a port, and the provider that trusts it. */
async function setUp(accessTokenTtl = 3600) {
  let handle: (r: Request) => Promise<Response> = () =>
    Promise.resolve(new Response(null, { status: 503 }));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => handle(r),
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const ci = await ciDouble(base);
  handle = ci.handle;
  const { privateKey, publicKey } = await jose.generateKeyPair("ES256", {
    extractable: true,
  });
  const provider = await startFederationProvider(
    { issuer: base, jwksUrl: `${base}/jwks` },
    ci.subject,
    { ...await jose.exportJWK(publicKey), alg: "ES256" },
    accessTokenTtl,
  );
  const e2e = await startE2e({
    provider: false,
    env: { AUTHCTL_ISSUER: provider.issuer, AUTHCTL_STORAGE: "file" },
  });
  e2e.defer(() => provider.close());
  e2e.defer(() => server.shutdown());
  return { e2e, ci, base, provider, privateKey };
}

Deno.test({
  name: "e2e federated: each CI source and exchange, through the real CLI",
  ...opts,
  async fn(t) {
    const { e2e, ci, base, provider } = await setUp();
    await using _ = e2e;
    const federated = {
      AUTHCTL_CLIENT_ID: CI_CLIENT_ID,
      AUTHCTL_FEDERATED_AUDIENCE: provider.issuer,
      AUTHCTL_SCOPES: "deploy",
    };
    const tokenIsActive = async (env: Record<string, string>) => {
      const r = await e2e.run(["token"], env);
      assertEquals(r.code, 0, r.stderr);
      assert(await provider.active(r.stdout.trim()), "the token is not active");
    };

    await t.step("github, token exchange (the default)", async () => {
      const env = {
        ...federated,
        ...ci.githubEnv(base),
        AUTHCTL_FEDERATED: "github",
      };
      const r = await e2e.run(["login", "--profile", "gh", "--debug"], env);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stderr,
        /Logged in with the CI token of GitHub Actions \(sub "repo:acme\/app:ref:refs\/heads\/main"\)/,
      );
      await tokenIsActive({ ...env, AUTHCTL_PROFILE: "gh" });
      const status = JSON.parse(
        (await e2e.run(["status", "--json", "--profile", "gh"], env)).stdout,
      );
      assertEquals(status.federated.source, "github");
      assertEquals(status.flow, "federated");
      // The CI token: in no trace, and not in the store.
      for (const token of ci.signed) {
        assertEquals(r.stderr.includes(token), false, "CI token in --debug");
        const stored = await Deno.readTextFile(
          `${e2e.configDir}/credentials/gh.json`,
        );
        assertEquals(stored.includes(token), false, "CI token stored");
      }
      assertMatch(r.stderr, /subject_token=\[redacted\]/);
    });

    await t.step("gitlab, jwt-bearer", async () => {
      const env = {
        ...federated,
        AUTHCTL_ID_TOKEN: await ci.sign(provider.issuer),
        AUTHCTL_FEDERATED: "gitlab",
        AUTHCTL_EXCHANGE: "jwt-bearer",
        AUTHCTL_PROFILE: "gl",
      };
      const r = await e2e.run(["login"], env);
      assertEquals(r.code, 0, r.stderr);
      await tokenIsActive(env);
    });

    await t.step("circleci, bitbucket, env:NAME and a file", async () => {
      const dir = `${e2e.dir}/k8s`;
      await Deno.mkdir(dir);
      await Deno.writeTextFile(`${dir}/token`, await ci.sign(provider.issuer));
      const sources: [string, Record<string, string>][] = [
        ["circleci", { CIRCLE_OIDC_TOKEN_V2: await ci.sign(provider.issuer) }],
        ["bitbucket", {
          BITBUCKET_STEP_OIDC_TOKEN: await ci.sign(provider.issuer),
        }],
        ["env:MY_JWT", { MY_JWT: await ci.sign(provider.issuer) }],
        [`file:${dir}/token`, {}],
      ];
      for (const [source, vars] of sources) {
        const env = {
          ...federated,
          ...vars,
          AUTHCTL_FEDERATED: source,
          AUTHCTL_PROFILE: `p${sources.findIndex(([s]) => s === source)}`,
        };
        const r = await e2e.run(["login"], env);
        assertEquals(r.code, 0, `${source}: ${r.stderr}`);
        await tokenIsActive(env);
      }
    });

    await t.step(
      "a subject the provider does not trust: refused, its claims shown; without the check it passes",
      async () => {
        const env = {
          ...federated,
          AUTHCTL_ID_TOKEN: "",
          AUTHCTL_FEDERATED: "env:BRANCH_JWT",
          AUTHCTL_PROFILE: "branch",
        };
        ci.subject = "repo:acme/app:ref:refs/heads/feature";
        const refused = await e2e.run(["login"], {
          ...env,
          BRANCH_JWT: await ci.sign(provider.issuer),
        });
        assertEquals(refused.code, 3, refused.stderr);
        assertMatch(
          refused.stderr,
          /refused the token exchange \(invalid_grant/,
        );
        assertMatch(
          refused.stderr,
          /sub "repo:acme\/app:ref:refs\/heads\/feature"/,
        );
        provider.checks.subject = false;
        const passes = await e2e.run(["login"], {
          ...env,
          BRANCH_JWT: await ci.sign(provider.issuer),
        });
        assertEquals(passes.code, 0, passes.stderr);
        provider.checks.subject = true;
        ci.subject = "repo:acme/app:ref:refs/heads/main";
      },
    );

    await t.step(
      "a wrong audience, an expired token: refused with the claims; each check bites",
      async () => {
        const env = {
          ...federated,
          AUTHCTL_FEDERATED: "env:JWT",
          AUTHCTL_PROFILE: "aud",
        };
        const wrong = await e2e.run(["login"], {
          ...env,
          JWT: await ci.sign("https://elsewhere.example"),
        });
        assertEquals(wrong.code, 3, wrong.stderr);
        assertMatch(wrong.stderr, /aud "https:\/\/elsewhere\.example"/);
        provider.checks.audience = false;
        const loose = await e2e.run(["login", "--force"], {
          ...env,
          JWT: await ci.sign("https://elsewhere.example"),
        });
        assertEquals(loose.code, 0, loose.stderr);
        provider.checks.audience = true;
        // An expired token, sent anyway through a file (authctl refuses a
        // variable's): the provider refuses it.
        ci.lifetime = -30;
        const old = await ci.sign(provider.issuer);
        ci.lifetime = 300;
        const file = `${e2e.dir}/old`;
        await Deno.writeTextFile(file, old);
        const local = await e2e.run(["login", "--force"], { ...env, JWT: old });
        assertEquals(local.code, 4, local.stderr);
        assertMatch(local.stderr, /expired at \d{4}-/);
      },
    );

    await t.step(
      "client credentials with a secret (the signed assertion: below)",
      async () => {
        const env = {
          AUTHCTL_CLIENT_ID: SERVICE_CLIENT_ID,
          AUTHCTL_CLIENT_SECRET: SERVICE_SECRET,
          AUTHCTL_CLIENT_AUTH: "client_secret_basic",
          AUTHCTL_SCOPES: "deploy",
          AUTHCTL_PROFILE: "svc",
        };
        const r = await e2e.run(["login", "--client-credentials"], env);
        assertEquals(r.code, 0, r.stderr);
        await tokenIsActive(env);
      },
    );
  },
});

Deno.test({
  name:
    "e2e federated: private_key_jwt, and a long job renewed from new CI tokens",
  ...opts,
  async fn() {
    // Access tokens of 5 s, CI tokens of 10 s; `token` called for 30 s.
    const { e2e, ci, base, provider, privateKey } = await setUp(5);
    await using _ = e2e;
    const keyFile = `${e2e.dir}/client.pem`;
    await Deno.writeTextFile(keyFile, await jose.exportPKCS8(privateKey));
    const key = await e2e.run(["login", "--client-credentials"], {
      AUTHCTL_CLIENT_ID: KEY_CLIENT_ID,
      AUTHCTL_CLIENT_AUTH: "private_key_jwt",
      AUTHCTL_CLIENT_KEY_FILE: keyFile,
      AUTHCTL_SCOPES: "deploy",
      AUTHCTL_PROFILE: "key",
    });
    assertEquals(key.code, 0, key.stderr);

    ci.lifetime = 10;
    const env = {
      ...ci.githubEnv(base),
      AUTHCTL_CLIENT_ID: CI_CLIENT_ID,
      AUTHCTL_FEDERATED: "github",
      AUTHCTL_FEDERATED_AUDIENCE: provider.issuer,
      AUTHCTL_SCOPES: "deploy",
    };
    const login = await e2e.run(["login"], env);
    assertEquals(login.code, 0, login.stderr);
    const before = ci.issued.length;
    const ended = Date.now() + 30_000;
    let calls = 0;
    let samples = "";
    while (Date.now() < ended) {
      const running = await e2e.spawn(["token", "--min-ttl", "2"], env);
      const timer = setInterval(() => {
        samples += sampleProcesses(running.child.pid, false);
      }, 10);
      const r = await running.finish();
      clearInterval(timer);
      assertEquals(r.code, 0, r.stderr);
      assert(await provider.active(r.stdout.trim()), "a stale token");
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const renewals = ci.issued.length - before;
    assert(calls >= 15, `${calls} calls`);
    assert(renewals >= 4, `only ${renewals} renewals in 30 s`);
    // Each renewal exchanged a new CI token.
    assertEquals(provider.exchanges, renewals + 1);
    for (const token of ci.signed) {
      assertEquals(samples.includes(token), false, "CI token in an argv");
    }
  },
});
