/**
 * The build's settings: read from AUTHCTL_BUILD_*, validated all at once,
 * and written into the build-time defaults module.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertThrows,
} from "../support/assert.ts";
import {
  artifactName,
  BuildConfigError,
  readBuildConfig,
  renderBuildInfo,
  TARGETS,
} from "../../scripts/build_config.ts";
import { buildInfo } from "../../src/config/build_info.ts";

const defaults = {
  version: "0.1.0",
  commit: "0123456789abcdef0123456789abcdef01234567",
};

function problems(vars: Record<string, string>): string[] {
  try {
    readBuildConfig(vars, defaults);
  } catch (err) {
    if (err instanceof BuildConfigError) return err.problems;
    throw err;
  }
  return [];
}

Deno.test("build config: nothing set is a plain authctl from deno.json", () => {
  assertEquals(readBuildConfig({ PATH: "/bin" }, defaults), {
    name: "authctl",
    version: "0.1.0",
    commit: defaults.commit,
    issuer: "",
    clientId: "",
    scopes: [],
    audience: "",
    ports: "",
    provider: {},
    repo: "",
    updateNotice: true,
  });
});

Deno.test("build config: every setting is read and normalised", () => {
  const info = readBuildConfig({
    AUTHCTL_BUILD_NAME: "acmectl",
    AUTHCTL_BUILD_VERSION: "2.0.0-rc.1",
    AUTHCTL_BUILD_COMMIT: "fedcba9876543210fedcba9876543210fedcba98",
    AUTHCTL_BUILD_ISSUER: "https://login.acme.example",
    AUTHCTL_BUILD_CLIENT_ID: "acme-cli",
    AUTHCTL_BUILD_SCOPES: "profile, email groups profile",
    AUTHCTL_BUILD_AUDIENCE: "https://api.acme.example",
    AUTHCTL_BUILD_PORTS: " 8765-8769 ",
    AUTHCTL_BUILD_REPO: "acme/acme-cli",
    AUTHCTL_BUILD_UPDATE_NOTICE: "off",
  }, defaults);
  assertEquals(info, {
    name: "acmectl",
    version: "2.0.0-rc.1",
    commit: "fedcba9876543210fedcba9876543210fedcba98",
    issuer: "https://login.acme.example",
    clientId: "acme-cli",
    scopes: ["profile", "email", "groups"],
    audience: "https://api.acme.example",
    ports: "8765-8769",
    provider: {},
    repo: "acme/acme-cli",
    updateNotice: false,
  });
  // A loopback issuer may be http (a local provider, as in the tests).
  assertEquals(
    readBuildConfig({
      AUTHCTL_BUILD_ISSUER: "http://127.0.0.1:9000",
      AUTHCTL_BUILD_CLIENT_ID: "local",
    }, defaults).issuer,
    "http://127.0.0.1:9000",
  );
});

Deno.test("build config: a client secret is refused outright", () => {
  for (
    const key of [
      "AUTHCTL_BUILD_CLIENT_SECRET",
      "AUTHCTL_BUILD_SECRET",
      "AUTHCTL_BUILD_PRIVATE_KEY",
    ]
  ) {
    const found = problems({ [key]: "hunter2" });
    assertEquals(found.length, 1, key);
    assertMatch(found[0], new RegExp(`^${key} is set: a client secret`));
    assertMatch(found[0], /public client/);
    assert(!found[0].includes("hunter2"), "the secret is not echoed");
  }
});

Deno.test("build config: each bad value is named with its fix, all at once", () => {
  const found = problems({
    AUTHCTL_BUILD_NAME: "Acme CTL",
    AUTHCTL_BUILD_VERSION: "v1.0",
    AUTHCTL_BUILD_COMMIT: "abc123",
    AUTHCTL_BUILD_ISSUER: "http://login.acme.example",
    AUTHCTL_BUILD_CLIENT_ID: "has space",
    AUTHCTL_BUILD_SCOPES: 'profile "email"',
    AUTHCTL_BUILD_AUDIENCE: "a\u0007b",
    AUTHCTL_BUILD_PORTS: "99999",
    AUTHCTL_BUILD_CLIENTID: "typo",
    AUTHCTL_BUILD_REPO: "https://github.com/acme/cli",
    AUTHCTL_BUILD_UPDATE_NOTICE: "no",
  });
  const expect = [
    /^Unknown build variable AUTHCTL_BUILD_CLIENTID\. The build reads: /,
    /^AUTHCTL_BUILD_NAME "Acme CTL" is not a usable command name/,
    /^AUTHCTL_BUILD_VERSION "v1\.0" is not a semantic version/,
    /^AUTHCTL_BUILD_COMMIT "abc123" is not a full git commit hash/,
    /^AUTHCTL_BUILD_ISSUER: Refusing the plain-http issuer "http:\/\/login\.acme\.example"/,
    /^AUTHCTL_BUILD_CLIENT_ID "has space" is not a client ID/,
    /^AUTHCTL_BUILD_SCOPES has an invalid scope "\\"email\\""/,
    /^AUTHCTL_BUILD_AUDIENCE "a\\u0007b" has control/,
    /^AUTHCTL_BUILD_PORTS: Invalid port specification "99999"/,
    /^AUTHCTL_BUILD_REPO "https:\/\/github\.com\/acme\/cli" is not a GitHub repository: give OWNER\/NAME/,
    /^AUTHCTL_BUILD_UPDATE_NOTICE "no": set it to "off"/,
  ];
  assertEquals(found.length, expect.length, found.join("\n"));
  expect.forEach((pattern, i) => assertMatch(found[i], pattern));
  assertThrows(
    () => readBuildConfig({ AUTHCTL_BUILD_NAME: "-x" }, defaults),
    { message: /^Invalid build settings:\n {2}- AUTHCTL_BUILD_NAME "-x"/ },
  );
});

Deno.test("build config: the issuer and the client ID come together", () => {
  assertMatch(
    problems({ AUTHCTL_BUILD_ISSUER: "https://login.acme.example" })[0],
    /^AUTHCTL_BUILD_CLIENT_ID is missing/,
  );
  assertMatch(
    problems({ AUTHCTL_BUILD_CLIENT_ID: "acme-cli" })[0],
    /^AUTHCTL_BUILD_ISSUER is missing/,
  );
});

Deno.test("build config: artifacts are NAME-VERSION-TARGET, .exe on Windows", () => {
  const info = readBuildConfig({ AUTHCTL_BUILD_NAME: "acmectl" }, defaults);
  assertEquals(
    Object.keys(TARGETS).map((t) =>
      artifactName(info, t as keyof typeof TARGETS)
    ),
    [
      "acmectl-0.1.0-x86_64-unknown-linux-gnu",
      "acmectl-0.1.0-aarch64-unknown-linux-gnu",
      "acmectl-0.1.0-x86_64-apple-darwin",
      "acmectl-0.1.0-aarch64-apple-darwin",
      "acmectl-0.1.0-x86_64-pc-windows-msvc.exe",
    ],
  );
});

Deno.test("build config: the generated module carries the values and the same types", async () => {
  const source = await Deno.readTextFile(
    new URL("../../src/config/build_info.ts", import.meta.url),
  );
  // The committed module is what a build without settings generates.
  assertEquals(
    renderBuildInfo(source, buildInfo).replace(
      "// Generated by scripts/build.ts; do not edit.\n",
      "",
    ),
    source,
  );
  const info = readBuildConfig({
    AUTHCTL_BUILD_NAME: "acmectl",
    AUTHCTL_BUILD_ISSUER: "https://login.acme.example",
    AUTHCTL_BUILD_CLIENT_ID: 'acme"cli\\',
    AUTHCTL_BUILD_SCOPES: "profile email",
  }, defaults);
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/build_info.ts`;
    await Deno.writeTextFile(file, renderBuildInfo(source, info));
    // The types it imports, from beside it as in the staged copy.
    await Deno.writeTextFile(
      `${dir}/provider_settings.ts`,
      `export type * from ${
        JSON.stringify(
          new URL("../../src/config/provider_settings.ts", import.meta.url)
            .href,
        )
      };\n`,
    );
    const generated = await import(
      new URL(`file:///${file.replaceAll("\\", "/").replace(/^\//, "")}`)
        .href
    );
    assertEquals(generated.buildInfo, info);
    const check = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", file],
      stderr: "piped",
    }).output();
    assertEquals(check.code, 0, new TextDecoder().decode(check.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertThrows(
    () => renderBuildInfo("export const x = 1;\n", info),
    { message: /no longer has an `export const buildInfo/ },
  );
});

Deno.test("build config: provider settings are baked, checked like any other", () => {
  const info = readBuildConfig({
    AUTHCTL_BUILD_ISSUER: "https://github.com",
    AUTHCTL_BUILD_CLIENT_ID: "Iv1.abc",
    AUTHCTL_BUILD_PROVIDER: "github",
    AUTHCTL_BUILD_AUTH_PARAMS: "allow_signup=false",
    AUTHCTL_BUILD_OFFLINE_ACCESS: "no",
    AUTHCTL_BUILD_REDIRECT_URI: "http://127.0.0.1/callback",
    AUTHCTL_BUILD_RESOURCE: "https://api.acme.example",
  }, defaults);
  assertEquals(info.provider, {
    provider: "github",
    offlineAccess: false,
    authParams: { allow_signup: "false" },
    redirectUri: "http://127.0.0.1/callback",
    resources: ["https://api.acme.example"],
  });
  const wrong = problems({
    AUTHCTL_BUILD_PROVIDER: "gitlab",
    AUTHCTL_BUILD_TOKEN_ENDPOINT: "http://login.acme.example/token",
    AUTHCTL_BUILD_AUTH_PARAMS: "state=x",
  });
  assertEquals(wrong.length, 3, wrong.join("\n"));
  assertMatch(
    wrong[0],
    /AUTHCTL_BUILD_PROVIDER: .*"gitlab": use one of oidc, oauth2, github/,
  );
  assertMatch(
    wrong.join("\n"),
    /AUTHCTL_BUILD_TOKEN_ENDPOINT: Refusing .*use https/,
  );
  assertMatch(wrong.join("\n"), /cannot set "state"/);
});

Deno.test("build config: a client secret only when the provider documents it as public, and said so", () => {
  const secret = "GOCSPX-public-desktop-secret";
  const refused = problems({ AUTHCTL_BUILD_CLIENT_SECRET: secret });
  assertEquals(refused.length, 1);
  assertMatch(
    refused[0],
    /never baked .*AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC=yes/,
  );
  assertEquals(refused[0].includes(secret), false, "the value is not echoed");
  const baked = readBuildConfig({
    AUTHCTL_BUILD_CLIENT_SECRET: secret,
    AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC: "yes",
    AUTHCTL_BUILD_PROVIDER: "google",
  }, defaults);
  assertEquals(baked.provider.clientSecret, secret);
  assertEquals(
    problems({
      AUTHCTL_BUILD_CLIENT_SECRET: secret,
      AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC: "sure",
    }).length,
    2,
  );
  // Any other secret-like variable stays refused.
  assertEquals(
    problems({
      AUTHCTL_BUILD_PRIVATE_KEY: "x",
      AUTHCTL_BUILD_CLIENT_SECRET_IS_PUBLIC: "yes",
    }).length,
    1,
  );
});
