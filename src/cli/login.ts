/**
 * `authctl login`: flags → options → the login use case.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { UsageError } from "../errors.ts";
import { FLOW_NAMES, type FlowName } from "../config/modes.ts";
import {
  commandContext,
  describeIdentity,
  parseDuration,
  relativeTime,
} from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  type ProviderFlags,
  providerFlags,
  text,
  textWithDefault,
  toggle,
} from "./flags.ts";

/** Default time to wait for the user to finish in the browser. */
const DEFAULT_TIMEOUT = "5m";

/** `login`'s flags. */
interface LoginFlags extends CommonFlags, ProviderFlags {
  readonly flow?: FlowName;
  readonly browser: boolean;
  readonly qr: boolean;
  readonly port?: string;
  readonly timeout: string;
  readonly force?: boolean;
  readonly tokenStdin?: boolean;
  readonly withToken?: string;
  readonly validateUrl?: string;
  readonly clientCredentials?: boolean;
}

/** Builds the `login` command (when it runs, or for help). */
export const loginCommand = () =>
  buildCommand<LoginFlags, [], CliContext>({
    docs: { brief: "log in to the provider and store the tokens" },
    parameters: {
      flags: {
        ...commonFlags,
        ...providerFlags,
        flow: {
          kind: "enum",
          values: FLOW_NAMES,
          brief:
            "how to log in: auto (the default) picks loopback where a browser can be opened, else device, else paste (env AUTHCTL_FLOW)",
          optional: true,
        },
        browser: {
          kind: "boolean",
          brief: "open a browser on this machine (--no-browser: never)",
          default: true,
        },
        qr: {
          kind: "boolean",
          brief: "show the device flow's QR code (--no-qr: never)",
          default: true,
        },
        port: text(
          "callback port(s) for the loopback flow: 8765, 8765,8770 or 8765-8769 (default: any free port; env AUTHCTL_PORT)",
          "ports",
        ),
        timeout: textWithDefault(
          "how long to wait for the browser or a paste (e.g. 300, 90s, 5m)",
          "duration",
          DEFAULT_TIMEOUT,
        ),
        force: toggle("log in again even when still logged in"),
        tokenStdin: toggle(
          "store a personal access token (or any bearer token) read from stdin, for CI",
        ),
        withToken: text(
          "store this token (it lands in your shell history: prefer --token-stdin)",
          "token",
        ),
        validateUrl: text(
          "check a given token with a GET here instead of the userinfo endpoint",
          "url",
        ),
        clientCredentials: toggle(
          "log a service account in with the client credentials grant: its secret (AUTHCTL_CLIENT_SECRET) or its key (client_auth private_key_jwt)",
        ),
      },
    },
    func: action(async function (this: CliContext, flags: LoginFlags) {
      const cli = this.cli;
      const timeoutMs = parseDuration(flags.timeout, "--timeout");
      // `login --resource URL`: that resource's profile, or a new one.
      const resource = flags.resource?.length === 1
        ? flags.resource[0]
        : undefined;
      const { settings, deps, config } = await commandContext(
        flags,
        cli,
        resource ? { url: resource, match: "exact", create: true } : undefined,
      );
      if (flags.tokenStdin || flags.withToken !== undefined) {
        if (flags.withToken !== undefined) {
          cli.terminal.err(
            "Warning: a token given with --with-token lands in your shell history and is visible to other users in the process list; prefer --token-stdin.\n",
          );
        }
        const token = flags.tokenStdin
          ? await cli.terminal.readLine(deps.signal)
          : flags.withToken;
        if (!token) {
          throw new UsageError(
            "no_input",
            `No token on standard input. Pipe it in: printenv TOKEN | ${cli.build.name} login --token-stdin${
              settings.profile === "default"
                ? ""
                : ` --profile ${settings.profile}`
            }`,
          );
        }
        const { loginWithToken } = await import("../app/login.ts");
        const result = await loginWithToken(deps, settings, token, {
          validateUrl: flags.validateUrl,
        });
        cli.terminal.err(
          `Stored the token${
            describeIdentity(result.credential.identity)
          } for profile "${settings.profile}".\n`,
        );
        return;
      }
      const options = {
        flow: settings.flow,
        noBrowser: !flags.browser,
        qr: flags.qr,
        timeoutMs,
        force: flags.force,
        clientCredentials: flags.clientCredentials,
      };
      // Loaded only by login: keeps oauth4webapi and jose off `token`'s path.
      const { isResourceLogin, loginToResource } = await import(
        "../app/resource_login.ts"
      );
      if (isResourceLogin(settings)) {
        const result = await loginToResource(deps, settings, config, options);
        const who = describeIdentity(result.credential.identity);
        const scopes = result.scopes.length
          ? ` with scope "${result.scopes.join(" ")}"`
          : "";
        cli.terminal.err(
          `${
            result.loggedIn ? "Logged in" : "Already logged in"
          }${who} to ${result.resource.resource} through ${result.issuer}${scopes}, as profile "${settings.profile}"${
            result.profileSaved ? " (saved in config.toml)" : ""
          }.${result.loggedIn ? "" : " Use --force to log in again."}\n`,
        );
        return;
      }
      const { login } = await import("../app/login.ts");
      const { describeUnattended } = await import("../app/unattended.ts");
      const result = await login(deps, settings, options);
      const who = describeIdentity(result.credential.identity) +
        describeUnattended(result.credential);
      const expiry = result.credential.expiresAt === undefined
        ? ""
        : ` (access token expires ${
          relativeTime(result.credential.expiresAt, cli.clock.now())
        })`;
      cli.terminal.err(
        result.loggedIn
          ? `Logged in${who} to ${result.credential.issuer} as profile "${settings.profile}".\n`
          : `Already logged in${who} to ${result.credential.issuer}${expiry}. Use --force to log in again.\n`,
      );
    }),
  });
