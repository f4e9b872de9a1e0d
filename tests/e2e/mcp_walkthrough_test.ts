/**
 * The README's walkthrough "Logging in to an MCP server" runs as written:
 * its commands, in a real shell on a pseudo-terminal, against what
 * `deno task demo --resource` starts, with the `authctl` command that
 * `deno task install` puts on PATH and headless Chromium as the browser.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { baseEnv } from "../support/cli.ts";
import { startE2e } from "../support/e2e.ts";

const repo = new URL("../../", import.meta.url).pathname;

/** The sh block after "**Try it here.**" in the MCP section. */
async function walkthrough(): Promise<string> {
  const readme = await Deno.readTextFile(`${repo}README.md`);
  const section = readme.split(
    "## Logging in to an MCP server (or any API that says where to log in)",
  )[1];
  assert(section, "the README has no MCP section");
  const after = section.split("**Try it here.**")[1];
  const block = /```sh\n([\s\S]*?)```/.exec(after ?? "")?.[1];
  assert(block, "the MCP section has no walkthrough");
  return block;
}

Deno.test({
  name:
    "e2e: the README's MCP walkthrough runs as written against `deno task demo --resource`",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const script = await walkthrough();
    assertMatch(
      script,
      /authctl login --resource http:\/\/127\.0\.0\.1:9728\/mcp/,
    );
    await using e2e = await startE2e({ provider: false });
    const root = e2e.dir;
    // The walkthrough itself keeps its configuration in a temporary
    // directory (AUTHCTL_CONFIG_DIR); HOME stays, with Deno's cache.
    const env: Record<string, string> = { ...baseEnv(), NO_COLOR: "1" };
    const installed = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "install", "--root", root],
      cwd: repo,
      env,
      clearEnv: true,
      stdin: "null",
    }).output();
    assertEquals(
      installed.code,
      0,
      new TextDecoder().decode(installed.stderr),
    );
    const demo = new Deno.Command(Deno.execPath(), {
      args: ["task", "demo", "--resource"],
      cwd: repo,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let shown = "";
    let exited = false;
    demo.status.then(() => exited = true);
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        shown += chunk;
      }
    };
    const reading = Promise.all([read(demo.stdout), read(demo.stderr)]);
    e2e.defer(async () => {
      try {
        demo.kill("SIGINT");
      } catch { /* gone */ }
      await demo.status;
      await reading.catch(() => {});
    });
    const deadline = Date.now() + 30_000;
    while (
      !/Press Ctrl-C to stop/.test(shown) && !exited && Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assertMatch(
      shown,
      /A demo MCP-style resource runs at http:\/\/127\.0\.0\.1:9728\/mcp/,
    );
    await Deno.writeTextFile(`${root}/walkthrough.sh`, script);
    const helper = `${repo}scripts/headless_browser.ts`;
    const shell = new Deno.Command("script", {
      args: ["-qfec", `bash -e ${root}/walkthrough.sh`, "/dev/null"],
      cwd: root,
      env: {
        ...env,
        PATH: `${root}/bin:${env.PATH ?? "/usr/bin:/bin"}`,
        BROWSER: `${Deno.execPath()} run --allow-all ${helper}`,
        DENO_NO_UPDATE_CHECK: "1",
      },
      clearEnv: true,
      // Open, as a person's terminal is (an ended one ends a login).
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const run = await shell.output();
    const out = new TextDecoder().decode(run.stdout);
    assertEquals(run.code, 0, out);
    assertMatch(
      out,
      /Registered with "http:\/\/127\.0\.0\.1:\d+" as client "[^"]+"/,
    );
    assertMatch(
      out,
      /Logged in as alice to http:\/\/127\.0\.0\.1:9728\/mcp through http:\/\/127\.0\.0\.1:\d+ with scope "mcp:read", as profile "127\.0\.0\.1-9728" \(saved in config\.toml\)\./,
    );
    assertMatch(out, /resource=http%3A%2F%2F127\.0\.0\.1%3A9728%2Fmcp/);
    assertMatch(
      out,
      /"resource":"http:\/\/127\.0\.0\.1:9728\/mcp","path":"\/mcp"/,
    );
    // The step-up on the terminal, then the answer.
    assertMatch(out, /needs the scope "mcp:read mcp:admin"/);
    assertMatch(out, /"path":"\/mcp\/admin"/);
  },
});
