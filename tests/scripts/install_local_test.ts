/**
 * `deno task install`: an `authctl` command on PATH, from a source checkout,
 * that works from any directory — including as git's credential helper
 * (`!authctl git-credential`), the README's line.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";
import { baseEnv } from "../support/cli.ts";
import { permissionFlags } from "../../scripts/cli_args.ts";

const repo = new URL("../../", import.meta.url).pathname;

Deno.test({
  name: "deno task install: authctl on PATH, usable by git from elsewhere",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "authctl-install-" });
    const elsewhere = await Deno.makeTempDir({ prefix: "authctl-cwd-" });
    const text = new TextDecoder();
    try {
      const install = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", "install", "--root", root],
        cwd: repo,
        env: { ...baseEnv(), NO_COLOR: "1" },
        clearEnv: true,
      }).output();
      assertEquals(install.code, 0, text.decode(install.stderr));
      assertMatch(text.decode(install.stderr), new RegExp(`${root}/bin`));
      const shim = await Deno.readTextFile(`${root}/bin/authctl`);
      // Exactly the compiled binary's permissions: nothing more.
      for (const flag of await permissionFlags()) {
        assertMatch(shim, new RegExp(` ${flag.replace(/[=]/g, "\\=")} `));
      }
      assertEquals(/--allow-all|-A /.test(shim), false);

      const env = {
        ...baseEnv(),
        PATH: `${root}/bin:${Deno.env.get("PATH")}`,
        HOME: elsewhere,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_TERMINAL_PROMPT: "0",
        AUTHCTL_CONFIG_DIR: `${elsewhere}/config`,
        NO_COLOR: "1",
      };
      const version = await new Deno.Command("authctl", {
        args: ["version"],
        cwd: elsewhere,
        env,
        clearEnv: true,
      }).output();
      assertEquals(version.code, 0, text.decode(version.stderr));
      assertMatch(text.decode(version.stdout), /^authctl \d+\.\d+\.\d+/);

      // The README's helper line, as git runs it (through a shell).
      const git = new Deno.Command("git", {
        args: [
          "-c",
          "credential.helper=",
          "-c",
          "credential.helper=!authctl git-credential",
          "credential",
          "fill",
        ],
        cwd: elsewhere,
        env: {
          ...env,
          AUTHCTL_TOKEN: "token-from-the-environment",
          AUTHCTL_GIT_HOSTS: "git.acme.example",
        },
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = git.stdin.getWriter();
      await writer.write(
        new TextEncoder().encode("protocol=https\nhost=git.acme.example\n\n"),
      );
      await writer.close();
      const filled = await git.output();
      assertEquals(filled.code, 0, text.decode(filled.stderr));
      assertMatch(
        text.decode(filled.stdout),
        /password=token-from-the-environment/,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(elsewhere, { recursive: true });
    }
  },
});
