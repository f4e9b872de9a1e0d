import { assertEquals, assertThrows } from "../support/assert.ts";
import type { BuildInfo } from "../../src/config/build_info.ts";
import { parseConfig } from "../../src/config/config_file.ts";
import { resolveSettings, validateIssuer } from "../../src/config/settings.ts";
import { configDir } from "../../src/config/paths.ts";
import { envFrom } from "../../src/platform/env.ts";

const build: BuildInfo = {
  name: "authctl",
  version: "0.0.0",
  commit: "",
  issuer: "https://build.example",
  clientId: "build-client",
  scopes: ["build:scope"],
  audience: "build-aud",
  ports: "",
  provider: {},
};

const config = parseConfig("config.toml", {
  default_profile: "stage",
  profiles: {
    stage: {
      issuer: "https://stage.example",
      client_id: "stage-client",
      scopes: ["stage:read", "stage:write"],
    },
    prod: { issuer: "https://prod.example", scopes: "prod:read prod:write" },
  },
});

const env = envFrom({
  AUTHCTL_ISSUER: "https://env.example",
  AUTHCTL_SCOPES: "env:a,env:b",
});

Deno.test("settings: a flag beats the environment, the profile and the build", () => {
  const s = resolveSettings({
    flags: { issuer: "https://flag.example", scopes: ["flag:x"] },
    env,
    config,
    build,
  });
  assertEquals(s.issuer, "https://flag.example");
  assertEquals(s.sources.issuer, "flag");
  assertEquals(s.scopes, ["flag:x"]);
});

Deno.test("settings: the environment beats the profile and the build", () => {
  const s = resolveSettings({ flags: {}, env, config, build });
  assertEquals(s.issuer, "https://env.example");
  assertEquals(s.sources.issuer, "env");
  assertEquals(s.scopes, ["env:a", "env:b"]);
});

Deno.test("settings: the profile beats the build; default_profile picks it", () => {
  const s = resolveSettings({ flags: {}, env: envFrom({}), config, build });
  assertEquals(s.profile, "stage");
  assertEquals(s.sources.profile, "profile");
  assertEquals(s.issuer, "https://stage.example");
  assertEquals(s.clientId, "stage-client");
  assertEquals(s.scopes, ["stage:read", "stage:write"]);
  assertEquals(s.audience, "build-aud");
  assertEquals(s.sources.audience, "build");
});

Deno.test("settings: the profile flag and AUTHCTL_PROFILE select the profile", () => {
  const byEnv = resolveSettings({
    flags: {},
    env: envFrom({ AUTHCTL_PROFILE: "prod" }),
    config,
    build,
  });
  assertEquals(byEnv.profile, "prod");
  assertEquals(byEnv.issuer, "https://prod.example");
  assertEquals(byEnv.clientId, "build-client"); // prod sets none: build default
  assertEquals(byEnv.scopes, ["prod:read", "prod:write"]);
  const byFlag = resolveSettings({
    flags: { profile: "dev" },
    env: envFrom({ AUTHCTL_PROFILE: "prod" }),
    config,
    build,
  });
  assertEquals(byFlag.profile, "dev");
  assertEquals(byFlag.issuer, "https://build.example");
});

Deno.test("settings: the build default is last; nothing anywhere is empty", () => {
  const empty = parseConfig("c", {});
  const s = resolveSettings({
    flags: {},
    env: envFrom({}),
    config: empty,
    build,
  });
  assertEquals(s.profile, "default");
  assertEquals(s.issuer, "https://build.example");
  assertEquals(s.scopes, ["build:scope"]);
  const none = resolveSettings({
    flags: {},
    env: envFrom({}),
    config: empty,
    build: { ...build, issuer: "", clientId: "", scopes: [], audience: "" },
  });
  assertEquals([none.issuer, none.clientId, none.audience], ["", "", ""]);
  assertEquals(none.scopes, []);
  assertEquals(none.sources.scopes, "default");
});

Deno.test("settings: openid and offline_access are the protocol's, not configured scopes", () => {
  const s = resolveSettings({
    flags: { scopes: ["openid email", "email,offline_access"] },
    env: envFrom({}),
    config,
    build,
  });
  assertEquals(s.scopes, ["email"]);
});

Deno.test("settings: provider settings come from the flag, the environment, the profile, the build", () => {
  const file = parseConfig(
    "c",
    {
      profiles: {
        p: {
          issuer: "https://p.example",
          provider: "oauth2",
          token_endpoint: "https://p.example/oauth/token",
          authorization_endpoint: "https://p.example/oauth/authorize",
          auth_params: { access_type: "offline" },
          offline_access: true,
          resource: ["https://api.p.example"],
          client_secret: "s3cret",
        },
      },
    },
  );
  const s = resolveSettings({
    flags: { profile: "p", provider: { prompt: "consent" } },
    env: envFrom({ AUTHCTL_TOKEN_ENDPOINT: "https://p.example/env/token" }),
    config: file,
    build: { ...build, provider: { clientAuth: "client_secret_basic" } },
  });
  assertEquals(s.provider, {
    provider: "oauth2",
    authorizationEndpoint: "https://p.example/oauth/authorize",
    tokenEndpoint: "https://p.example/env/token",
    clientAuth: "client_secret_basic",
    clientSecret: "s3cret",
    offlineAccess: true,
    prompt: "consent",
    authParams: { access_type: "offline" },
    resources: ["https://api.p.example"],
  });
  // A known provider names its issuer when none is configured.
  const gh = resolveSettings({
    flags: { profile: "x", provider: { provider: "github" } },
    env: envFrom({}),
    config: parseConfig("c", {}),
    build: { ...build, issuer: "" },
  });
  assertEquals(gh.issuer, "https://github.com");
  // Protocol parameters cannot be smuggled in, and http stays loopback only.
  for (
    const [provider, message] of [
      [{ authParams: ["state=x"] }, /cannot set "state"/],
      [
        { authParams: ["redirect_uri=https://evil.example"] },
        /cannot set "redirect_uri"/,
      ],
      [{ tokenEndpoint: "http://p.example/token" }, /use https/],
      [
        { redirectUri: "http://0.0.0.0/callback" },
        /127\.0\.0\.1, http:\/\/\[::1\] or http:\/\/localhost/,
      ],
      [
        { provider: "gitlab" },
        /use one of oidc, oauth2, github, google, microsoft/,
      ],
    ] as const
  ) {
    assertThrows(
      () =>
        resolveSettings({
          flags: { provider: provider as never },
          env: envFrom({}),
          config: parseConfig("c", {}),
          build,
        }),
      { message },
    );
  }
});

Deno.test("settings: bad profile names and insecure issuers are usage errors", () => {
  assertThrows(
    () => resolveSettings({ flags: { profile: "../x" }, env, config, build }),
    { code: "invalid_profile", message: /"\.\.\/x"/ },
  );
  assertThrows(() => validateIssuer("http://login.example.com"), {
    code: "insecure_issuer",
  });
  assertThrows(() => validateIssuer("not a url"), {
    code: "invalid_issuer",
  });
  assertThrows(() => validateIssuer("https://x.example/?a=b"), {
    code: "invalid_issuer",
  });
  validateIssuer("http://127.0.0.1:8080");
  validateIssuer("http://[::1]:8080/realms/x");
  validateIssuer("https://login.example.com/tenant/v2.0");
});

Deno.test("config file: unknown keys and wrong types are reported with the file", () => {
  assertThrows(() => parseConfig("/c.toml", { profile: {} }), {
    code: "config_invalid",
    message: /"\/c\.toml".*"profile"/,
  });
  assertThrows(
    () => parseConfig("/c.toml", { profiles: { a: { isuer: "x" } } }),
    { message: /key "isuer" in profile "a"/ },
  );
  assertThrows(
    () => parseConfig("/c.toml", { profiles: { a: { scopes: 3 } } }),
    { message: /"scopes" in profile "a"/ },
  );
});

Deno.test("config dir: AUTHCTL_CONFIG_DIR, XDG, macOS and Windows defaults", () => {
  const dir = (os: typeof Deno.build.os, vars: Record<string, string>) =>
    configDir({ os, env: envFrom(vars) }, "acmectl");
  assertEquals(dir("linux", { AUTHCTL_CONFIG_DIR: "/x", HOME: "/h" }), "/x");
  assertEquals(dir("linux", { HOME: "/h" }), "/h/.config/acmectl");
  assertEquals(
    dir("linux", { HOME: "/h", XDG_CONFIG_HOME: "/xdg" }),
    "/xdg/acmectl",
  );
  assertEquals(
    dir("darwin", { HOME: "/Users/a" }),
    "/Users/a/Library/Application Support/acmectl",
  );
  assertEquals(
    dir("windows", { APPDATA: "C:\\Users\\a\\AppData\\Roaming" }),
    "C:\\Users\\a\\AppData\\Roaming\\acmectl",
  );
});

const resourceConfig = parseConfig("config.toml", {
  default_profile: "stage",
  profiles: {
    stage: { issuer: "https://stage.example", client_id: "c" },
    "mcp.example": { resource: ["https://mcp.example/mcp"] },
    "mcp.example-mcp-tools": { resource: ["https://mcp.example/mcp/tools"] },
    "127.0.0.1-9728": { resource: ["http://127.0.0.1:9728/mcp"] },
  },
});

const profileFor = (
  resourceTarget: NonNullable<
    Parameters<typeof resolveSettings>[0]["flags"]["resourceTarget"]
  >,
  flags: Parameters<typeof resolveSettings>[0]["flags"] = {},
  env: Record<string, string> = {},
) =>
  resolveSettings({
    flags: { ...flags, resourceTarget },
    env: envFrom(env),
    config: resourceConfig,
    build: { ...build, issuer: "" },
  });

Deno.test("settings: the resource a command is about chooses the profile", () => {
  const exact = profileFor({ url: "https://mcp.example/mcp", match: "exact" });
  assertEquals(exact.profile, "mcp.example");
  assertEquals(exact.sources.profile, "resource");
  // `api URL`: the most specific resource the URL lies under.
  assertEquals(
    profileFor({ url: "https://mcp.example/mcp/tools/x", match: "covers" })
      .profile,
    "mcp.example-mcp-tools",
  );
  assertEquals(
    profileFor({ url: "https://mcp.example/mcp/other", match: "covers" })
      .profile,
    "mcp.example",
  );
  // A path that merely starts alike is not under the resource.
  assertEquals(
    profileFor({ url: "https://mcp.example/mcpx", match: "covers" }).profile,
    "stage",
  );
  assertEquals(
    profileFor({ url: "https://mcp.example/mcp/tools", match: "exact" })
      .profile,
    "mcp.example-mcp-tools",
  );
  // A named profile wins.
  assertEquals(
    profileFor({ url: "https://mcp.example/mcp", match: "exact" }, {
      profile: "prod",
    }).profile,
    "prod",
  );
  assertEquals(
    profileFor({ url: "https://mcp.example/mcp", match: "exact" }, {}, {
      AUTHCTL_PROFILE: "prod",
    }).profile,
    "prod",
  );
});

Deno.test("settings: a login to a new resource gets a profile named after its host", () => {
  const create = (url: string) => ({
    url,
    match: "exact" as const,
    create: true,
  });
  assertEquals(
    profileFor(create("https://api.other.example/mcp")).profile,
    "api.other.example",
  );
  // Taken by another resource: the host and the path.
  assertEquals(
    profileFor(create("https://mcp.example/v2/mcp")).profile,
    "mcp.example-v2-mcp",
  );
  assertEquals(
    profileFor(create("http://127.0.0.1:9728/files")).profile,
    "127.0.0.1-9728-files",
  );
  assertEquals(
    profileFor(create("http://[::1]:8080/mcp")).profile,
    "ipv6-1-8080",
  );
  // An issuer given by flag or environment: the ordinary profile.
  assertEquals(
    profileFor(create("https://api.other.example/mcp"), {
      issuer: "https://id.example",
    }).profile,
    "stage",
  );
  assertEquals(
    profileFor(create("https://api.other.example/mcp"), {}, {
      AUTHCTL_ISSUER: "https://id.example",
    })
      .profile,
    "stage",
  );
  // Without `create` (token --resource), no new profile.
  assertEquals(
    profileFor({ url: "https://api.other.example/mcp", match: "exact" })
      .profile,
    "stage",
  );
});
