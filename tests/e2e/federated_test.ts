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
import { serveCiDouble } from "../support/ci_double.ts";
import { startE2e } from "../support/e2e.ts";
import {
  CI_CLIENT_ID,
  KEY_CLIENT_ID,
  SERVICE_CLIENT_ID,
  SERVICE_SECRET,
  startFederationProvider,
} from "../support/federation_provider.ts";
import { sampleProcesses } from "../support/proc.ts";
import {
  entraDouble,
  serveTokenServices,
  stsDouble,
} from "../support/token_services.ts";

/** The Entra app registration a pipeline logs in as. */
const ENTRA_APP = "00000000-0000-0000-0000-00000000a99e";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The CI double on a port, and the provider that trusts it. */
async function setUp(accessTokenTtl = 3600) {
  const served = await serveCiDouble();
  const { ci, base } = served;
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
  e2e.defer(() => served.close());
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
        // A token still valid here but expired at the provider (its clock
        // runs ahead): refused, with the exp shown; the check bites.
        provider.clockAheadS = 600;
        const expired = await e2e.run(["login", "--force"], {
          ...env,
          JWT: await ci.sign(provider.issuer),
        });
        assertEquals(expired.code, 3, expired.stderr);
        assertMatch(
          expired.stderr,
          /refused the token exchange \(invalid_grant/,
        );
        assertMatch(
          expired.stderr,
          /sub "repo:acme\/app[^"]*", aud "http[^"]+", exp \d{4}-/,
        );
        provider.checks.expiry = false;
        const late = await e2e.run(["login", "--force"], {
          ...env,
          JWT: await ci.sign(provider.issuer),
        });
        assertEquals(late.code, 0, late.stderr);
        provider.checks.expiry = true;
        provider.clockAheadS = 0;
        // One already past its exp in a variable: authctl refuses to send it.
        ci.lifetime = -30;
        const old = await ci.sign(provider.issuer);
        ci.lifetime = 300;
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
    // The login and every call sampled in /proc and traced with --debug.
    let samples = "";
    let traces = "";
    const sampled = async (args: string[]) => {
      const running = await e2e.spawn([...args, "--debug"], env);
      const timer = setInterval(() => {
        samples += sampleProcesses(running.child.pid, false);
      }, 10);
      const r = await running.finish();
      clearInterval(timer);
      traces += r.stderr;
      return r;
    };
    const login = await sampled(["login"]);
    assertEquals(login.code, 0, login.stderr);
    const before = ci.issued.length;
    const ended = Date.now() + 30_000;
    let calls = 0;
    while (Date.now() < ended) {
      const r = await sampled(["token", "--min-ttl", "2"]);
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
    // The re-exchanges were traced, with the CI token redacted.
    assert(
      traces.split("subject_token=[redacted]").length - 1 >= renewals + 1,
      "the re-exchanges are not in the trace",
    );
    for (const token of ci.signed) {
      assertEquals(samples.includes(token), false, "CI token in /proc");
      assertEquals(traces.includes(token), false, "CI token in --debug");
    }
  },
});

Deno.test({
  name:
    "e2e federated: Buildkite's agent, Azure Pipelines into an Entra-style endpoint, Google's STS from no client, and auto",
  ...opts,
  async fn(t) {
    const { e2e, ci, base, provider } = await setUp();
    await using _ = e2e;
    const ciKeys = jose.createRemoteJWKSet(new URL(`${base}/jwks`));
    const entra = entraDouble(ENTRA_APP, [{
      name: "azure-pipelines",
      issuer: base,
      subject: "sc://acme/app/deploy",
      audiences: ["api://AzureADTokenExchange"],
    }], ciKeys);
    const pool =
      "projects/123456789/locations/global/workloadIdentityPools/ci/providers/github";
    const sts = stsDouble([{
      name: pool,
      issuerUri: base,
      allowedAudiences: [],
      attributeCondition: "assertion.repository=='acme/app'",
    }], ciKeys);
    const services = serveTokenServices(entra, sts);
    e2e.defer(() => services.close());
    const bin = `${e2e.dir}/bin`;
    const path = `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;

    await t.step("buildkite: the agent asked for the audience", async () => {
      const env = {
        ...await ci.buildkiteEnv(base, bin),
        PATH: path,
        AUTHCTL_CLIENT_ID: CI_CLIENT_ID,
        AUTHCTL_FEDERATED: "buildkite",
        AUTHCTL_FEDERATED_AUDIENCE: provider.issuer,
        AUTHCTL_SCOPES: "deploy",
        AUTHCTL_PROFILE: "bk",
      };
      const r = await e2e.run(["login"], env);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(ci.issued.at(-1), {
        via: "/buildkite",
        aud: provider.issuer,
      });
      const token = await e2e.run(["token"], env);
      assert(await provider.active(token.stdout.trim()));
      // Without the audience, the agent API refuses (the double is strict).
      const none = await e2e.run(["login", "--force"], {
        ...env,
        AUTHCTL_FEDERATED_AUDIENCE: "",
      });
      assertEquals(none.code, 3, none.stderr);
      assertMatch(none.stderr, /buildkite-agent oidc request-token failed/);
    });

    await t.step(
      "azure-pipelines: POSTed for the service connection, into Entra's client assertion",
      async () => {
        ci.subject = "sc://acme/app/deploy";
        const env = {
          ...ci.azureEnv(base),
          AUTHCTL_PROVIDER: "microsoft",
          AUTHCTL_ISSUER: services.entraIssuer,
          AUTHCTL_CLIENT_ID: ENTRA_APP,
          AUTHCTL_FEDERATED: "azure-pipelines",
          AUTHCTL_SCOPES: "api://deploy/.default",
          AUTHCTL_PROFILE: "azure",
        };
        const r = await e2e.run(["login"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(
          r.stderr,
          /Azure Pipelines \(sub "sc:\/\/acme\/app\/deploy"\)/,
        );
        assertEquals(ci.issued.at(-1)?.via, "/azure");
        const token = await e2e.run(["token"], env);
        assertEquals(token.stdout.trim(), entra.issued.at(-1));
        // Another connection's subject: AADSTS700213, with what to compare.
        ci.subject = "sc://acme/app/other";
        const refused = await e2e.run(["login", "--force"], env);
        assertEquals(refused.code, 3, refused.stderr);
        assertMatch(refused.stderr, /AADSTS700213/);
        assertMatch(refused.stderr, /sub "sc:\/\/acme\/app\/other"/);
        assertMatch(refused.stderr, /compare its issuer and subject/);
        ci.subject = "repo:acme/app:ref:refs/heads/main";
      },
    );

    await t.step(
      "Google's STS: no client, a token endpoint alone, an access token requested",
      async () => {
        const env = {
          ...ci.githubEnv(base),
          AUTHCTL_PROVIDER: "oauth2",
          AUTHCTL_ISSUER: services.base,
          AUTHCTL_CLIENT_ID: "",
          AUTHCTL_TOKEN_ENDPOINT: services.stsTokenEndpoint,
          AUTHCTL_FEDERATED: "github",
          AUTHCTL_FEDERATED_AUDIENCE: `https://iam.googleapis.com/${pool}`,
          AUTHCTL_AUDIENCE: `//iam.googleapis.com/${pool}`,
          AUTHCTL_SCOPES: "https://www.googleapis.com/auth/cloud-platform",
          AUTHCTL_REQUESTED_TOKEN_TYPE:
            "urn:ietf:params:oauth:token-type:access_token",
          AUTHCTL_PROFILE: "gcp",
        };
        const r = await e2e.run(["login"], env);
        assertEquals(r.code, 0, r.stderr);
        const token = await e2e.run(["token"], env);
        assertEquals(token.stdout.trim(), sts.issued.at(-1));
        // A person's login at this profile says what to do instead.
        const person = await e2e.run(["login", "--force"], {
          ...env,
          AUTHCTL_FEDERATED: "",
          AUTHCTL_CLIENT_ID: "someone",
        });
        assertEquals(person.code === 0, false, person.stderr);
        assertMatch(person.stderr, /login --federated SOURCE/);
      },
    );

    await t.step(
      "auto: picks the CI from its variables and says so",
      async () => {
        const env = {
          ...ci.githubEnv(base),
          AUTHCTL_CLIENT_ID: CI_CLIENT_ID,
          AUTHCTL_FEDERATED: "auto",
          AUTHCTL_FEDERATED_AUDIENCE: provider.issuer,
          AUTHCTL_SCOPES: "deploy",
          AUTHCTL_PROFILE: "auto",
        };
        const r = await e2e.run(["login"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /with the CI token of GitHub Actions/);
        const status = JSON.parse(
          (await e2e.run(["status", "--json"], env)).stdout,
        );
        assertEquals(status.federated.source, "github");
        // Outside any CI: it says which CIs it looked for, and exits 2.
        const nowhere = await e2e.run(["login", "--force"], {
          AUTHCTL_CLIENT_ID: CI_CLIENT_ID,
          AUTHCTL_FEDERATED: "auto",
          AUTHCTL_PROFILE: "nowhere",
        });
        assertEquals(nowhere.code, 2, nowhere.stderr);
        assertMatch(nowhere.stderr, /found no CI here/);
      },
    );
  },
});
