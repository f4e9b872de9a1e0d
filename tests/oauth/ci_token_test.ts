/**
 * The CI token sources against the CI double (in-process, strict as the
 * documented contracts are), each with what it refuses.
 */

import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import {
  AZURE_CONNECTION,
  type CiDouble,
  ciDouble,
} from "../support/ci_double.ts";
import { type CiTokenContext, fetchCiToken } from "../../src/oauth/ci_token.ts";
import { Http } from "../../src/oauth/http.ts";
import { envFrom } from "../../src/platform/env.ts";
import type { CommandCapture } from "../../src/platform/process.ts";

const BASE = "https://ci.example";

function context(
  double: CiDouble,
  vars: Record<string, string>,
  extra: Partial<CiTokenContext> = {},
): CiTokenContext {
  return {
    env: envFrom(vars),
    http: new Http({
      timeoutMs: 5000,
      transport: (url, init) => double.handle(new Request(url, init)),
    }),
    capture: () => Promise.reject(new Error("no agent here")),
    now: Date.now(),
    ...extra,
  };
}

Deno.test("ci token: GitHub: GET with the request token, audience appended to the URL's query", async () => {
  const ci = await ciDouble(BASE);
  const got = await fetchCiToken(
    "github",
    context(ci, ci.githubEnv(BASE), { audience: "api://acme" }),
  );
  assertEquals(got.source, "github");
  assertEquals(got.claims.aud, "api://acme");
  assertEquals(got.claims.iss, BASE);
  assertEquals(ci.issued, [{ via: "/github", aud: "api://acme" }]);
  // Without the variables: the permission the job lacks is named.
  await assertRejects(() => fetchCiToken("github", context(ci, {})), {
    code: "ci_token_missing",
    message: /permissions: id-token: write/,
  });
  // A wrong request token is refused by the double, and said.
  await assertRejects(
    () =>
      fetchCiToken(
        "github",
        context(ci, {
          ...ci.githubEnv(BASE),
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: "wrong",
        }),
      ),
    { code: "ci_token_refused", message: /HTTP 401/ },
  );
});

Deno.test("ci token: Azure Pipelines: POST with the service connection; the double refuses a GET", async () => {
  const ci = await ciDouble(BASE);
  const got = await fetchCiToken(
    "azure-pipelines",
    context(ci, ci.azureEnv(BASE)),
  );
  assertEquals(got.claims.aud, "api://AzureADTokenExchange");
  // The contract's strictness, shown on the double itself.
  const get = await ci.handle(
    new Request(
      `${BASE}/azure?api-version=7.1&serviceConnectionId=${AZURE_CONNECTION}`,
      { headers: { authorization: "Bearer azure-system-token-1" } },
    ),
  );
  assertEquals(get.status, 405);
  // The connection may be named in the source instead.
  const { AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: _, ...bare } = ci.azureEnv(
    BASE,
  );
  await assertRejects(
    () => fetchCiToken("azure-pipelines", context(ci, bare)),
    { code: "ci_token_missing", message: /azure-pipelines:ID/ },
  );
  const named = await fetchCiToken(
    `azure-pipelines:${AZURE_CONNECTION}`,
    context(ci, bare),
  );
  assertEquals(named.claims.sub, ci.subject);
});

Deno.test("ci token: the variables of GitLab, CircleCI (V2 first), Bitbucket, and env:NAME", async () => {
  const ci = await ciDouble(BASE);
  const one = await ci.sign("a");
  const two = await ci.sign("b");
  const token = async (source: string, vars: Record<string, string>) =>
    (await fetchCiToken(source, context(ci, vars))).token;
  assertEquals(await token("gitlab", { AUTHCTL_ID_TOKEN: one }), one);
  assertEquals(
    await token("circleci", {
      CIRCLE_OIDC_TOKEN: one,
      CIRCLE_OIDC_TOKEN_V2: two,
    }),
    two,
  );
  assertEquals(await token("circleci", { CIRCLE_OIDC_TOKEN: one }), one);
  assertEquals(
    await token("bitbucket", { BITBUCKET_STEP_OIDC_TOKEN: one }),
    one,
  );
  assertEquals(await token("env:MY_TOKEN", { MY_TOKEN: two }), two);
  await assertRejects(() => token("gitlab", {}), {
    code: "ci_token_missing",
    message: /id_tokens/,
  });
  await assertRejects(() => token("bitbucket", {}), { message: /oidc: true/ });
});

Deno.test("ci token: a file is read anew every time (the kubelet rotates it)", async () => {
  const ci = await ciDouble(BASE);
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    const first = await ci.sign("k8s");
    await Deno.writeTextFile(path, first + "\n");
    assertEquals(
      (await fetchCiToken(`file:${path}`, context(ci, {}))).token,
      first,
    );
    const rotated = await ci.sign("k8s");
    await Deno.writeTextFile(path, rotated);
    assertEquals(
      (await fetchCiToken(`file:${path}`, context(ci, {}))).token,
      rotated,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ci token: Buildkite's agent is asked for the audience; a failure is said", async () => {
  const ci = await ciDouble(BASE);
  const calls: string[][] = [];
  const agent: CommandCapture = async (command, args) => {
    calls.push([command, ...args]);
    return { code: 0, stdout: (await ci.sign(args.at(-1))) + "\n", stderr: "" };
  };
  const got = await fetchCiToken(
    "buildkite",
    context(ci, { BUILDKITE: "true" }, { capture: agent, audience: "sts" }),
  );
  assertEquals(got.claims.aud, "sts");
  assertEquals(calls, [[
    "buildkite-agent",
    "oidc",
    "request-token",
    "--audience",
    "sts",
  ]]);
  const failing: CommandCapture = () =>
    Promise.resolve({ code: 1, stdout: "", stderr: "not in a job" });
  await assertRejects(
    () => fetchCiToken("buildkite", context(ci, {}, { capture: failing })),
    { code: "ci_token_refused", message: /not in a job/ },
  );
});

Deno.test("ci token: auto detects the CI (or a token file) and says when there is none", async () => {
  const ci = await ciDouble(BASE);
  const got = await fetchCiToken("auto", context(ci, ci.githubEnv(BASE)));
  assertEquals(got.source, "github");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t`, await ci.sign("x"));
    const file = await fetchCiToken(
      "auto",
      context(ci, { AZURE_FEDERATED_TOKEN_FILE: `${dir}/t` }),
    );
    assertEquals(file.source, `file:${dir}/t`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assertRejects(() => fetchCiToken("auto", context(ci, {})), {
    code: "no_ci_detected",
    message: /--federated github/,
  });
});

Deno.test("ci token: an expired token is exit 4 naming its exp; what is no JWT is refused", async () => {
  const ci = await ciDouble(BASE);
  ci.lifetime = -10;
  const old = await ci.sign("a");
  const err = await fetchCiToken("env:T", context(ci, { T: old })).then(
    () => undefined,
    (e) => e,
  );
  assertEquals(err?.code, "ci_token_expired");
  assertEquals(err?.exitCode, 4);
  assert(/expired at \d{4}-\d\d-\d\dT/.test(err.message), err.message);
  assert(!err.message.includes(old), "the token is in the message");
  // Its claims can still be shown.
  const shown = await fetchCiToken(
    "env:T",
    context(ci, { T: old }, { allowExpired: true }),
  );
  assertEquals(shown.claims.sub, ci.subject);
  await assertRejects(
    () => fetchCiToken("env:T", context(ci, { T: "not-a-jwt" })),
    { code: "ci_token_invalid" },
  );
});
