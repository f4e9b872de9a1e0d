/**
 * What every command's `--help` ends with: real examples, and for the
 * program itself the exit codes. Written with the build's own name.
 *
 * @module
 */

/** Examples per command path ("" is the program). */
export function examplesFor(path: string, name: string): string[] {
  const api = "https://api.example.com/me";
  const all: Record<string, string[]> = {
    "": [
      `${name} login`,
      `curl -H "Authorization: Bearer $(${name} token)" ${api}`,
      `${name} status`,
    ],
    login: [
      `${name} login`,
      `${name} login --flow device                # over SSH: a code to enter on any device`,
      `${name} login --provider github --client-id Iv1.0123456789abcdef`,
      `${name} login --resource https://mcp.example.com/mcp   # an API that says where to log in`,
    ],
    status: [`${name} status`, `${name} status --json | jq .expiresIn`],
    token: [
      `curl -H "Authorization: Bearer $(${name} token)" ${api}`,
      `${name} token --format kubectl --id-token   # a kubeconfig exec credential`,
      `${name} token --force-refresh               # after your permissions changed`,
      `${name} token --resource https://mcp.example.com/mcp`,
    ],
    header: [
      `${name} header | curl -H @- ${api}`,
      `${name} header --id-token | curl -H @- https://backend.example.com/cli-auth`,
    ],
    exec: [
      `${name} exec -- ./deploy.sh production`,
      `${name} exec --env API_TOKEN -- make release`,
    ],
    "git-credential": [
      `git config --global credential.https://git.example.com.helper "!${name} git-credential"`,
      `printf 'protocol=https\\nhost=git.example.com\\n\\n' | ${name} git-credential get --host git.example.com`,
    ],
    verify: [
      `${name} token --id-token | ${name} verify --issuer https://login.example.com --audience cli`,
      `${name} verify --issuer https://login.example.com --audience cli --audience cli-ci TOKEN`,
    ],
    logout: [`${name} logout`, `${name} logout --all`],
    ci: [
      `${name} ci claims github --federated-audience api://AzureADTokenExchange`,
      `${name} ci claims auto --json`,
    ],
    "ci claims": [
      `${name} ci claims github --federated-audience api://AzureADTokenExchange`,
      `${name} ci claims file:/var/run/secrets/tokens/ci --json`,
    ],
    version: [`${name} version`, `${name} version --json`],
    profiles: [
      `${name} profiles add stage --issuer https://login.stage.example --client-id cli-stage`,
      `${name} profiles use stage`,
      `${name} profiles list`,
    ],
    "profiles list": [`${name} profiles list`, `${name} profiles list --json`],
    "profiles use": [
      `${name} profiles use stage`,
      `${name} token --profile prod   # one command only`,
    ],
    "profiles add": [
      `${name} profiles add stage --issuer https://login.stage.example --client-id cli-stage`,
      `${name} profiles add gh --provider github --issuer https://github.com --client-id Iv1.0123456789abcdef`,
    ],
    "profiles remove": [
      `${name} profiles remove stage`,
      `${name} profiles list`,
    ],
    help: [`${name} help token`, `${name} help profiles add`],
    api: [
      `${name} api https://api.example.com/me`,
      `${name} api --method PUT --data @settings.json --header "Content-Type: application/json" https://api.example.com/settings`,
      `${name} api --include https://api.example.com/health`,
    ],
    upgrade: [`${name} upgrade --check`, `${name} upgrade`],
    completion: [
      `source <(${name} completion bash)          # in ~/.bashrc`,
      `${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    ],
  };
  return all[path] ?? [];
}

/** The exit codes, as the README lists them. */
export const EXIT_CODES: readonly [number | string, string][] = [
  [0, "success"],
  [
    1,
    "other error (the credentials could not be stored, the keychain refused)",
  ],
  [2, "usage or configuration error"],
  [
    3,
    "the provider is unreachable, or its answer is unusable or fails validation",
  ],
  [
    4,
    "not logged in, or the credentials are expired, revoked or for other settings",
  ],
  [5, "refused by the user or the provider (access_denied)"],
  [6, "timed out waiting for the user, or the device code expired"],
  ["126, 127", "exec: the program cannot be run, or was not found"],
  [
    "129, 143",
    "stopped by SIGHUP or SIGTERM (a refresh in flight is saved first)",
  ],
  [130, "interrupted (Ctrl-C; a refresh in flight is saved first)"],
  [
    141,
    "standard output was closed by its reader (as with | head): ended quietly",
  ],
];

/** The text after a command's help: examples, and for the program the exit codes. */
export function helpEpilogue(path: string, name: string): string {
  const examples = examplesFor(path, name);
  let text = examples.length
    ? `\nEXAMPLES\n${examples.map((e) => `  ${e}`).join("\n")}\n`
    : "";
  if (path === "" || path === "help") {
    const width = Math.max(...EXIT_CODES.map(([c]) => String(c).length));
    text += `\nEXIT CODES\n${
      EXIT_CODES.map(([c, m]) => `  ${String(c).padEnd(width)}  ${m}`).join(
        "\n",
      )
    }\n`;
  }
  return text;
}
