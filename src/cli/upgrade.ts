/**
 * `authctl upgrade`: the newest release of this build in place of this
 * binary (see src/app/upgrade.ts), or with `--check` only whether there is
 * one.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { action, type CliContext, toggle } from "./flags.ts";

/** `upgrade`'s flags. */
interface UpgradeFlags {
  readonly check?: boolean;
}

/** Builds the `upgrade` command (when it runs, or for help). */
export const upgradeCommand = () =>
  buildCommand<UpgradeFlags, [], CliContext>({
    docs: {
      brief:
        "replace this binary with the newest release of the same build, verified against its SHA256SUMS",
    },
    parameters: {
      flags: {
        check: toggle(
          "only say whether a newer release exists, and how to get it",
        ),
      },
    },
    func: action(async function (this: CliContext, flags: UpgradeFlags) {
      const cli = this.cli;
      const { upgradeDeps } = await import("./update_notice.ts");
      const { checkUpgrade, upgrade } = await import("../app/upgrade.ts");
      const deps = upgradeDeps(cli);
      if (!flags.check) {
        await upgrade(deps);
        return;
      }
      const found = await checkUpgrade(deps);
      cli.terminal.out(
        found.newer
          ? `${cli.build.name} ${found.latest} is available (this is ${found.current}). To update: ${found.command}\n`
          : `${cli.build.name} ${found.current} is the latest release.\n`,
      );
    }),
  });
