/**
 * The CLI layer in-process: parsing, usage errors, version output.
 */

import { assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { type CliDeps, runCli } from "../../src/cli/mod.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { systemClock } from "../../src/platform/clock.ts";
import { envFrom } from "../../src/platform/env.ts";
import { detectEnvironment } from "../../src/platform/environment.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";

function deps(vars: Record<string, string> = {}) {
  const terminal = new BufferTerminal();
  const cli: CliDeps = {
    system: {
      os: Deno.build.os,
      env: envFrom({
        AUTHCTL_CONFIG_DIR: "/nonexistent/authctl-test",
        ...vars,
      }),
    },
    terminal,
    clock: systemClock,
    browser: { open: () => Promise.resolve(false) },
    signal: new AbortController().signal,
    build: {
      ...buildInfo,
      name: "acmectl",
      issuer: "https://login.acme.test",
      clientId: "acme-cli",
    },
    environment: () =>
      detectEnvironment({ os: "linux", env: envFrom({}) }, terminal),
    processes: {
      run: () => Promise.reject(new Error("no programs in these tests")),
    },
  };
  return { terminal, cli };
}

Deno.test("cli: version --json shows the build and its baked settings", async () => {
  const { terminal, cli } = deps();
  await runCli(["version", "--json"], cli);
  const v = JSON.parse(terminal.stdout);
  assertEquals(v.name, "acmectl");
  assertEquals(v.baked.issuer, "https://login.acme.test");
  assertEquals(v.baked.clientId, "acme-cli");
  assertEquals(v.target, Deno.build.target);
});

Deno.test("cli: help is not an error and names the build's command", async () => {
  const { terminal, cli } = deps();
  await runCli(["--help"], cli);
  assertMatch(terminal.stdout, /^USAGE\n {2}acmectl login/);
  await runCli(["login", "--help"], cli);
  assertMatch(terminal.stdout, /\[--flow\] +how to log in/);
  assertMatch(
    terminal.stdout,
    /\[--profile\] +profile to use \(env ACMECTL_PROFILE\)/,
  );
  assertMatch(terminal.stdout, /\[--browser\/--no-browser\]/);
});

Deno.test("cli: unknown commands, options and flow names are usage errors (exit 2)", async () => {
  for (
    const args of [["bogus"], ["token", "--bogus"], [
      "login",
      "--flow",
      "carrier-pigeon",
    ]]
  ) {
    const { cli } = deps();
    const err = await runCli(args, cli).then(() => undefined, (e) => e);
    assertEquals(err?.exitCode, 2, args.join(" "));
  }
});

Deno.test("cli: token without credentials is exit 4 and names the fix", async () => {
  const { cli, terminal } = deps();
  // The build's own command (acmectl here), not authctl's module-level name.
  await assertRejects(() => runCli(["token"], cli), {
    code: "not_logged_in",
    message: /Run: acmectl login$/,
  });
  assertEquals(terminal.stdout, "");
});

Deno.test("cli: -V and -v print the version; help COMMAND is COMMAND --help", async () => {
  for (const flag of ["-V", "-v", "--version"]) {
    const { terminal, cli } = deps();
    assertEquals(await runCli([flag], cli), 0);
    assertEquals(terminal.stdout, `${buildInfo.version}\n`);
  }
  const a = deps();
  await runCli(["help", "token"], a.cli);
  const b = deps();
  await runCli(["token", "--help"], b.cli);
  assertEquals(a.terminal.stdout, b.terminal.stdout);
  assertMatch(a.terminal.stdout, /^USAGE\n {2}acmectl token/);
});

Deno.test("cli: a usage error is one line naming the mistake and --help", async () => {
  const { cli, terminal } = deps();
  await assertRejects(() => runCli(["token", "--bogus"], cli), {
    code: "usage",
    message:
      /^No flag registered for --bogus\. Run "acmectl --help" for usage\.$/,
  });
  assertEquals(terminal.stderr, "");
});

Deno.test("cli: exec hands everything after the program's name to the program", async () => {
  for (
    const args of [
      ["exec", "sh", "-c", "echo $X", "--env", "Y"],
      [
        "exec",
        "--env",
        "X",
        "--min-ttl",
        "0",
        "sh",
        "-c",
        "echo $X",
        "--env",
        "Y",
      ],
      ["exec", "--env=X", "--", "sh", "-c", "echo $X", "--env", "Y"],
    ]
  ) {
    const { cli } = deps({ AUTHCTL_TOKEN: "t" });
    const seen: {
      command: string;
      args: string[];
      env: Record<string, string>;
    }[] = [];
    cli.processes = {
      run: (command, args, env) => {
        seen.push({ command, args, env });
        return Promise.resolve(7);
      },
    };
    assertEquals(await runCli(args, cli), 7, args.join(" "));
    assertEquals(seen[0].command, "sh");
    assertEquals(seen[0].args, ["-c", "echo $X", "--env", "Y"]);
    const variable = args.includes("sh") && args[1] === "sh"
      ? "ACMECTL_ACCESS_TOKEN"
      : "X";
    assertEquals(seen[0].env, { [variable]: "t" });
  }
});
