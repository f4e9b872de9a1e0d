/**
 * A GitHub Actions job, as far as a test needs one on Linux: `run` steps in
 * bash the way the runner starts them (`bash --noprofile --norc -eo
 * pipefail`), `GITHUB_PATH`, `GITHUB_ENV` and `GITHUB_OUTPUT` files applied
 * between steps, and a composite action's steps with its inputs, their
 * defaults and the few expressions its `env:` and `if:` use. Any other
 * expression is an error: the runner would evaluate it, this does not.
 *
 * @module
 */

import { parse } from "yaml";

/** What a step printed and how it ended. */
export interface StepResult {
  name: string;
  code: number;
  log: string;
}

// deno-lint-ignore no-explicit-any
type Yaml = any;

/** A job on an ubuntu runner, in a directory of its own. */
export class Job {
  /** Every step's combined output: the job's log. */
  log = "";
  /** Everything written to `GITHUB_OUTPUT`, by every step. */
  outputsWritten = "";
  readonly #dir: string;
  readonly #env: Record<string, string>;
  readonly #path: string[] = [];
  #steps = 0;

  /** A job in `dir` (its RUNNER_TEMP is below it) with `env`. */
  constructor(dir: string, env: Record<string, string>) {
    this.#dir = dir;
    this.#env = {
      ...env,
      GITHUB_ACTIONS: "true",
      RUNNER_OS: "Linux",
      RUNNER_TEMP: `${dir}/runner-temp`,
    };
  }

  /** The environment a next step gets (with what earlier steps added). */
  get env(): Record<string, string> {
    return {
      ...this.#env,
      PATH: [...this.#path, this.#env.PATH ?? "/usr/bin:/bin"].join(":"),
    };
  }

  /** Runs one `run:` script in bash, with `env` over the job's. */
  async run(
    script: string,
    env: Record<string, string> = {},
    name = "run",
  ): Promise<StepResult & { outputs: Record<string, string> }> {
    const n = ++this.#steps;
    await Deno.mkdir(this.#env.RUNNER_TEMP, { recursive: true });
    const files = {
      GITHUB_PATH: `${this.#dir}/path-${n}`,
      GITHUB_ENV: `${this.#dir}/env-${n}`,
      GITHUB_OUTPUT: `${this.#dir}/output-${n}`,
    };
    for (const file of Object.values(files)) await Deno.writeTextFile(file, "");
    const scriptFile = `${this.#dir}/step-${n}.sh`;
    await Deno.writeTextFile(scriptFile, script);
    const out = await new Deno.Command("bash", {
      args: ["--noprofile", "--norc", "-eo", "pipefail", scriptFile],
      cwd: this.#dir,
      env: { ...this.env, ...env, ...files },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    const log = text.decode(out.stdout) + text.decode(out.stderr);
    this.log += log;
    // The runner applies these files after the step, for the next ones.
    for (const line of lines(await Deno.readTextFile(files.GITHUB_PATH))) {
      this.#path.unshift(line);
    }
    for (const [k, v] of keyValues(await Deno.readTextFile(files.GITHUB_ENV))) {
      this.#env[k] = v;
    }
    const written = await Deno.readTextFile(files.GITHUB_OUTPUT);
    this.outputsWritten += written;
    return {
      name,
      code: out.code,
      log,
      outputs: Object.fromEntries(keyValues(written)),
    };
  }

  /**
   * Runs the composite action in `actionDir` (its `action.yml`) with
   * `inputs` (`with:`); stops at the first failed step, as the runner does.
   */
  async uses(
    actionDir: string,
    inputs: Record<string, string>,
  ): Promise<StepResult[]> {
    const action: Yaml = parse(
      await Deno.readTextFile(`${actionDir}/action.yml`),
    );
    if (action.runs?.using !== "composite") {
      throw new Error("only composite actions are run here");
    }
    for (const name of Object.keys(inputs)) {
      if (!(name in (action.inputs ?? {}))) {
        throw new Error(`the action has no input "${name}"`);
      }
    }
    const values: Record<string, string> = {};
    for (const [name, spec] of Object.entries<Yaml>(action.inputs ?? {})) {
      values[name] = inputs[name] ?? String(spec.default ?? "");
    }
    const steps: Record<string, Record<string, string>> = {};
    const results: StepResult[] = [];
    for (const step of action.runs.steps as Yaml[]) {
      if (step.uses) throw new Error("the action uses another action");
      if (step.if !== undefined && !condition(step.if)) continue;
      if (step.shell !== "bash") {
        throw new Error(`a step in "${step.shell}" runs only where it is`);
      }
      const context = { actionDir, inputs: values, steps };
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries<string>(step.env ?? {})) {
        env[k] = expand(String(v), context);
      }
      if (String(step.run).includes("${{")) {
        throw new Error(`step "${step.name}": an expression inside run:`);
      }
      const result = await this.run(step.run, env, step.name);
      if (step.id) steps[step.id] = result.outputs;
      results.push(result);
      if (result.code !== 0) break;
    }
    return results;
  }
}

interface Context {
  actionDir: string;
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
}

/** `${{ … }}` in a value, for the expressions this runner knows. */
function expand(value: string, context: Context): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (expr === "github.action_path") return context.actionDir;
    let m = /^inputs\.([\w-]+)$/.exec(expr);
    if (m) {
      if (!(m[1] in context.inputs)) throw new Error(`no input "${m[1]}"`);
      return context.inputs[m[1]];
    }
    m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (m) return context.steps[m[1]]?.[m[2]] ?? "";
    throw new Error(`the test runner cannot evaluate "${expr}"`);
  });
}

/** `runner.os == 'X'` or `!=`, on Linux. */
function condition(expr: string): boolean {
  const m = /^runner\.os\s*(==|!=)\s*'(\w+)'$/.exec(expr.trim());
  if (!m) throw new Error(`the test runner cannot evaluate if: "${expr}"`);
  return (m[2] === "Linux") === (m[1] === "==");
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

/** `KEY=value` lines (the heredoc form is refused: nothing here uses it). */
function keyValues(text: string): [string, string][] {
  return lines(text).map((line) => {
    if (/^[\w-]+<</.test(line)) throw new Error("heredoc form not supported");
    const i = line.indexOf("=");
    if (i < 1) throw new Error(`not KEY=value: "${line}"`);
    return [line.slice(0, i), line.slice(i + 1)];
  });
}
