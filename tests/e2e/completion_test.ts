/**
 * Completion in the real shells: the script `completion SHELL` prints,
 * loaded in bash, zsh and fish, and asked for candidates the way each shell
 * asks (bash's completion function, zsh's completion function with the
 * completion system's `compadd` recording what it is given, fish's
 * `complete --do-complete`).
 */

import { assertEquals } from "../support/assert.ts";
import { cliArgs, cliEnv, spawnCommand } from "../support/cli.ts";
import { startE2e } from "../support/e2e.ts";

async function shell(
  cmd: string[],
  env: Record<string, string>,
): Promise<string[]> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return text.split("\n").filter(Boolean).map((l) => l.split("\t")[0]);
}

Deno.test({
  name: "e2e: completion round trips in bash, zsh and fish",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({ provider: false });
    const dir = e2e.configDir;
    // `authctl` on PATH, as after deno task install.
    await Deno.mkdir(`${dir}/bin`);
    const args = (await cliArgs()).map((a) => `'${a}'`).join(" ");
    await Deno.writeTextFile(
      `${dir}/bin/authctl`,
      `#!/bin/sh\nexec '${Deno.execPath()}' ${args} "$@"\n`,
    );
    await Deno.chmod(`${dir}/bin/authctl`, 0o755);
    await Deno.writeTextFile(
      `${dir}/config.toml`,
      `[profiles.prod]\nissuer = "https://p.example"\n[profiles.stage]\nissuer = "https://s.example"\n`,
    );
    const env = cliEnv(dir);
    env.PATH = `${dir}/bin:${env.PATH}`;

    await t.step("bash", async () => {
      const ask = (words: string, cword: number) =>
        shell([
          "bash",
          "-c",
          `source <(authctl completion bash) && COMP_WORDS=(${words}) && COMP_CWORD=${cword} && _authctl_complete && printf '%s\\n' "\${COMPREPLY[@]}"`,
        ], env);
      assertEquals(await ask("authctl tok", 1), ["token"]);
      assertEquals(await ask("authctl token --profile ''", 3), [
        "prod",
        "stage",
      ]);
      assertEquals(await ask("authctl login --flow ''", 3), [
        "auto",
        "loopback",
        "device",
        "paste",
      ]);
    });

    await t.step("zsh", async () => {
      const ask = (words: string, current: number) =>
        shell([
          "zsh",
          "-f",
          "-c",
          `compadd() { [[ $1 == -a ]] && print -l -- \${(P)2} }; source <(authctl completion zsh); words=(${words}); CURRENT=${current}; _authctl_complete`,
        ], env);
      assertEquals(await ask("authctl profiles u", 3), ["use"]);
      assertEquals(await ask("authctl profiles use ''", 4), [
        "prod",
        "stage",
      ]);
      assertEquals(await ask("authctl token --format ''", 4), [
        "plain",
        "json",
        "kubectl",
      ]);
    });

    await t.step(
      "zsh: saved in $fpath as the README says, the first Tab completes",
      async () => {
        const script = await shell(["authctl", "completion", "zsh"], env);
        const fp = `${dir}/fpath`;
        await Deno.mkdir(fp);
        // What a person sees after Tab: the line, echoed back by Enter.
        const firstTab = async (file: string, waitMs: number) => {
          await Deno.writeTextFile(`${fp}/_authctl`, file);
          const zsh = spawnCommand(["zsh", "-f", "-i"], {
            ...env,
            PS1: "> ",
          }, { pty: true });
          const type = async (text: string, pause: number) => {
            await zsh.write(text);
            await new Promise((r) => setTimeout(r, pause));
          };
          try {
            await type(
              `fpath=(${fp} $fpath); autoload -Uz compinit; compinit -u -D\n`,
              500,
            );
            await type("authctl tok\t", 0);
            await zsh.waitFor(/authctl token/, waitMs).catch(() => {});
            // Ctrl-A, then "echo RESULT:" before the line, then Enter.
            await type("\x01echo RESULT:\n", 0);
            const [, line] = await zsh.waitFor(/RESULT:([^\r\n]*)\r?\n/);
            return line.trim();
          } finally {
            zsh.child.kill("SIGKILL");
            await zsh.finish();
          }
        };
        assertEquals(
          await firstTab(script.join("\n") + "\n", 20_000),
          "authctl token",
        );
        // Negative control: a script that only registers itself (compdef)
        // completes nothing on the first Tab when autoloaded.
        const registerOnly = script.join("\n").replace(
          /if \[\[ "\$\{funcstack\[1\]\}"[\s\S]*fi$/,
          "compdef _authctl_complete authctl",
        );
        assertEquals(registerOnly.includes("funcstack"), false);
        assertEquals(
          await firstTab(registerOnly + "\n", 5_000),
          "authctl tok",
        );
      },
    );

    await t.step("fish", async () => {
      const ask = (line: string) =>
        shell([
          "fish",
          "--no-config",
          "-c",
          `authctl completion fish | source; complete --do-complete '${line}'`,
        ], env);
      assertEquals(await ask("authctl login --flow d"), ["device"]);
      assertEquals(await ask("authctl git-credential "), [
        "erase",
        "get",
        "store",
      ]);
      assertEquals(await ask("authctl completion z"), ["zsh"]);
    });
  },
});
