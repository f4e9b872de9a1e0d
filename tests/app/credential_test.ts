import {
  assertEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import {
  isFresh,
  loadCredential,
  refreshMargin,
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
      ?.startsWith("scopes"),
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
  assertEquals(isFresh({ ...stored, expiresAt: undefined }, 30_000), true);
  assertEquals(isFresh({ ...stored, expiresAt: undefined }, 61_000), false);
});

Deno.test("credential: loading a missing or mismatched entry is exit 4 with the fix", async () => {
  const store = {
    get: (p: string) => Promise.resolve(p === "default" ? stored : undefined),
  };
  await assertRejects(
    () => loadCredential(store, settings({ profile: "stage" })),
    {
      code: "not_logged_in",
      message: /Run: authctl login --profile stage/,
    },
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
