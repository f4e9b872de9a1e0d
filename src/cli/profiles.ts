/**
 * `authctl profiles list|use|add|remove`: named settings for several
 * environments.
 *
 * @module
 */

import { buildCommand, buildRouteMap } from "@stricli/core";
import { FLOW_NAMES, type FlowName } from "../config/modes.ts";
import type { StorageMode } from "../config/modes.ts";
import { configContext } from "./context.ts";
import {
  action,
  type CliContext,
  profileProviderFlags,
  type ProviderFlags,
  providerFlagValues,
  repeatable,
  requiredText,
  storageFlag,
  text,
  toggle,
} from "./flags.ts";

const nameArgument = {
  kind: "tuple",
  parameters: [{ brief: "profile name", parse: String, placeholder: "name" }],
} as const;

const say = (ctx: CliContext, text: string) =>
  ctx.cli.terminal.err(`${text}\n`);

const listCommand = () =>
  buildCommand<
    { readonly json?: boolean },
    [],
    CliContext
  >({
    docs: { brief: "list profiles (the default one is marked *)" },
    parameters: { flags: { json: toggle("print as JSON") } },
    func: action(
      async function (this: CliContext, flags: { readonly json?: boolean }) {
        const { listProfiles } = await import("../app/profiles.ts");
        const cli = this.cli;
        const { config, store } = await configContext(cli);
        const list = await listProfiles(config, store);
        if (flags.json) {
          return cli.terminal.out(JSON.stringify(list, null, 2) + "\n");
        }
        if (list.length === 0) {
          return say(
            this,
            `No profiles yet. Add one: ${cli.build.name} profiles add NAME --issuer URL --client-id ID`,
          );
        }
        const rows = list.map((p) => [
          `${p.isDefault ? "*" : " "} ${p.name}`,
          p.issuer ??
            (p.resources?.length
              ? `resource ${p.resources.join(" ")}`
              : p.configured
              ? "(no issuer)"
              : "(not in config)"),
          p.hasCredentials ? "logged in" : "",
        ]);
        // Columns as wide as their longest entry: long names stay aligned.
        const widths = [0, 1].map((i) =>
          Math.max(...rows.map((r) => r[i].length))
        );
        for (const row of rows) {
          cli.terminal.out(
            row.map((cell, i) => i < 2 ? cell.padEnd(widths[i]) : cell)
              .join("  ").trimEnd() + "\n",
          );
        }
      },
    ),
  });

const useCommand = () =>
  buildCommand<Record<never, never>, [string], CliContext>({
    docs: {
      brief:
        "make NAME the default profile (--profile and AUTHCTL_PROFILE still win)",
    },
    parameters: { positional: nameArgument },
    func: action(
      async function (
        this: CliContext,
        _flags: Record<never, never>,
        name: string,
      ) {
        const { useProfile } = await import("../app/profiles.ts");
        const { config } = await configContext(this.cli);
        await useProfile(config, name, this.cli.build.name);
        say(this, `The default profile is now "${name}".`);
      },
    ),
  });

/** `profiles add`'s flags. */
interface AddFlags extends ProviderFlags {
  readonly issuer?: string;
  readonly gitHost?: readonly string[];
  readonly oob?: boolean;
  readonly clientId: string;
  readonly scope?: readonly string[];
  readonly audience?: string;
  readonly port?: string;
  readonly flow?: FlowName;
  readonly storage?: StorageMode;
  readonly force?: boolean;
}

const addCommand = () =>
  buildCommand<AddFlags, [string], CliContext>({
    docs: { brief: "add a profile to config.toml" },
    parameters: {
      flags: {
        issuer: text(
          "OpenID provider issuer URL (github, google and microsoft name their own)",
          "url",
        ),
        clientId: requiredText("public OAuth client ID", "id"),
        scope: repeatable("extra scope, repeatable", "scope"),
        audience: text("audience to request", "aud"),
        port: text("callback port(s) registered with the provider", "ports"),
        flow: {
          kind: "enum",
          values: FLOW_NAMES,
          brief: "preferred login flow",
          optional: true,
        },
        storage: storageFlag("where credentials go"),
        gitHost: repeatable(
          "a host git-credential gives the token to, repeatable (git_hosts)",
          "host",
        ),
        oob: toggle(
          "paste-back with the out-of-band redirect urn:ietf:wg:oauth:2.0:oob (oob)",
        ),
        force: toggle("replace an existing profile"),
        ...profileProviderFlags,
      },
      positional: nameArgument,
    },
    func: action(
      async function (this: CliContext, flags: AddFlags, name: string) {
        const { addProfile } = await import("../app/profiles.ts");
        const { splitScopes } = await import("../config/config_file.ts");
        const { parseProviderFlags } = await import(
          "../config/provider_settings.ts"
        );
        const provider = parseProviderFlags(providerFlagValues(flags));
        const { config } = await configContext(this.cli);
        await addProfile(config, name, {
          ...(Object.keys(provider).length ? { provider } : {}),
          issuer: flags.issuer,
          clientId: flags.clientId,
          scopes: flags.scope ? splitScopes(flags.scope) : undefined,
          audience: flags.audience,
          ports: flags.port,
          flow: flags.flow,
          storage: flags.storage,
          gitHosts: flags.gitHost ? splitScopes(flags.gitHost) : undefined,
          oob: flags.oob,
        }, flags.force);
        say(
          this,
          `Added profile "${name}". Log in with: ${this.cli.build.name} login --profile ${name}`,
        );
      },
    ),
  });

const removeCommand = () =>
  buildCommand<
    Record<never, never>,
    [string],
    CliContext
  >({
    docs: { brief: "remove a profile and its stored credentials" },
    parameters: { positional: nameArgument },
    func: action(
      async function (
        this: CliContext,
        _flags: Record<never, never>,
        name: string,
      ) {
        const { removeProfile } = await import("../app/profiles.ts");
        const { config, store } = await configContext(this.cli);
        const removed = await removeProfile(
          config,
          store,
          name,
          this.cli.build.name,
        );
        say(
          this,
          `Removed profile "${name}"${
            removed.credentials ? " and its stored credentials" : ""
          }.`,
        );
      },
    ),
  });

/** Builds the `profiles` commands (when it runs, or for help). */
export const profilesRoutes = () =>
  buildRouteMap({
    docs: { brief: "manage profiles: named settings for several environments" },
    routes: {
      list: listCommand(),
      use: useCommand(),
      add: addCommand(),
      remove: removeCommand(),
    },
  });
