import { assertEquals, assertRejects } from "../support/assert.ts";
import { loadConfigFile } from "../../src/config/config_file.ts";

Deno.test("config file: a missing file is an empty configuration", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await loadConfigFile(`${dir}/config.toml`), {
      path: `${dir}/config.toml`,
      profiles: {},
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config file: TOML profiles are read; broken TOML is a usage error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.toml`;
    await Deno.writeTextFile(
      path,
      `default_profile = "prod"\n[profiles.prod]\nissuer = "https://p.example"\nclient_id = "cli"\nscopes = ["a", "b"]\nports = "8765-8769"\n`,
    );
    const config = await loadConfigFile(path);
    assertEquals(config.defaultProfile, "prod");
    assertEquals(config.profiles.prod, {
      issuer: "https://p.example",
      clientId: "cli",
      scopes: ["a", "b"],
      ports: "8765-8769",
    });
    await Deno.writeTextFile(path, "[profiles\n");
    await assertRejects(() => loadConfigFile(path), {
      code: "config_invalid",
      message: /is not valid TOML/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config file: errors name the file, the line and the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/config.toml`;
    await Deno.writeTextFile(
      path,
      `default_profile = "a"\n\n[profiles.a]\nissuer = "https://a.example"\nflow = "carrier-pigeon"\n`,
    );
    await assertRejects(() => loadConfigFile(path), {
      code: "config_invalid",
      message: new RegExp(
        `"${path}", line 5, has an invalid "flow" in profile "a": one of "auto", "loopback", "device", "paste" was expected, but the string "carrier-pigeon" was found\\. Fix or remove it\\.`,
      ),
    });
    await Deno.writeTextFile(
      path,
      `[profiles.b]\nclient_id = "x"\n\n[profiles.a]\nclient_id = "y"\nstorage = 3\n`,
    );
    await assertRejects(() => loadConfigFile(path), {
      message:
        /line 6, has an invalid "storage" in profile "a": a string was expected, but the number 3 was found\./,
    });
    await Deno.writeTextFile(path, `[profiles.a]\nclient_id = 42\n`);
    await assertRejects(() => loadConfigFile(path), {
      message:
        /line 2, has an invalid "client_id" in profile "a": a string was expected, but the number 42 was found\./,
    });
    await Deno.writeTextFile(path, `[profiles.a]\nscopes = { a = 1 }\n`);
    await assertRejects(() => loadConfigFile(path), {
      message:
        /"scopes" in profile "a": a list of strings \(or one string\) was expected, but a table was found\./,
    });
    await Deno.writeTextFile(
      path,
      `[profiles.a]\nissuer = "https://a.example"\nissuer = "x"\n`,
    );
    await assertRejects(() => loadConfigFile(path), {
      message: /not valid TOML \(line 3\)/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
