import { assertEquals } from "../support/assert.ts";
import { openCommands, systemBrowser } from "../../src/platform/browser.ts";
import { envFrom } from "../../src/platform/env.ts";

const url = "http://127.0.0.1:1/auth?state=s";

Deno.test("browser: $BROWSER wins; %s is replaced, else the URL is appended", () => {
  assertEquals(
    openCommands({
      os: "linux",
      env: envFrom({ BROWSER: "firefox --new-tab %s:w3m" }),
    }, url),
    [{ cmd: "firefox", args: ["--new-tab", url] }, { cmd: "w3m", args: [url] }],
  );
});

Deno.test("browser: platform openers; none on Linux without a display", () => {
  assertEquals(openCommands({ os: "darwin", env: envFrom({}) }, url), [{
    cmd: "open",
    args: [url],
  }]);
  assertEquals(openCommands({ os: "windows", env: envFrom({}) }, url), [
    { cmd: "rundll32", args: ["url.dll,FileProtocolHandler", url] },
  ]);
  assertEquals(
    openCommands({ os: "linux", env: envFrom({ DISPLAY: ":0" }) }, url),
    [
      { cmd: "xdg-open", args: [url] },
    ],
  );
  const wsl = openCommands({
    os: "linux",
    env: envFrom({ WSL_DISTRO_NAME: "Ubuntu" }),
  }, url);
  assertEquals(wsl[0], { cmd: "wslview", args: [url] });
  assertEquals(wsl[1].cmd, "powershell.exe");
  assertEquals(wsl[1].args.at(-1), `Start-Process '${url}'`);
  const quoted = openCommands({
    os: "linux",
    env: envFrom({ WSL_INTEROP: "/run/x" }),
  }, "http://h/a?b='c'");
  assertEquals(quoted[1].args.at(-1), "Start-Process 'http://h/a?b=''c'''");
  assertEquals(openCommands({ os: "linux", env: envFrom({}) }, url), []);
});

Deno.test("browser: the opener runs the command with the URL as its only secret-free argument", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/browser.sh`;
    await Deno.writeTextFile(
      script,
      `#!/bin/sh\nprintf '%s' "$1" > "${dir}/opened"\n`,
      { mode: 0o755 },
    );
    const opened = await systemBrowser({
      os: "linux",
      env: envFrom({ BROWSER: script }),
    }).open(url);
    assertEquals(opened, true);
    assertEquals(await Deno.readTextFile(`${dir}/opened`), url);
    assertEquals(
      await systemBrowser({ os: "linux", env: envFrom({ BROWSER: "false" }) })
        .open(url),
      false,
    );
    assertEquals(
      await systemBrowser({
        os: "linux",
        env: envFrom({ BROWSER: `${dir}/missing` }),
      }).open(url),
      false,
    );
    assertEquals(
      await systemBrowser({ os: "linux", env: envFrom({}) }).open(url),
      false,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
