/**
 * Shell completion: `authctl completion bash|zsh|fish|powershell` prints a
 * script for that shell; the script asks the program itself
 * (`authctl __complete CURRENT -- WORDS…`) for the candidates, which are
 * read from the parser's own definitions of every command and flag, plus
 * the profile names of `config.toml`. One engine, four thin scripts, and a
 * branded binary completes under its own name.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { UsageError } from "../errors.ts";
import { action, type CliContext } from "./flags.ts";

/** The shells a script is printed for. */
export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;

/** One of {@linkcode SHELLS}. */
export type Shell = typeof SHELLS[number];

/** Builds the `completion` command. */
export const completionCommand = () =>
  buildCommand<Record<never, never>, [Shell], CliContext>({
    docs: {
      brief:
        "print a shell completion script: bash, zsh, fish or powershell (see the README for where it goes)",
    },
    parameters: {
      positional: {
        kind: "tuple",
        parameters: [{
          brief: "bash, zsh, fish or powershell",
          parse: (value: string): Shell => {
            if (!(SHELLS as readonly string[]).includes(value)) {
              throw new UsageError(
                "invalid_shell",
                `Unknown shell "${value}". Use one of: ${SHELLS.join(", ")}.`,
              );
            }
            return value as Shell;
          },
          placeholder: "shell",
        }],
      },
    },
    func: action(function (this: CliContext, _flags, shell: Shell) {
      this.cli.terminal.out(completionScript(shell, this.cli.build.name));
    }),
  });

/** A route map or command of the parser, as far as completion reads it. */
// deno-lint-ignore no-explicit-any
type Target = any;

/** What the parser knows of one flag. */
interface FlagInfo {
  name: string;
  takesValue: boolean;
  values?: readonly string[];
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function flagsOf(command: Target): FlagInfo[] {
  const flags = command?.parameters?.flags ?? {};
  const out: FlagInfo[] = [];
  for (const [key, spec] of Object.entries(flags) as [string, Target][]) {
    const name = `--${kebab(key)}`;
    if (spec.kind === "boolean") {
      out.push({ name, takesValue: false });
      if (spec.default === true || spec.withNegated !== false) {
        out.push({ name: `--no-${kebab(key)}`, takesValue: false });
      }
    } else {
      out.push({
        name,
        takesValue: true,
        values: spec.kind === "enum" ? spec.values : undefined,
      });
    }
  }
  out.push({ name: "--help", takesValue: false });
  return out;
}

function entries(map: Target): { name: string; target: Target }[] {
  return (map?.getAllEntries?.() ?? [])
    .filter((e: Target) => !e.hidden)
    .map((e: Target) => ({ name: e.name.original, target: e.target }));
}

/** Positional values some commands take, by command path. */
const POSITIONALS: Record<string, (profiles: string[]) => string[]> = {
  "git-credential": () => ["get", "store", "erase"],
  "completion": () => [...SHELLS],
  "profiles use": (profiles) => profiles,
  "profiles remove": (profiles) => profiles,
};

/**
 * The candidates for `current`, after the `words` already typed (without
 * the program's name), under `routes` (the parser's route map).
 */
export function completions(
  routes: Target,
  words: readonly string[],
  current: string,
  profiles: readonly string[],
): string[] {
  let target = routes;
  const path: string[] = [];
  let i = 0;
  // Walk down the commands named so far.
  while (i < words.length && target?.getAllEntries) {
    const next = entries(target).find((e) => e.name === words[i]);
    if (!next) break;
    path.push(words[i]);
    target = next.target;
    i++;
  }
  const match = (list: readonly string[]) =>
    list.filter((c) => c.startsWith(current));
  if (target?.getAllEntries) {
    return match(entries(target).map((e) => e.name));
  }
  const flags = flagsOf(target);
  const previous = words.at(-1);
  const flag = flags.find((f) => f.name === previous);
  if (flag?.takesValue && i < words.length) {
    if (flag.values) return match(flag.values);
    if (flag.name === "--profile") return match(profiles);
    return [];
  }
  if (current.startsWith("-")) return match(flags.map((f) => f.name));
  const key = path.join(" ");
  if (key === "help") {
    return match(entries(routes).map((e) => e.name));
  }
  return match(POSITIONALS[key]?.([...profiles]) ?? []);
}

/** The script for `shell`, completing the command `name`. */
export function completionScript(shell: Shell, name: string): string {
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, "_")}_complete`;
  switch (shell) {
    case "bash":
      return `# ${name} completion for bash. Load it with:
#   source <(${name} completion bash)
# or save it as ~/.local/share/bash-completion/completions/${name}
${fn}() {
  local IFS=$'\\n'
  COMPREPLY=($(${name} __complete "\${COMP_WORDS[COMP_CWORD]}" -- "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null))
}
complete -o default -F ${fn} ${name}
`;
    case "zsh":
      return `#compdef ${name}
# ${name} completion for zsh. Save it as _${name} in a directory of $fpath
# (then run compinit), or load it with: source <(${name} completion zsh)
${fn}() {
  local -a candidates
  candidates=("\${(@f)$(${name} __complete "\${words[CURRENT]}" -- "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  compadd -a candidates
}
# Autoloaded from $fpath as _${name} (the first Tab runs this file as that
# function): complete now. Sourced: register the function.
if [[ "\${funcstack[1]}" == "_${name}" ]]; then
  ${fn} "$@"
elif (( $+functions[compdef] )); then
  compdef ${fn} ${name}
fi
`;
    case "fish":
      return `# ${name} completion for fish. Save it as
# ~/.config/fish/completions/${name}.fish
function ${fn}
  set -l words (commandline -opc)
  set -e words[1]
  ${name} __complete (commandline -ct) -- $words 2>/dev/null
end
complete -c ${name} -f -a '(${fn})'
`;
    case "powershell":
      return `# ${name} completion for PowerShell. Add this line to your $PROFILE:
#   ${name} completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName '${name}' -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
  if ($wordToComplete -ne '') { $words = @($words | Select-Object -SkipLast 1) }
  & '${name}' __complete $wordToComplete -- @words 2>$null | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
  }
}
