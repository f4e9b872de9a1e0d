/**
 * The rules under `upgrade` and the update notice, each alone: version
 * order, which line of SHA256SUMS is this build's binary, how an install
 * is recognised (Windows paths too), when the notice is off, once a day
 * with a fake clock, and the Windows replace (the old file moved aside, and
 * put back when the new one cannot take its place).
 */

import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { FakeClock } from "../support/fake_clock.ts";
import {
  compareVersions,
  findBinary,
  packageVersion,
} from "../../src/config/distribution.ts";
import type { BuildInfo } from "../../src/config/build_info.ts";
import { installKind, updateCommand } from "../../src/app/install_kind.ts";
import {
  NOTICE_INTERVAL_MS,
  noticeOff,
  startUpdateNotice,
} from "../../src/app/update_notice.ts";
import { upgrade } from "../../src/app/upgrade.ts";
import { envFrom } from "../../src/platform/env.ts";
import type { InstallFiles, SelfBinary } from "../../src/platform/self.ts";
import type { Terminal } from "../../src/platform/terminal.ts";

const TARGET = "x86_64-unknown-linux-gnu";
const build: BuildInfo = {
  name: "acmectl",
  version: "1.0.0",
  commit: "",
  issuer: "https://login.acme.example",
  clientId: "acmectl",
  scopes: [],
  audience: "",
  ports: "",
  provider: {},
  repo: "acme/cli",
  updateNotice: true,
};

function terminal(isTerminal = true): Terminal & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    out: () => {},
    err: (text) => void errors.push(text),
    readLine: () => Promise.resolve(null),
    stdinIsTerminal: isTerminal,
    stdoutIsTerminal: isTerminal,
    stderrIsTerminal: isTerminal,
  };
}

const hex = (c: string) => c.repeat(64);

Deno.test("versions: SemVer order, pre-releases before their release", () => {
  const ordered = [
    "0.9.0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.10.0",
  ];
  for (let i = 0; i < ordered.length - 1; i++) {
    assert(compareVersions(ordered[i], ordered[i + 1]) < 0, ordered[i]);
    assert(compareVersions(ordered[i + 1], ordered[i]) > 0, ordered[i]);
  }
  assertEquals(compareVersions("1.2.3", "1.2.3+build.5"), 0);
  assert(compareVersions("not-a-version", "0.0.1") < 0);
  assertEquals(packageVersion("1.2.0-rc.1"), "1.2.0~rc.1");
});

Deno.test("SHA256SUMS: only NAME-VERSION-TARGET of this build is its binary", () => {
  const sums = [
    `${hex("a")}  authctl-9.0.0-${TARGET}`,
    `${hex("b")}  acmectl-tools-9.0.0-${TARGET}`,
    `${hex("c")}  acmectl-9.0.0-${TARGET}.tar.gz`,
    `${hex("d")}  acmectl_9.0.0_amd64.deb`,
    `${hex("e")}  acmectl-1.4.0-aarch64-unknown-linux-gnu`,
    `${hex("f")}  acmectl-1.4.0-${TARGET}`,
  ].join("\n");
  assertEquals(findBinary(sums, "acmectl", TARGET), {
    sha256: hex("f"),
    file: `acmectl-1.4.0-${TARGET}`,
    version: "1.4.0",
  });
  assertEquals(
    findBinary(sums, "acmectl", "x86_64-pc-windows-msvc"),
    undefined,
  );
  // "acmectl-tools-9.0.0" is not a version of acmectl.
  assertEquals(findBinary(sums.split("\n")[1], "acmectl", TARGET), undefined);
});

Deno.test("install kind: from the path, or the package's marker", async () => {
  const none = () => Promise.resolve(undefined);
  const at = (path: string, kind: SelfBinary["kind"] = "compiled") => ({
    kind,
    path,
  });
  const cases: [string, string][] = [
    ["/opt/homebrew/Cellar/acmectl/1.0.0/bin/acmectl", "homebrew"],
    ["/home/linuxbrew/.linuxbrew/Cellar/acmectl/1.0.0/bin/acmectl", "homebrew"],
    ["/usr/local/Cellar/acmectl/1.0.0/bin/acmectl", "homebrew"],
    ["C:\\Users\\me\\scoop\\apps\\acmectl\\current\\acmectl.exe", "scoop"],
    [
      "C:\\Users\\me\\AppData\\Local\\Microsoft\\WinGet\\Packages\\acme.acmectl_Microsoft.Winget.Source_8wekyb3d8bbwe\\acmectl.exe",
      "winget",
    ],
    ["/home/me/.local/bin/acmectl", "download"],
    ["C:\\Users\\me\\bin\\acmectl.exe", "download"],
  ];
  for (const [path, kind] of cases) {
    assertEquals(await installKind(at(path), "acmectl", none), kind, path);
  }
  const marker = (text: string) => (path: string) =>
    Promise.resolve(
      path === "/usr/lib/acmectl/installed-by" ? text : undefined,
    );
  assertEquals(
    await installKind(at("/usr/bin/acmectl"), "acmectl", marker("deb\n")),
    "deb",
  );
  assertEquals(
    await installKind(at("/usr/bin/acmectl"), "acmectl", marker("rpm")),
    "rpm",
  );
  assertEquals(
    await installKind(at("/usr/bin/acmectl"), "acmectl", marker("other")),
    "download",
  );
  assertEquals(
    await installKind(at("/src/main.ts", "source"), "acmectl", none),
    "source",
  );
});

Deno.test("update command: the package manager's own, with the version when known", () => {
  const where = { target: TARGET, githubUrl: "https://github.com" };
  assertEquals(
    updateCommand("homebrew", build, "1.1.0", where),
    "brew upgrade acme/tap/acmectl",
  );
  assertEquals(
    updateCommand("scoop", build, "1.1.0", where),
    "scoop update acmectl",
  );
  assertEquals(
    updateCommand("winget", build, "1.1.0", where),
    "winget upgrade --id acme.acmectl",
  );
  assertEquals(
    updateCommand("rpm", build, "1.1.0", where),
    "sudo dnf install https://github.com/acme/cli/releases/download/v1.1.0/acmectl-1.1.0-1.x86_64.rpm",
  );
  assertEquals(
    updateCommand("deb", build, undefined, where),
    "download the newest acmectl_*.deb from https://github.com/acme/cli/releases/latest, then: sudo apt install ./acmectl_*.deb",
  );
  assertEquals(
    updateCommand("download", build, "1.1.0", where),
    "acmectl upgrade",
  );
});

Deno.test("notice: off unless a person is at a terminal, outside CI, not opted out, in a build that has it", () => {
  const self: SelfBinary = { kind: "compiled", path: "/home/me/bin/acmectl" };
  const on = {
    build,
    env: envFrom({}),
    terminal: terminal(true),
    self,
  };
  assertEquals(noticeOff(on), undefined);
  assertEquals(
    noticeOff({ ...on, build: { ...build, updateNotice: false } }),
    "turned off in this build",
  );
  assertEquals(
    noticeOff({ ...on, build: { ...build, repo: "" } }),
    "no release repository",
  );
  assertEquals(
    noticeOff({ ...on, terminal: terminal(false) }),
    "stderr is not a terminal",
  );
  assertEquals(noticeOff({ ...on, env: envFrom({ CI: "true" }) }), "CI is set");
  assertEquals(
    noticeOff({ ...on, env: envFrom({ AUTHCTL_NO_UPDATE_NOTIFIER: "1" }) }),
    "AUTHCTL_NO_UPDATE_NOTIFIER is set",
  );
  assertEquals(
    noticeOff({ ...on, self: { kind: "source", path: "/src/main.ts" } }),
    "running from source",
  );
});

Deno.test("notice: asks once a day, shows once a day, remembers a failed check", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  let stored: string | undefined;
  let requests = 0;
  let failing = false;
  const fetchFn = ((_url: URL | string) => {
    requests++;
    if (failing) return Promise.reject(new TypeError("offline"));
    return Promise.resolve(
      new Response(`${hex("a")}  acmectl-1.1.0-${TARGET}\n`),
    );
  }) as typeof fetch;
  const out = terminal(true);
  const run = async () => {
    const notice = startUpdateNotice({
      build,
      env: envFrom({}),
      terminal: out,
      clock,
      fetch: fetchFn,
      cache: {
        read: () => Promise.resolve(stored),
        write: (text) => Promise.resolve(void (stored = text)),
      },
      self: { kind: "compiled", path: "/home/me/bin/acmectl" },
      readText: () => Promise.resolve(undefined),
      target: TARGET,
    });
    assert(notice);
    await notice.finish();
  };
  await run();
  assertEquals(requests, 1);
  assertEquals(out.errors, [
    "A new release of acmectl is available: 1.0.0 → 1.1.0. To update: acmectl upgrade\n",
  ]);
  clock.elapsed += NOTICE_INTERVAL_MS - 1;
  await run();
  assertEquals([requests, out.errors.length], [1, 1], "same day: nothing");
  clock.elapsed += 1;
  await run();
  assertEquals([requests, out.errors.length], [2, 2], "a day later: again");
  // Offline the next day: one try, remembered; no retry that day.
  clock.elapsed += NOTICE_INTERVAL_MS;
  failing = true;
  await run();
  await run();
  assertEquals(requests, 3);
  // A clock set back: the remembered check is not trusted for ever.
  clock.elapsed -= 10 * NOTICE_INTERVAL_MS;
  failing = false;
  await run();
  assertEquals(requests, 4);
});

Deno.test("upgrade on Windows: the running file is moved aside, and put back when the new one cannot take its place", async () => {
  const sums = (data: Uint8Array) =>
    crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>).then((d) =>
      new Uint8Array(d).toHex()
    );
  const binary = new TextEncoder().encode("new acmectl.exe");
  const file = "acmectl-1.1.0-x86_64-pc-windows-msvc.exe";
  const sumsText = `${await sums(binary)}  ${file}\n`;
  const fetchAll = ((url: URL | string) =>
    Promise.resolve(
      new Response(String(url).endsWith("/SHA256SUMS") ? sumsText : binary),
    )) as typeof fetch;
  const path = "C:\\Users\\me\\bin\\acmectl.exe";
  const run = (failSecondRename: boolean) => {
    const renames: [string, string][] = [];
    const removed: string[] = [];
    const files: InstallFiles = {
      readText: () => Promise.resolve(undefined),
      writeBeside: () =>
        Promise.resolve("C:\\Users\\me\\bin\\.acmectl.exe.new.exe"),
      rename: (from, to) => {
        renames.push([from, to]);
        if (failSecondRename && renames.length === 2) {
          return Promise.reject(new Error("in use"));
        }
        return Promise.resolve();
      },
      remove: (p) => Promise.resolve(void removed.push(p)),
      run: () =>
        Promise.resolve({
          code: 0,
          stdout: JSON.stringify({
            name: "acmectl",
            version: "1.1.0",
            baked: {
              issuer: build.issuer,
              clientId: build.clientId,
              scopes: [],
              audience: null,
              ports: null,
              provider: {},
              repo: build.repo,
              updateNotice: true,
            },
          }),
        }),
    };
    const deps = {
      build,
      self: { kind: "compiled" as const, path },
      files,
      fetch: fetchAll,
      target: "x86_64-pc-windows-msvc",
      os: "windows" as const,
      githubUrl: "https://github.com",
      terminal: terminal(false),
      signal: new AbortController().signal,
    };
    return { renames, removed, deps };
  };
  const good = run(false);
  assertEquals(await upgrade(good.deps), "1.1.0");
  assertEquals(good.renames, [
    [path, `${path}.old`],
    ["C:\\Users\\me\\bin\\.acmectl.exe.new.exe", path],
  ]);
  const bad = run(true);
  await assertRejects(() => upgrade(bad.deps), { message: /in use/ });
  assertEquals(bad.renames, [
    [path, `${path}.old`],
    ["C:\\Users\\me\\bin\\.acmectl.exe.new.exe", path],
    [`${path}.old`, path],
  ]);
  assert(bad.removed.includes("C:\\Users\\me\\bin\\.acmectl.exe.new.exe"));
});
