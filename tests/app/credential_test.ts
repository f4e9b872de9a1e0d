import {
  assertEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import {
  isFresh,
  loadCredential,
  loginCommand,
  refreshMargin,
  requireBearer,
  settingsMismatch,
} from "../../src/app/credential.ts";
import { parseConfig } from "../../src/config/config_file.ts";
import {
  resolveSettings,
  type SettingFlags,
} from "../../src/config/settings.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { envFrom } from "../../src/platform/env.ts";
import type { StoredCredential } from "../../src/store/types.ts";
import { parseDuration } from "../../src/cli/context.ts";

const stored: StoredCredential = {
  version: 1,
  issuer: "https://issuer.example",
  clientId: "cli",
  scopes: ["openid", "offline_access", "api"],
  audience: "",
  grantedScope: "openid api",
  tokenType: "Bearer",
  accessToken: "at",
  expiresAt: 1_000_000,
  obtainedAt: 0,
  flow: "loopback",
};

const settings = (flags: SettingFlags) =>
  resolveSettings({
    flags,
    env: envFrom({}),
    config: parseConfig("c", {}),
    build: buildInfo,
  });

Deno.test("credential: serves only the issuer, client ID, scopes and audience it was obtained with", () => {
  assertEquals(settingsMismatch(stored, settings({})), undefined);
  assertEquals(
    settingsMismatch(
      stored,
      settings({
        issuer: "https://issuer.example",
        clientId: "cli",
        scopes: ["api"],
      }),
    ),
    undefined,
  );
  assertEquals(
    settingsMismatch(stored, settings({ issuer: "https://other.example" })),
    `issuer "https://issuer.example", not "https://other.example"`,
  );
  assertEquals(
    settingsMismatch(stored, settings({ clientId: "x" }))?.startsWith(
      "client ID",
    ),
    true,
  );
  assertEquals(
    settingsMismatch(stored, settings({ scopes: ["api", "admin"] }))
      ?.startsWith("the scopes"),
    true,
  );
  assertEquals(
    settingsMismatch(stored, settings({ audience: "aud" }))?.startsWith(
      "audience",
    ),
    true,
  );
});

Deno.test("credential: fresh only with at least the minimum lifetime left", () => {
  assertEquals(isFresh(stored, 1_000_000 - 60_000), true);
  assertEquals(isFresh(stored, 1_000_000 - 59_999), false);
});

Deno.test("credential: a lifetime the provider did not state is used until refused", () => {
  const github = {
    ...stored,
    expiresAt: undefined,
    flow: "loopback" as const,
  };
  // GitHub's OAuth-app tokens: hours, days later, still handed out.
  assertEquals(isFresh(github, 61_000), true);
  assertEquals(isFresh(github, 400 * 86_400_000), true);
  // Until a server refused it, or the provider refused the refresh.
  assertEquals(isFresh({ ...github, retiredAt: 5 }, 61_000), false);
  assertEquals(
    isFresh({ ...github, unusable: "invalid_grant" }, 61_000),
    false,
  );
});

Deno.test("credential: loading a missing or mismatched entry is exit 4 with the fix", async () => {
  const store = {
    get: (p: string) => Promise.resolve(p === "default" ? stored : undefined),
    list: () => Promise.resolve(["default"]),
  };
  const withStage = (flags: SettingFlags) =>
    resolveSettings({
      flags,
      env: envFrom({}),
      config: parseConfig("c", {
        profiles: {
          stage: { issuer: "https://stage.example", client_id: "c" },
        },
      }),
      build: buildInfo,
    });
  await assertRejects(
    () => loadCredential(store, withStage({ profile: "stage" })),
    {
      code: "not_logged_in",
      message: /Run: authctl login --profile stage$/,
    },
  );
  // A profile that exists nowhere is a misspelling: exit 2, with the names.
  await assertRejects(
    () => loadCredential(store, withStage({ profile: "stgae" })),
    {
      code: "unknown_profile",
      message:
        /No profile named "stgae"; profiles: default, stage \(did you mean "stage"\?\)/,
    },
  );
  // The same name with an issuer given is a profile about to be used.
  await assertRejects(
    () =>
      loadCredential(
        store,
        withStage({ profile: "stgae", issuer: "https://x.example" }),
      ),
    { code: "not_logged_in" },
  );
  await assertRejects(
    () => loadCredential(store, settings({ clientId: "x" })),
    {
      code: "settings_mismatch",
    },
  );
});

Deno.test("cli: durations", () => {
  assertEquals(parseDuration("300", "--timeout"), 300_000);
  assertEquals(parseDuration("90s", "--timeout"), 90_000);
  assertEquals(parseDuration("5m", "--timeout"), 300_000);
  assertEquals(parseDuration("1h", "--timeout"), 3_600_000);
  assertEquals(parseDuration("1m30s", "--timeout"), 90_000);
  for (const bad of ["", "0", "five", "-1", "5 m"]) {
    assertThrows(() => parseDuration(bad, "--timeout"), {
      code: "invalid_duration",
    });
  }
});

Deno.test("credential: a token shorter-lived than the margin is renewed at half its lifetime", () => {
  const now = 1_000_000;
  const token = (obtainedAgo: number, left: number) => ({
    obtainedAt: now - obtainedAgo * 1000,
    expiresAt: now + left * 1000,
  });
  // An hour-long token: the margin as given.
  assertEquals(refreshMargin(token(3000, 600), 60_000), 60_000);
  // A 30-second token and the default 60-second margin: half its lifetime.
  assertEquals(refreshMargin(token(10, 20), 60_000), 15_000);
  // Unknown lifetime: the margin as given.
  assertEquals(refreshMargin({ obtainedAt: now }, 60_000), 60_000);
});

Deno.test("credential: a token obtained for a resource serves only that resource (RFC 8707)", () => {
  const forMcp: StoredCredential = {
    ...stored,
    provider: { resources: ["https://mcp.example/mcp"] },
  };
  // No resource asked for: the credential's own serves.
  assertEquals(settingsMismatch(forMcp, settings({})), undefined);
  assertEquals(
    settingsMismatch(
      forMcp,
      settings({ provider: { resources: ["https://mcp.example/mcp"] } }),
    ),
    undefined,
  );
  assertEquals(
    settingsMismatch(
      forMcp,
      settings({ provider: { resources: ["https://files.example/"] } }),
    ),
    `the resource "https://mcp.example/mcp", not "https://files.example/"`,
  );
  assertEquals(
    settingsMismatch(
      stored,
      settings({ provider: { resources: ["https://mcp.example/mcp"] } }),
    ),
    `no particular resource, not "https://mcp.example/mcp"`,
  );
});

Deno.test("credential: other scopes, more or fewer, do not serve; the fix asks for exactly these", async () => {
  const wanted = settings({ profile: "default", scopes: ["admin"] });
  assertEquals(
    settingsMismatch(stored, wanted),
    `the scopes "api", not "admin"`,
  );
  const store = {
    get: () => Promise.resolve(stored),
    list: () => Promise.resolve(["default"]),
  };
  await assertRejects(() => loadCredential(store, wanted), {
    code: "settings_mismatch",
    message: /Run: authctl login --profile default --scope admin$/,
  });
  // A token for more scopes is not handed out where fewer were asked for
  // (SECURITY.md §35).
  const both = { ...stored, scopes: ["openid", "api", "admin"] };
  assertEquals(
    settingsMismatch(both, settings({ scopes: ["api"] })),
    `the scopes "api admin", not "api"`,
  );
  assertEquals(
    settingsMismatch(both, settings({ scopes: ["admin", "api"] })),
    undefined,
  );
});

Deno.test("credential: a token for several resources is not handed out for one of them", () => {
  const two: StoredCredential = {
    ...stored,
    provider: { resources: ["https://a.example/", "https://b.example/"] },
  };
  assertEquals(
    settingsMismatch(
      two,
      settings({ provider: { resources: ["https://a.example/"] } }),
    ),
    `the resource "https://a.example/ https://b.example/", not "https://a.example/"`,
  );
  assertEquals(
    settingsMismatch(
      two,
      settings({
        provider: { resources: ["https://b.example/", "https://a.example/"] },
      }),
    ),
    undefined,
  );
});

Deno.test("credential: bearer tokens asked for (dpop never) are not served by bound ones", () => {
  const bound: StoredCredential = {
    ...stored,
    dpop: {
      alg: "ES256",
      privateJwk: {},
      publicJwk: {},
      jkt: "thumb",
    },
  };
  const never = settings({ provider: { dpop: "never" } });
  assertEquals(settingsMismatch(bound, never)?.includes("DPoP"), true);
  assertEquals(settingsMismatch(stored, never), undefined);
  assertEquals(settingsMismatch(bound, settings({})), undefined);
  assertThrows(() => requireBearer(bound, "exec", settings({})), {
    code: "dpop_bound",
    message: /log in for bearer tokens: authctl login --dpop never$/,
  });
});

Deno.test("credential: the login hint repeats what the command was given, quoted for a shell", () => {
  assertEquals(loginCommand(settings({})), "authctl login");
  assertEquals(
    loginCommand(
      settings({
        profile: "work",
        issuer: "https://login.example",
        clientId: "cli",
        scopes: ["read:all", "it's"],
        audience: "api",
      }),
    ),
    "authctl login --profile work --issuer https://login.example --client-id cli --scope read:all --scope 'it'\\''s' --audience api",
  );
});

Deno.test("credential: a clock set back since the tokens were obtained does not trust their expiry", () => {
  const obtained = { ...stored, obtainedAt: 500_000, expiresAt: 4_100_000 };
  assertEquals(isFresh(obtained, 600_000), true);
  // Read 10 s before it was obtained: the clock went back; refresh.
  assertEquals(isFresh(obtained, 490_000), false);
  // A second or two between processes is not a clock set back.
  assertEquals(isFresh(obtained, 498_000), true);
  assertEquals(isFresh({ ...obtained, expiresAt: undefined }, 490_000), false);
});
