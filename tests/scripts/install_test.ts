/**
 * scripts/install.sh (and install.ps1 where PowerShell is installed) against
 * a local HTTP server standing in for github.com with a fake release.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { TARGETS } from "../../scripts/build_config.ts";

/** This repository's scripts/ folder as a native path (also on Windows). */
const scripts = (() => {
  const path = decodeURIComponent(
    new URL("../../scripts/", import.meta.url).pathname,
  );
  return Deno.build.os === "windows" ? path.slice(1) : path;
})();

interface FakeRelease {
  url: string;
  requests: string[];
  stop(): Promise<void>;
}

/** The bytes of a fake binary for `target`: a script saying its target. */
function fakeBinary(
  target: string,
  tampered = false,
): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    `#!/bin/sh\necho "fake acmectl for ${target}${
      tampered ? " (evil)" : ""
    }"\n`,
  );
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

/**
 * Serves `/acme/cli/releases/{download/v1.4.0,latest/download}/…` with every
 * target and its SHA256SUMS; the `tampered` release serves altered
 * binaries, the `partial` release lists no binary for any target.
 */
async function startFakeRelease(): Promise<FakeRelease> {
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  let sums = "";
  for (const [target, ext] of Object.entries(TARGETS)) {
    const name = `acmectl-1.4.0-${target}${ext}`;
    const bytes = fakeBinary(target);
    files.set(name, bytes);
    sums += `${await sha256(bytes)}  ${name}\n`;
  }
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => {
      const path = new URL(req.url).pathname;
      requests.push(path);
      const m =
        /^\/acme\/cli\/releases\/(download\/v1\.4\.0|latest\/download|download\/vtampered|download\/vpartial)\/([^/]+)$/
          .exec(path);
      if (!m) return new Response("not found", { status: 404 });
      const [, release, file] = m;
      if (file === "SHA256SUMS") {
        return new Response(release.endsWith("vpartial") ? "" : sums);
      }
      const bytes = files.get(file);
      if (!bytes) return new Response("not found", { status: 404 });
      if (release.endsWith("vtampered")) {
        return new Response(fakeBinary(file, true));
      }
      return new Response(bytes);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    stop: () => server.shutdown(),
  };
}

function hostTarget(): string {
  const arch = Deno.build.arch;
  return Deno.build.os === "darwin"
    ? `${arch}-apple-darwin`
    : `${arch}-unknown-linux-gnu`;
}

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

Deno.test({
  name: "install.sh: downloads this machine's binary, verifies it, installs it",
  ignore: Deno.build.os === "windows",
  async fn(t) {
    const release = await startFakeRelease();
    const home = await Deno.makeTempDir({ prefix: "authctl-install-" });
    const env = { AUTHCTL_INSTALL_GITHUB_URL: release.url, HOME: home };
    const sh = (args: string[]) =>
      run("sh", [`${scripts}install.sh`, ...args], env);
    const target = hostTarget();
    const installAcme = (version: string, dir: string) =>
      sh([
        "--repo",
        "acme/cli",
        "--name",
        "acmectl",
        "--version",
        version,
        "--dir",
        dir,
      ]);
    try {
      await t.step(
        "a pinned version, into a directory of one's own",
        async () => {
          const dir = `${home}/bin`;
          release.requests.length = 0;
          const r = await installAcme("v1.4.0", dir);
          assertEquals(r.code, 0, r.stderr);
          assertMatch(
            r.stderr,
            new RegExp(
              `verified acmectl-1\\.4\\.0-${target} against SHA256SUMS`,
            ),
          );
          assertMatch(r.stderr, /is not on your PATH/);
          assertEquals(release.requests, [
            "/acme/cli/releases/download/v1.4.0/SHA256SUMS",
            `/acme/cli/releases/download/v1.4.0/acmectl-1.4.0-${target}`,
          ]);
          assertEquals(await listDir(dir), ["acmectl"]);
          assertEquals(
            (await Deno.stat(`${dir}/acmectl`)).mode! & 0o777,
            0o755,
          );
          const out = await new Deno.Command(`${dir}/acmectl`, {
            stdout: "piped",
          })
            .output();
          assertEquals(
            new TextDecoder().decode(out.stdout),
            `fake acmectl for ${target}\n`,
          );
        },
      );

      await t.step("the latest release, replacing what was there", async () => {
        const dir = `${home}/bin`;
        await Deno.writeTextFile(`${dir}/acmectl`, "old version");
        release.requests.length = 0;
        const r = await sh([
          "--repo",
          "acme/cli",
          "--name",
          "acmectl",
          "--dir",
          dir,
        ]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(
          release.requests[0],
          "/acme/cli/releases/latest/download/SHA256SUMS",
        );
        assertEquals(
          await Deno.readTextFile(`${dir}/acmectl`),
          new TextDecoder().decode(fakeBinary(target)),
        );
      });

      await t.step(
        "a binary that does not match SHA256SUMS is not installed",
        async () => {
          const dir = `${home}/tampered`;
          const r = await installAcme("tampered", dir);
          assertEquals(r.code, 1);
          assertMatch(
            r.stderr,
            new RegExp(
              `checksum mismatch for acmectl-1\\.4\\.0-${target}: SHA256SUMS says [0-9a-f]{64}, the download is [0-9a-f]{64}\\. Nothing was installed\\.`,
            ),
          );
          assertEquals(await listDir(dir), []);
        },
      );

      await t.step(
        "a release without this machine's target says so",
        async () => {
          const dir = `${home}/partial`;
          const r = await installAcme("partial", dir);
          assertEquals(r.code, 1);
          assertMatch(
            r.stderr,
            new RegExp(`the release has no acmectl for ${target}`),
          );
          assertEquals(await listDir(dir), []);
        },
      );

      await t.step(
        "plain http to another host, bad names and no source are refused",
        async () => {
          const http = await sh([
            "--base-url",
            "http://example.com/r",
            "--dir",
            `${home}/x`,
          ]);
          assertEquals(http.code, 1);
          assertMatch(
            http.stderr,
            /refusing to download from "http:\/\/example\.com\/r": use an https URL/,
          );
          const name = await sh(["--name", "../evil", "--repo", "a/b"]);
          assertEquals(name.code, 1);
          assertMatch(name.stderr, /invalid --name/);
          const none = await sh([]);
          assertEquals(none.code, 1);
          assertMatch(none.stderr, /give --repo OWNER\/REPO/);
          assertEquals(await listDir(`${home}/x`), []);
        },
      );
    } finally {
      await release.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});

const pwsh = await (async () => {
  for (const name of ["pwsh", "powershell"]) {
    try {
      const out = await new Deno.Command(name, {
        args: ["-NoProfile", "-Command", "exit 0"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return name;
    } catch { /* not installed */ }
  }
  return undefined;
})();

Deno.test({
  name: "install.ps1: downloads the Windows binary, verifies it, installs it",
  // PowerShell is not a Debian package; this runs on the Windows CI runner.
  ignore: pwsh === undefined,
  async fn() {
    const release = await startFakeRelease();
    const home = await Deno.makeTempDir({ prefix: "authctl-install-" });
    const ps = (args: string[]) =>
      run(pwsh!, [
        "-NoProfile",
        "-ExecutionPolicy",
        "Bypass",
        "-File",
        `${scripts}install.ps1`,
        ...args,
      ], { AUTHCTL_INSTALL_GITHUB_URL: release.url });
    const target = "x86_64-pc-windows-msvc";
    try {
      const dir = `${home}/bin`;
      const r = await ps([
        "-Repo",
        "acme/cli",
        "-Name",
        "acmectl",
        "-Version",
        "1.4.0",
        "-Dir",
        dir,
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stderr,
        new RegExp(
          `verified acmectl-1\\.4\\.0-${target}\\.exe against SHA256SUMS`,
        ),
      );
      assertEquals(await listDir(dir), ["acmectl.exe"]);
      assertEquals(
        await Deno.readTextFile(`${dir}/acmectl.exe`),
        new TextDecoder().decode(fakeBinary(target)),
      );

      const bad = await ps([
        "-Repo",
        "acme/cli",
        "-Name",
        "acmectl",
        "-Version",
        "tampered",
        "-Dir",
        `${home}/t`,
      ]);
      assertEquals(bad.code, 1);
      assertMatch(bad.stderr, /checksum mismatch/);
      assertEquals(await listDir(`${home}/t`), []);
      assert(!release.requests.some((p) => p.includes("..")));
    } finally {
      await release.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});
