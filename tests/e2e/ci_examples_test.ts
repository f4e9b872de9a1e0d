/**
 * The README's section "In CI, without stored secrets" runs as written:
 * each CI's snippet gets what that CI documents giving a job (the CI
 * double's token service, variables or agent), its commands run in bash
 * with `authctl` on PATH, and the token they obtain is accepted by a test
 * API. The GitHub snippets run this repository's action (installing from a
 * local mirror of a release). The provider's side is read from the README
 * too: the Entra federated credential, the Google pool provider, the
 * profiles. Only the example hosts are pointed at local stand-ins.
 */

import * as jose from "jose";
import { parse as parseYaml } from "yaml";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { Job } from "../support/actions_runner.ts";
import { AZURE_ACCESS_TOKEN, serveCiDouble } from "../support/ci_double.ts";
import { startE2e } from "../support/e2e.ts";
import {
  CI_CLIENT_ID,
  startFederationProvider,
} from "../support/federation_provider.ts";
import {
  ENTRA_TENANT,
  entraDouble,
  serveTokenServices,
  stsDouble,
} from "../support/token_services.ts";
import { cliArgs } from "../../scripts/cli_args.ts";

const repo = new URL("../../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false };

/** The README's section. */
async function ciSection(): Promise<string> {
  const readme = await Deno.readTextFile(`${repo}README.md`);
  const section = readme.split("\n## In CI, without stored secrets\n")[1]
    ?.split("\n## ")[0];
  assert(section, 'the README has no section "In CI, without stored secrets"');
  return section;
}

/** The `n`th ```lang block after `marker` in `text`. */
function block(text: string, marker: string, lang: string, n = 0): string {
  const after = text.split(marker)[1];
  assert(after !== undefined, `no "${marker}" in the README's CI section`);
  const blocks = [...after.matchAll(/```(\w+)\n([\s\S]*?)```/g)]
    .filter((m) => m[1] === lang);
  assert(blocks[n], `no ${lang} block ${n} after "${marker}"`);
  return blocks[n][2];
}

/** A shell script as CI runs a list of lines (GitLab, Buildkite). */
const script = (lines: string[]) => lines.join("\n") + "\n";

Deno.test({
  name: "e2e: the README's CI examples run as written",
  ...opts,
  async fn(t) {
    const section = await ciSection();
    const served = await serveCiDouble();
    const { ci, base: ciBase } = served;
    const { publicKey } = await jose.generateKeyPair("ES256");
    const provider = await startFederationProvider(
      { issuer: ciBase, jwksUrl: `${ciBase}/jwks` },
      ci.subject,
      { ...await jose.exportJWK(publicKey), alg: "ES256" },
    );
    const ciKeys = jose.createRemoteJWKSet(new URL(`${ciBase}/jwks`));
    const entra = entraDouble(
      "00000000-0000-0000-0000-0000000a99e1",
      [],
      ciKeys,
    );
    const sts = stsDouble([], ciKeys);
    const services = serveTokenServices(entra, sts);
    const e2e = await startE2e({ provider: false });
    await using _ = e2e;
    e2e.defer(() => served.close());
    e2e.defer(() => provider.close());
    e2e.defer(() => services.close());

    // The API the examples deploy to: it takes a token any of the
    // providers issued and knows as active.
    const accepted: string[] = [];
    const api = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (r) => {
        const token = /^Bearer (\S+)$/.exec(
          r.headers.get("authorization") ?? "",
        )?.[1];
        const known = token !== undefined &&
          (entra.issued.includes(token) || sts.issued.includes(token) ||
            await provider.active(token));
        if (!known) return new Response("unauthorized\n", { status: 401 });
        accepted.push(token);
        return new Response("deployed\n");
      },
    );
    e2e.defer(() => api.shutdown());
    const apiBase = `http://127.0.0.1:${api.addr.port}`;
    const k8s = `${e2e.dir}/k8s`;
    const hosts: [string, string][] = [
      [
        "https://login.microsoftonline.com/TENANT_ID",
        `${services.base}/${ENTRA_TENANT}`,
      ],
      ["https://token.actions.githubusercontent.com", ciBase],
      ["https://sts.googleapis.com", services.base],
      ["https://auth.example.com", provider.issuer],
      ["https://api.example.com", apiBase],
      ["/var/run/secrets/authctl", k8s],
      ["APP_ID", entra.appId],
    ];
    const local = (text: string) =>
      hosts.reduce((s, [from, to]) => s.replaceAll(from, to), text);

    // `authctl` on PATH (the source run by Deno stands in for the binary),
    // and a release of it mirrored for the action to install.
    const bin = `${e2e.dir}/bin`;
    await Deno.mkdir(bin);
    const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const shim = `#!/bin/sh\nexec ${
      [Deno.execPath(), ...await cliArgs()].map(quote).join(" ")
    } "$@"\n`;
    await Deno.writeTextFile(`${bin}/authctl`, shim, { mode: 0o755 });
    const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
    const binaryName = `authctl-1.4.0-${arch}-unknown-linux-gnu`;
    const sum = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(shim)),
    ).toHex();
    const mirror = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (r) => {
        const path = new URL(r.url).pathname;
        const prefix = "/OWNER/REPO/releases/download/v1.4.0/";
        if (path === `${prefix}SHA256SUMS`) {
          return new Response(`${sum}  ${binaryName}\n`);
        }
        if (path === `${prefix}${binaryName}`) return new Response(shim);
        return new Response("not found", { status: 404 });
      },
    );
    e2e.defer(() => mirror.shutdown());
    // The action as the runner checks it out: _actions/OWNER/REPO/REF.
    const actionDir = `${e2e.dir}/_actions/OWNER/REPO/v1.4.0`;
    await Deno.mkdir(`${e2e.dir}/_actions/OWNER/REPO`, { recursive: true });
    await Deno.symlink(repo.replace(/\/$/, ""), actionDir);
    const withAuthctl = (env: Record<string, string>) => ({
      ...env,
      PATH: `${bin}:${env.PATH ?? "/usr/bin:/bin"}`,
    });

    /** A new job: its own directory and config directory. */
    let jobs = 0;
    const newJob = async (env: Record<string, string>) => {
      const dir = `${e2e.dir}/job-${++jobs}`;
      await Deno.mkdir(dir);
      return new Job(dir, await e2e.envFor(env));
    };
    /** The job's `authctl token` (not part of its log). */
    const tokenOf = async (job: Job) => {
      const out = await new Deno.Command(`${bin}/authctl`, {
        args: ["token"],
        env: withAuthctl(job.env),
        clearEnv: true,
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).trim();
    };
    const deployed = (token: string) =>
      assert(accepted.includes(token), "the API never saw the job's token");

    await t.step("GitHub Actions: the action, then the token", async () => {
      const doc = parseYaml(
        local(block(section, "### GitHub Actions", "yaml")),
      );
      assertEquals(doc.permissions["id-token"], "write");
      const [uses, run] = doc.steps;
      assertEquals(uses.uses, "OWNER/REPO@v1.4.0");
      const job = await newJob({
        ...ci.githubEnv(ciBase),
        AUTHCTL_INSTALL_GITHUB_URL: `http://127.0.0.1:${mirror.addr.port}`,
      });
      const steps = await job.uses(actionDir, uses.with);
      for (const step of steps) assertEquals(step.code, 0, job.log);
      assertMatch(job.log, /verified authctl-1\.4\.0-.* against SHA256SUMS/);
      assertMatch(job.log, /with the CI token of GitHub Actions/);
      const step = await job.run(run.run);
      assertEquals(step.code, 0, job.log);
      assertMatch(step.log, /deployed/);
      const token = await tokenOf(job);
      deployed(token);
      // No token in the log or an output.
      for (const secret of [token, ...ci.signed]) {
        assertEquals(job.log.includes(secret), false, "a token in the log");
        assertEquals(job.outputsWritten.includes(secret), false, "in outputs");
      }
    });

    await t.step(
      "Entra ID: the README's federated credential, the action",
      async () => {
        const credential = JSON.parse(
          /--parameters '([\s\S]*?)'/.exec(
            local(block(section, "**Entra ID: a federated credential**", "sh")),
          )![1],
        );
        entra.credentials.push(credential);
        assertEquals(ci.subject, credential.subject);
        const doc = parseYaml(
          local(block(section, "**Entra ID: a federated credential**", "yaml")),
        );
        const job = await newJob({
          ...ci.githubEnv(ciBase),
          AUTHCTL_INSTALL_GITHUB_URL: `http://127.0.0.1:${mirror.addr.port}`,
        });
        const steps = await job.uses(actionDir, doc[0].with);
        for (const step of steps) assertEquals(step.code, 0, job.log);
        assertEquals(ci.issued.at(-1)?.aud, "api://AzureADTokenExchange");
        assertEquals(await tokenOf(job), entra.issued.at(-1));
      },
    );

    await t.step("GitLab CI", async () => {
      const doc = parseYaml(local(block(section, "### GitLab CI", "yaml")));
      const env: Record<string, string> = { GITLAB_CI: "true" };
      for (
        const [name, spec] of Object.entries<{ aud: string }>(
          doc.deploy.id_tokens,
        )
      ) env[name] = await ci.sign(spec.aud);
      const job = await newJob(withAuthctl(env));
      const step = await job.run(script(doc.deploy.script));
      assertEquals(step.code, 0, job.log);
      deployed(await tokenOf(job));
    });

    await t.step("CircleCI: the organization ID as the audience", async () => {
      const doc = parseYaml(local(block(section, "### CircleCI", "yaml")));
      const org = "6b2c61a2-4b8e-4b7e-9c0e-2f3a4d5e6f70";
      provider.audiences.push(org);
      const job = await newJob(withAuthctl({
        CIRCLECI: "true",
        CIRCLE_OIDC_TOKEN_V2: await ci.sign(org),
      }));
      for (const step of doc.jobs.deploy.steps) {
        const r = await job.run(step.run);
        assertEquals(r.code, 0, job.log);
      }
      deployed(await tokenOf(job));
    });

    await t.step("Buildkite: the agent's token for the audience", async () => {
      const doc = parseYaml(local(block(section, "### Buildkite", "yaml")));
      const agentBin = `${e2e.dir}/buildkite-bin`;
      const env = await ci.buildkiteEnv(ciBase, agentBin);
      const job = await newJob({
        ...withAuthctl(env),
        PATH: `${agentBin}:${bin}:${Deno.env.get("PATH")}`,
      });
      const step = await job.run(script(doc.steps[0].command));
      assertEquals(step.code, 0, job.log);
      assertEquals(ci.issued.at(-1)?.via, "/buildkite");
      deployed(await tokenOf(job));
    });

    await t.step("Azure Pipelines into Entra ID", async () => {
      const yaml = local(block(section, "### Azure Pipelines", "yaml"));
      const doc = parseYaml(yaml);
      const [step] = doc.steps;
      ci.azureConnection = /azure-pipelines:(\S+)/.exec(step.script)![1];
      ci.subject = "sc://acme/app/deploy";
      entra.credentials.push({
        issuer: ciBase,
        subject: ci.subject,
        audiences: ["api://AzureADTokenExchange"],
      });
      // The pipeline's macros, as Azure Pipelines expands them.
      const macros: Record<string, string> = {
        "System.AccessToken": AZURE_ACCESS_TOKEN,
      };
      const expand = (s: string) =>
        s.replace(/\$\(([\w.]+)\)/g, (_, name) => {
          assert(name in macros, `unknown macro $(${name})`);
          return macros[name];
        });
      const { SYSTEM_ACCESSTOKEN: _, ...variables } = ci.azureEnv(ciBase);
      const job = await newJob(withAuthctl(variables));
      const env = Object.fromEntries(
        Object.entries<string>(step.env).map(([k, v]) => [k, expand(v)]),
      );
      const r = await job.run(step.script, env);
      assertEquals(r.code, 0, job.log);
      assertEquals(ci.issued.at(-1)?.via, "/azure");
      // The token is the one Entra issued (the step mapped the job token).
      assert(accepted.includes(entra.issued.at(-1)!));
      ci.subject = "repo:acme/app:ref:refs/heads/main";
    });

    await t.step("Bitbucket Pipelines: the workspace's audience", async () => {
      const doc = parseYaml(
        local(block(section, "### Bitbucket Pipelines", "yaml")),
      );
      const { step } = doc.pipelines.default[0];
      assertEquals(step.oidc, true);
      const ari =
        "ari:cloud:bitbucket::workspace/2f0c7a9e-5d6b-4e8a-9b1c-3d4e5f6a7b8c";
      provider.audiences.push(ari);
      const job = await newJob(withAuthctl({
        BITBUCKET_BUILD_NUMBER: "7",
        BITBUCKET_STEP_OIDC_TOKEN: await ci.sign(ari),
      }));
      const r = await job.run(script(step.script));
      assertEquals(r.code, 0, job.log);
      deployed(await tokenOf(job));
    });

    await t.step("Kubernetes: a projected token file", async () => {
      const doc = parseYaml(local(block(section, "### Kubernetes", "yaml")));
      const [container] = doc.spec.containers;
      const mount = container.volumeMounts[0];
      const volume = doc.spec.volumes.find((v: { name: string }) =>
        v.name === mount.name
      );
      const token = volume.projected.sources[0].serviceAccountToken;
      await Deno.mkdir(mount.mountPath, { recursive: true });
      await Deno.writeTextFile(
        `${mount.mountPath}/${token.path}`,
        await ci.sign(token.audience),
      );
      const env = withAuthctl(await e2e.envFor({}));
      const out = await new Deno.Command(container.command[0], {
        args: container.command.slice(1),
        env,
        clearEnv: true,
      }).output();
      const text = new TextDecoder();
      assertEquals(out.code, 0, text.decode(out.stderr));
      assertMatch(text.decode(out.stdout), /deployed/);
    });

    await t.step(
      "Google: the README's pool provider, the gcp profile",
      async () => {
        const gcloud = local(
          block(section, "**Google: a workload identity pool**", "sh"),
        );
        const create = gcloud.split("\n").find((l) =>
          l.includes("create-oidc")
        )!;
        const flag = (name: string) => {
          const m = new RegExp(`--${name}=(?:"([^"]*)"|(\\S+))`).exec(create);
          assert(m, `no --${name} in the README's gcloud command`);
          return m[1] ?? m[2];
        };
        const id = /create-oidc (\S+)/.exec(create)![1];
        const toml = local(
          block(section, "**Google: a workload identity pool**", "toml"),
        );
        const project = /projects\/(\d+)\//.exec(toml)![1];
        sts.providers.push({
          name: `projects/${project}/locations/global/workloadIdentityPools/${
            flag("workload-identity-pool")
          }/providers/${id}`,
          issuerUri: flag("issuer-uri"),
          allowedAudiences: [],
          attributeCondition: flag("attribute-condition"),
        });
        const job = await newJob(withAuthctl(ci.githubEnv(ciBase)));
        await Deno.writeTextFile(
          `${job.env.AUTHCTL_CONFIG_DIR}/config.toml`,
          toml,
        );
        assertMatch(section, /`authctl login --profile gcp`/);
        const r = await job.run("authctl login --profile gcp\n");
        assertEquals(r.code, 0, job.log);
        const token = await new Deno.Command(`${bin}/authctl`, {
          args: ["token", "--profile", "gcp"],
          env: job.env,
          clearEnv: true,
        }).output();
        assertEquals(
          new TextDecoder().decode(token.stdout).trim(),
          sts.issued.at(-1),
        );
      },
    );

    await t.step(
      "an RFC 8693 server, and the jwt-bearer grant: the profiles",
      async () => {
        const marker = "**Keycloak, or any RFC 8693 server**";
        const toml = local(block(section, marker, "toml")) +
          local(block(section, "**The jwt-bearer grant**", "toml"));
        const job = await newJob(withAuthctl(ci.githubEnv(ciBase)));
        await Deno.writeTextFile(
          `${job.env.AUTHCTL_CONFIG_DIR}/config.toml`,
          toml,
        );
        for (
          const [profile, grant] of [
            ["deploy", "urn:ietf:params:oauth:grant-type:token-exchange"],
            ["bearer", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
          ]
        ) {
          const r = await job.run(
            `authctl login --profile ${profile}\ncurl -fsS -H "Authorization: Bearer $(authctl token --profile ${profile})" ${apiBase}/deploy\n`,
          );
          assertEquals(r.code, 0, job.log);
          assertEquals(provider.grants.at(-1), grant);
        }
        assertMatch(toml, new RegExp(`client_id = "${CI_CLIENT_ID}"`));
      },
    );
  },
});
