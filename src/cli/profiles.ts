/**
 * `authctl profiles list|use|add|remove`: named settings for several
 * environments.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import {
  addProfile,
  listProfiles,
  removeProfile,
  useProfile,
} from "../app/profiles.ts";
import { splitScopes } from "../config/config_file.ts";
import { FLOW_NAMES } from "../flows/names.ts";
import { STORAGE_MODES } from "../store/routing_store.ts";
import { type CliDeps, configContext } from "./context.ts";

/** Builds the `profiles` command and its subcommands. */
export function profilesCommand(cli: CliDeps) {
  const out = (text: string) => cli.terminal.out(text);
  const say = (text: string) => cli.terminal.err(`${text}\n`);
  const profiles = new Command("profiles").description(
    "manage profiles: named settings for several environments",
  );
  profiles.command("list")
    .description("list profiles (the default one is marked *)")
    .option("--json", "print as JSON")
    .action(async (flags) => {
      const { config, store } = await configContext(cli);
      const list = await listProfiles(config, store);
      if (flags.json) return out(JSON.stringify(list, null, 2) + "\n");
      if (list.length === 0) {
        return say(
          `No profiles yet. Add one: ${cli.build.name} profiles add NAME --issuer URL --client-id ID`,
        );
      }
      for (const p of list) {
        out(
          `${p.isDefault ? "*" : " "} ${p.name.padEnd(16)} ${
            (p.issuer ?? "(not in config)").padEnd(40)
          } ${p.hasCredentials ? "logged in" : ""}`.trimEnd() + "\n",
        );
      }
    });
  profiles.command("use")
    .description(
      "make NAME the default profile (--profile and AUTHCTL_PROFILE still win)",
    )
    .argument("<name>", "profile name")
    .action(async (name) => {
      const { config } = await configContext(cli);
      await useProfile(config, name);
      say(`The default profile is now "${name}".`);
    });
  profiles.command("add")
    .description("add a profile to config.toml")
    .argument("<name>", "profile name")
    .requiredOption("--issuer <url>", "OpenID provider issuer URL")
    .requiredOption("--client-id <id>", "public OAuth client ID")
    .option(
      "--scope <scope>",
      "extra scope, repeatable",
      (
        value: string,
        previous: string[] | undefined,
      ) => [...(previous ?? []), value],
    )
    .option("--audience <aud>", "audience to request")
    .option("--port <ports>", "callback port(s) registered with the provider")
    .addOption(
      new Option("--flow <flow>", "preferred login flow").choices(FLOW_NAMES),
    )
    .addOption(
      new Option("--storage <where>", "where credentials go").choices(
        STORAGE_MODES,
      ),
    )
    .option("--force", "replace an existing profile")
    .action(async (name, flags) => {
      const { config } = await configContext(cli);
      await addProfile(config, name, {
        issuer: flags.issuer,
        clientId: flags.clientId,
        scopes: flags.scope ? splitScopes(flags.scope) : undefined,
        audience: flags.audience,
        ports: flags.port,
        flow: flags.flow,
        storage: flags.storage,
      }, flags.force);
      say(
        `Added profile "${name}". Log in with: ${cli.build.name} login --profile ${name}`,
      );
    });
  profiles.command("remove")
    .description("remove a profile and its stored credentials")
    .argument("<name>", "profile name")
    .action(async (name) => {
      const { config, store } = await configContext(cli);
      const removed = await removeProfile(config, store, name);
      say(
        `Removed profile "${name}"${
          removed.credentials ? " and its stored credentials" : ""
        }.`,
      );
    });
  return profiles;
}
