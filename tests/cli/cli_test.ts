/**
 * The CLI layer in-process: parsing, usage errors, version output.
 */

import { assertEquals, assertMatch, assertRejects } from "../support/assert.ts";
import { runCli } from "../../src/cli/mod.ts";
import { buildInfo } from "../../src/config/build_info.ts";
import { systemClock } from "../../src/platform/clock.ts";
import { envFrom } from "../../src/platform/env.ts";
import { detectEnvironment } from "../../src/platform/environment.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";

function deps(vars: Record<string, string> = {}) {
  const terminal = new BufferTerminal();
  return {
    terminal,
    cli: {
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
    },
  };
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
  assertMatch(terminal.stdout, /Usage: acmectl/);
  await runCli(["login", "--help"], cli);
  assertMatch(terminal.stdout, /--flow <flow>/);
  assertMatch(terminal.stdout, /--profile <name>/);
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
  await assertRejects(() => runCli(["token"], cli), {
    code: "not_logged_in",
    message: new RegExp(`Run: ${buildInfo.name} login`),
  });
  assertEquals(terminal.stdout, "");
});
