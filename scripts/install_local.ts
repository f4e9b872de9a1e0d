/**
 * `deno task install [--root DIR]`: installs an `authctl` command from this
 * checkout (with `deno install --global`), with exactly the permission flags
 * of the compiled binary, so every README example and the git helper line
 * `!authctl git-credential` work from any directory.
 *
 * The command runs this checkout's `main.ts` with its `deno.json` and
 * `deno.lock`: after a `git pull` it runs the new code. Remove it with
 * `deno uninstall --global authctl`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { permissionFlags } from "./cli_args.ts";

const root = new URL("../", import.meta.url);

const { values } = parseArgs({
  args: Deno.args,
  options: {
    root: { type: "string" },
    name: { type: "string", default: "authctl" },
  },
});

const args = [
  "install",
  "--global",
  "--force",
  "--quiet",
  "--name",
  values.name!,
  "--config",
  new URL("deno.json", root).pathname,
  "--lock",
  new URL("deno.lock", root).pathname,
  ...(values.root ? ["--root", values.root] : []),
  ...await permissionFlags(),
  new URL("main.ts", root).pathname,
];
const { code } = await new Deno.Command(Deno.execPath(), { args }).output();
if (code !== 0) {
  console.error(`install: deno install failed (exit ${code}).`);
  Deno.exit(1);
}

const installRoot = values.root ??
  Deno.env.get("DENO_INSTALL_ROOT") ??
  `${Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE")}/.deno`;
const bin = `${installRoot}/bin`;
const onPath = (Deno.env.get("PATH") ?? "").split(
  Deno.build.os === "windows" ? ";" : ":",
).includes(bin);
console.error(
  `install: "${values.name}" is installed in ${bin}, with the compiled binary's permissions (${
    (await permissionFlags()).join(" ")
  }).` +
    (onPath ? "" : `\ninstall: add ${bin} to your PATH to run it by name.`),
);
