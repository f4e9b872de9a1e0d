/**
 * The update notice, through a branded release binary (made by `deno task
 * package`) against a local release server: once a day on a terminal;
 * never to a pipe, in CI, with the opt-out, or from `token`; and a server
 * that hangs costs a command at most the check's timeout.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { baseEnv, spawnCommand } from "../support/cli.ts";
import { makeRelease, serveReleases } from "../support/release.ts";
import { NOTICE_TIMEOUT_MS } from "../../src/app/update_notice.ts";

const REPO = "acme/acmectl-releases";
const target = Deno.build.target;
const NOTICE =
  "A new release of acmectl is available: 1.0.0 → 1.1.0. To update: acmectl upgrade";

async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

Deno.test("update notice: once a day, for a person at a terminal only", async (t) => {
  const work = await Deno.makeTempDir({ prefix: "notice-" });
  const build = (version: string) => ({
    AUTHCTL_BUILD_NAME: "acmectl",
    AUTHCTL_BUILD_REPO: REPO,
    AUTHCTL_BUILD_VERSION: version,
  });
  await Promise.all([
    makeRelease(`${work}/r1.0.0`, build("1.0.0")),
    makeRelease(`${work}/r1.1.0`, build("1.1.0")),
  ]);
  const server = serveReleases(
    REPO,
    { "1.0.0": `${work}/r1.0.0`, "1.1.0": `${work}/r1.1.0` },
    "1.1.0",
  );
  const binary = `${work}/bin/acmectl`;
  await Deno.mkdir(`${work}/bin`);
  await Deno.copyFile(`${work}/r1.0.0/acmectl-1.0.0-${target}`, binary);
  await Deno.chmod(binary, 0o755);
  const home = `${work}/home`;
  const cache = `${home}/.local/state/acmectl/update-check.json`;
  const env = {
    ...baseEnv(),
    HOME: home,
    DENO_DIR: await denoDir(),
    ACMECTL_GITHUB_URL: server.url,
    ACMECTL_CONFIG_DIR: `${work}/config`,
    NO_COLOR: "1",
  };
  const run = async (
    args: string[],
    options: { pty: boolean; env?: Record<string, string> },
  ) => {
    const started = performance.now();
    const running = spawnCommand([binary, ...args], {
      ...env,
      ...options.env,
    }, { pty: options.pty });
    // A check that never gives up must fail the test, not hang it.
    const guard = setTimeout(() => running.child.kill("SIGKILL"), 20_000);
    try {
      const result = await running.finish();
      return { ...result, ms: performance.now() - started };
    } finally {
      clearTimeout(guard);
    }
  };
  const asked = () =>
    server.requests.filter((p) => p.endsWith("/SHA256SUMS")).length;
  try {
    await t.step(
      "never to a pipe, in CI, with the opt-out, or from token: no notice, no request",
      async () => {
        for (
          const [args, options] of [
            [["version"], { pty: false }],
            [["status"], { pty: false }],
            [["version"], { pty: true, env: { CI: "true" } }],
            [["version"], {
              pty: true,
              env: { ACMECTL_NO_UPDATE_NOTIFIER: "1" },
            }],
            [["token"], { pty: true }],
            [["header"], { pty: true }],
          ] as const
        ) {
          const out = await run([...args], options);
          assert(!out.stderr.includes("new release"), `${args}: ${out.stderr}`);
          assert(!out.stdout.includes("new release"), `${args}: ${out.stdout}`);
          assertEquals(
            asked(),
            0,
            `${args} ${JSON.stringify(options)} asked the releases`,
          );
        }
        await Deno.stat(cache).then(
          () => assert(false, "no check was remembered"),
          () => {},
        );
      },
    );

    await t.step(
      "on a terminal: after the output, one line naming the version and the command",
      async () => {
        const out = await run(["version"], { pty: true });
        assertEquals(out.code, 0, out.stderr);
        const lines = out.stderr.trim().split(/\r?\n/);
        assert(lines[0].startsWith("acmectl 1.0.0 "), out.stderr);
        assertEquals(lines.at(-1), NOTICE);
        assertEquals(lines.filter((l) => l.includes("new release")).length, 1);
        assertEquals(asked(), 1);
      },
    );

    await t.step(
      "the next run the same day: no notice, and no request (remembered)",
      async () => {
        const out = await run(["status"], { pty: true });
        assert(!out.stderr.includes("new release"), out.stderr);
        assertEquals(asked(), 1);
      },
    );

    await t.step("a day later: asked again, and shown again", async () => {
      const state = JSON.parse(await Deno.readTextFile(cache));
      const dayAgo = Date.now() - 25 * 60 * 60 * 1000;
      await Deno.writeTextFile(
        cache,
        JSON.stringify({ ...state, checked: dayAgo, notified: dayAgo }),
      );
      const out = await run(["version"], { pty: true });
      assert(out.stderr.includes(NOTICE), out.stderr);
      assertEquals(asked(), 2);
    });

    await t.step(
      "a release server that hangs delays the command by at most the timeout",
      async () => {
        const fresh = { HOME: `${work}/home2` };
        const quiet = await run(["version"], {
          pty: true,
          env: { ...fresh, ACMECTL_NO_UPDATE_NOTIFIER: "1" },
        });
        server.fault = "hang";
        const slow = await run(["version"], { pty: true, env: fresh });
        server.fault = "none";
        assertEquals(slow.code, 0, slow.stderr);
        assert(!slow.stderr.includes("new release"), slow.stderr);
        assert(asked() === 3, "the check was made (and hung)");
        const delay = slow.ms - quiet.ms;
        assert(
          delay < NOTICE_TIMEOUT_MS + 1_000,
          `the hanging check delayed version by ${
            Math.round(delay)
          } ms (timeout ${NOTICE_TIMEOUT_MS} ms)`,
        );
      },
    );
  } finally {
    await server.close();
    await Deno.remove(work, { recursive: true });
  }
});
