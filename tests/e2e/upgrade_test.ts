/**
 * `upgrade` against a local release server: releases made by the real
 * `deno task package` (stand-in binaries), a branded build (acmectl, its own
 * repository) installed by download, and the server's faults: a tampered
 * binary, a download cut off, a newer release of another build.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { baseEnv } from "../support/cli.ts";
import {
  makeRelease,
  type ReleaseServer,
  serveReleases,
  sha256File,
} from "../support/release.ts";
import { runProgram } from "../support/run.ts";
import { permissionFlags } from "../../scripts/cli_args.ts";

const REPO = "acme/acmectl-releases";
const target = Deno.build.target;
const build = (version: string, extra: Record<string, string> = {}) => ({
  AUTHCTL_BUILD_NAME: "acmectl",
  AUTHCTL_BUILD_REPO: REPO,
  AUTHCTL_BUILD_VERSION: version,
  AUTHCTL_BUILD_ISSUER: "https://login.acme.example",
  AUTHCTL_BUILD_CLIENT_ID: "acmectl",
  ...extra,
});

function run(binary: string, args: string[], server: ReleaseServer) {
  return runProgram(binary, args, {
    env: { ...baseEnv(), ACMECTL_GITHUB_URL: server.url, NO_COLOR: "1" },
  });
}

async function listing(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("upgrade: from a local release server", async (t) => {
  const work = await Deno.makeTempDir({ prefix: "upgrade-" });
  const [r100, r110, other] = [
    `${work}/r1.0.0`,
    `${work}/r1.1.0`,
    `${work}/other`,
  ];
  await Promise.all([
    makeRelease(r100, build("1.0.0")),
    makeRelease(r110, build("1.1.0")),
    // The same name and version, other baked settings.
    makeRelease(
      other,
      build("1.1.0", { AUTHCTL_BUILD_ISSUER: "https://login.other.example" }),
    ),
  ]);
  const server = serveReleases(
    REPO,
    { "1.0.0": r100, "1.1.0": r110 },
    "1.1.0",
  );
  const otherServer = serveReleases(REPO, { "1.1.0": other }, "1.1.0");
  const old = `${r100}/acmectl-1.0.0-${target}`;
  /** A fresh download install of 1.0.0 at `dir/acmectl`. */
  const install = async (dir: string) => {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.copyFile(old, `${dir}/acmectl`);
    await Deno.chmod(`${dir}/acmectl`, 0o755);
    return `${dir}/acmectl`;
  };
  try {
    await t.step(
      "--check names the new version and a command that installs it; that command does",
      async () => {
        const binary = await install(`${work}/check`);
        const checked = await run(binary, ["upgrade", "--check"], server);
        assertEquals(checked.code, 0, checked.stderr);
        const m =
          /^acmectl 1\.1\.0 is available \(this is 1\.0\.0\)\. To update: (.+)$/m
            .exec(checked.stdout);
        assert(m, checked.stdout);
        assertEquals(m[1], "acmectl upgrade");
        // The hint, run as given (with the binary's own path for its name).
        const [, ...args] = m[1].split(" ");
        const done = await run(binary, args, server);
        assertEquals(done.code, 0, done.stderr);
        assertMatch(
          (await run(binary, ["version"], server)).stdout,
          /^acmectl 1\.1\.0 /,
        );
      },
    );

    await t.step(
      "a good release replaces the binary in one rename; the new one runs and shows the same build",
      async () => {
        const dir = `${work}/good`;
        const binary = await install(dir);
        server.requests.length = 0;
        // A newer binary of another build, and archives, are in the same sums:
        // never picked.
        server.extraSums = [
          `${"0".repeat(64)}  authctl-9.9.9-${target}`,
          `${"1".repeat(64)}  acmectl-9.9.9-${target}.tar.gz`,
          `${"2".repeat(64)}  acmectl-tools-9.9.9-${target}`,
        ];
        const out = await run(binary, ["upgrade"], server);
        server.extraSums = [];
        assertEquals(out.code, 0, out.stderr);
        assertMatch(
          out.stderr,
          /Upgraded acmectl 1\.0\.0 → 1\.1\.0 .*verified against SHA256SUMS/,
        );
        assertEquals(
          await sha256File(binary),
          await sha256File(`${r110}/acmectl-1.1.0-${target}`),
        );
        assertEquals(await listing(dir), ["acmectl"], "no temporary file left");
        const version = JSON.parse(
          (await run(binary, ["version", "--json"], server)).stdout,
        );
        assertEquals(version.version, "1.1.0");
        assertEquals(version.baked.repo, REPO);
        // Only its own repository was asked.
        assert(server.requests.length >= 2);
        for (const path of server.requests) {
          assert(path.startsWith(`/${REPO}/releases/`), path);
        }
        assert(
          server.requests.includes(
            `/${REPO}/releases/download/v1.1.0/acmectl-1.1.0-${target}`,
          ),
        );
        // Now it is the latest.
        const again = await run(binary, ["upgrade"], server);
        assertEquals(again.code, 0, again.stderr);
        assertMatch(again.stderr, /acmectl 1\.1\.0 is the latest release/);
      },
    );

    for (
      const [fault, message] of [
        [
          "tamper",
          /Checksum mismatch for acmectl-1\.1\.0-\S+: SHA256SUMS says [0-9a-f]{64}, the download is [0-9a-f]{64}\. Nothing was changed/,
        ],
        ["cut", /was cut off after \d+ (of \d+ )?bytes\. Nothing was changed/],
      ] as const
    ) {
      await t.step(
        `a ${
          fault === "tamper" ? "checksum mismatch" : "download cut off"
        } leaves the old binary untouched, exit 1`,
        async () => {
          const dir = `${work}/${fault}`;
          const binary = await install(dir);
          const before = await sha256File(binary);
          server.fault = fault;
          const out = await run(binary, ["upgrade"], server);
          server.fault = "none";
          assertEquals(out.code, 1, out.stderr);
          assertMatch(out.stderr, message);
          assertEquals(await sha256File(binary), before);
          assertEquals(await listing(dir), ["acmectl"]);
          assertMatch(
            (await run(binary, ["version"], server)).stdout,
            /^acmectl 1\.0\.0 /,
          );
        },
      );
    }

    await t.step(
      "a release binary with other baked settings is refused, the old one kept",
      async () => {
        const dir = `${work}/other-build`;
        const binary = await install(dir);
        const before = await sha256File(binary);
        const out = await run(binary, ["upgrade"], otherServer);
        assertEquals(out.code, 1, out.stderr);
        assertMatch(
          out.stderr,
          /not this build of acmectl: it shows .*login\.other\.example.*Nothing was changed/,
        );
        assertEquals(await sha256File(binary), before);
        assertEquals(await listing(dir), ["acmectl"]);
      },
    );

    for (
      const [where, command] of [
        ["Cellar/acmectl/1.0.0/bin", "brew upgrade acme/tap/acmectl"],
        ["scoop/apps/acmectl/current", "scoop update acmectl"],
        [
          "Microsoft/WinGet/Packages/acme.acmectl_Microsoft.Winget.Source_8wekyb3d8bbwe",
          "winget upgrade --id acme.acmectl",
        ],
      ] as const
    ) {
      await t.step(
        `under ${where.split("/")[0]}: refused, naming "${command}"`,
        async () => {
          const binary = await install(`${work}/pm/${where}`);
          const before = await sha256File(binary);
          const out = await run(binary, ["upgrade"], server);
          assertEquals(out.code, 1, out.stderr);
          assert(
            out.stderr.includes(`upgrade it the same way: ${command}`),
            out.stderr,
          );
          assertEquals(await sha256File(binary), before);
          // --check says the same command.
          const checked = await run(binary, ["upgrade", "--check"], server);
          assert(
            checked.stdout.includes(`To update: ${command}`),
            checked.stdout,
          );
        },
      );
    }

    await t.step(
      "a directory it cannot write to: exit 1, naming an install command that works",
      async () => {
        const dir = `${work}/locked`;
        const binary = await install(dir);
        const before = await sha256File(binary);
        // Immutable: not even root may add a file there.
        await runProgram("chattr", ["+i", dir]);
        try {
          const out = await run(binary, ["upgrade"], server);
          assertEquals(out.code, 1, out.stderr);
          const m =
            /install the new release into a directory of your own: (.+)$/m
              .exec(out.stderr);
          assert(m, out.stderr);
          assertEquals(await sha256File(binary), before);
          // The command, run as given, installs 1.1.0 into ~/.local/bin.
          const home = `${work}/locked-home`;
          const done = await runProgram("sh", ["-c", m[1]], {
            env: { PATH: Deno.env.get("PATH")!, HOME: home },
          });
          assertEquals(done.code, 0, done.stderr);
          assertMatch(
            (await run(`${home}/.local/bin/acmectl`, ["version"], server))
              .stdout,
            /^acmectl 1\.1\.0 /,
          );
        } finally {
          await runProgram("chattr", ["-i", dir]);
        }
      },
    );

    await t.step(
      "the bundle run by deno: exit 2, naming the command that installs the release binary",
      async () => {
        const out = await runProgram(Deno.execPath(), [
          "run",
          ...await permissionFlags(),
          `${r100}/acmectl-1.0.0.bundle.js`,
          "upgrade",
        ], {
          env: { ...baseEnv(), ACMECTL_GITHUB_URL: server.url, NO_COLOR: "1" },
        });
        assertEquals(out.code, 2, out.stderr);
        const m = /install the release binary: (.+)$/m.exec(out.stderr);
        assert(m, out.stderr);
        const home = `${work}/bundle-home`;
        const done = await runProgram("sh", ["-c", m[1]], {
          env: { PATH: Deno.env.get("PATH")!, HOME: home },
        });
        assertEquals(done.code, 0, done.stderr);
        assertMatch(
          (await run(`${home}/.local/bin/acmectl`, ["version"], server)).stdout,
          /^acmectl 1\.1\.0 /,
        );
      },
    );

    await t.step(
      "a .deb's marker beside /usr/bin: refused, naming the apt command for the new version",
      async () => {
        const prefix = `${work}/deb/usr`;
        const binary = await install(`${prefix}/bin`);
        await Deno.mkdir(`${prefix}/lib/acmectl`, { recursive: true });
        await Deno.writeTextFile(`${prefix}/lib/acmectl/installed-by`, "deb\n");
        const out = await run(binary, ["upgrade"], server);
        assertEquals(out.code, 1, out.stderr);
        const arch = target.startsWith("x86_64") ? "amd64" : "arm64";
        assert(
          out.stderr.includes(
            `curl -fLO ${server.url}/${REPO}/releases/download/v1.1.0/acmectl_1.1.0_${arch}.deb && sudo apt install ./acmectl_1.1.0_${arch}.deb`,
          ),
          out.stderr,
        );
        // The .deb that command names is in the release.
        await Deno.stat(`${r110}/acmectl_1.1.0_${arch}.deb`);
      },
    );
  } finally {
    await server.close();
    await otherServer.close();
    await Deno.remove(work, { recursive: true });
  }
});
