/**
 * `deno task demo`: starts a local OpenID provider on 127.0.0.1, logs in to it
 * with the real CLI through the browser, then shows `status` and `token`.
 * Nothing touches your own configuration: the demo uses a temporary config
 * directory and removes it at the end.
 *
 * `deno task demo --resource [--port N]` instead starts a demo authorization
 * server (with dynamic client registration and resource indicators) and a
 * demo MCP-style protected resource at `http://127.0.0.1:9728/mcp` (or port
 * N), prints what to run against them, and waits for Ctrl-C: the README's
 * walkthrough "Logging in to an MCP server" runs against it as written.
 *
 * @module
 */

import { cliArgs } from "./cli_args.ts";
import { startDemoProvider } from "./demo_provider.ts";
import { startDemoResource } from "./demo_resource.ts";

const bold = (s: string) => Deno.stdout.isTerminal() ? `\x1b[1m${s}\x1b[0m` : s;
const say = (s: string) => console.log(`\n${bold(`▶ ${s}`)}`);

// oidc-provider's notes about its development defaults are noise here.
console.warn = () => {};
console.info = () => {};
if (Deno.args.includes("--resource")) {
  await serveResource();
  Deno.exit(0);
}
const provider = await startDemoProvider();
const configDir = await Deno.makeTempDir({ prefix: "authctl-demo-" });
// The demo's profile, as a user would write it.
await Deno.writeTextFile(
  `${configDir}/config.toml`,
  `default_profile = "demo"

[profiles.demo]
issuer = ${JSON.stringify(provider.issuer)}
client_id = ${JSON.stringify(provider.clientId)}
# oidc-provider issues a refresh token (offline_access) only after an
# explicit consent (OpenID Connect Core §11).
prompt = "consent"
# The demo's tokens stay in its temporary directory, never in your keychain.
storage = "file"
`,
);
const env: Record<string, string> = { AUTHCTL_CONFIG_DIR: configDir };

if (!Deno.env.get("BROWSER") && !hasGraphicalBrowser()) {
  if (await exists("/usr/bin/chromium")) {
    const helper = new URL("./headless_browser.ts", import.meta.url).pathname;
    env.BROWSER = `${Deno.execPath()} run --allow-all ${helper}`;
    say(
      'No graphical browser here: headless Chromium will sign in as "alice" for you.',
    );
  } else {
    say(
      "No graphical browser here: open the URL below in a browser on this machine\n" +
        "  (any user name and password work), or install Chromium (bash scripts/setup.sh) and rerun.",
    );
  }
}

let failed = false;
try {
  say(`A demo OpenID provider runs at ${provider.issuer}. Logging in:`);
  say(`authctl login --scope "profile email"`);
  failed ||= !await cli(["login", "--scope", "profile email"]);
  if (!failed) {
    say("authctl status");
    await cli(["status"]);
    say("authctl token");
    const token = await cli(["token"], true);
    if (typeof token === "string") {
      const res = await fetch(`${provider.issuer}/me`, {
        headers: { authorization: `Bearer ${token.trim()}` },
      });
      const body = await res.json();
      say(
        `The provider's userinfo endpoint accepts that token (HTTP ${res.status}): sub=${body.sub}, email=${body.email}`,
      );
    }
  }
} finally {
  await provider.close();
  await Deno.remove(configDir, { recursive: true });
}
say(failed ? "The demo did not finish." : "Demo complete.");
if (failed) Deno.exitCode = 1;

/** Runs the CLI; resolves with its stdout when `capture`, else success. */
async function cli(args: string[], capture = false): Promise<string | boolean> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...await cliArgs(), ...args],
    env,
    stdin: "inherit",
    stdout: capture ? "piped" : "inherit",
    stderr: "inherit",
  });
  const out = await child.output();
  if (!capture) return out.success;
  const text = new TextDecoder().decode(out.stdout);
  console.log(text.trimEnd());
  return out.success ? text : false;
}

function hasGraphicalBrowser(): boolean {
  if (Deno.build.os !== "linux") return true;
  return Boolean(
    Deno.env.get("DISPLAY") || Deno.env.get("WAYLAND_DISPLAY") ||
      Deno.env.get("WSL_DISTRO_NAME"),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `--resource`: the authorization server and the resource, until Ctrl-C. */
async function serveResource() {
  const at = Deno.args.indexOf("--port");
  const port = at >= 0 ? Number(Deno.args[at + 1]) : 9728;
  const provider = await startDemoProvider({ resources: true });
  let resource;
  try {
    resource = await startDemoResource({ issuer: provider.issuer, port });
  } catch (err) {
    await provider.close();
    console.error(
      `Cannot listen on 127.0.0.1:${port} (${
        (err as Error).message
      }). Stop what uses it, or give --port N.`,
    );
    Deno.exit(1);
  }
  const url = `${resource.origin}/mcp`;
  console.log(`A demo MCP-style resource runs at ${url}`);
  console.log(
    `Its authorization server (dynamic registration, resource indicators) runs at ${provider.issuer}`,
  );
  say("In another terminal:");
  console.log(`  export AUTHCTL_CONFIG_DIR="$(mktemp -d)"
  authctl login --resource ${url}
  authctl api ${url}
  authctl api ${url}/admin
  authctl token --resource ${url}`);
  say("Press Ctrl-C to stop.");
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  await resource.close();
  await provider.close();
}
