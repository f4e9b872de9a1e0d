/**
 * `authctl api URL [--method M] [--data @FILE|-|STRING] [--header K:V]…
 * [--include]`: calls any API with the profile's access token, as `gh api`
 * does for GitHub, and writes the answer's body to stdout.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { UsageError } from "../errors.ts";
import { commandContext } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  repeatable,
  text,
  toggle,
} from "./flags.ts";

/** How long a step-up login waits for the browser. */
const STEP_UP_TIMEOUT_MS = 5 * 60_000;

/** `api`'s flags. */
interface ApiFlags extends CommonFlags {
  readonly method?: string;
  readonly data?: string;
  readonly header?: readonly string[];
  readonly include?: boolean;
}

/** Builds the `api` command. */
export const apiCommand = () =>
  buildCommand<ApiFlags, [string], CliContext>({
    docs: {
      brief:
        "call an API with the profile's access token; the answer's body on stdout (exit 1 outside 2xx, 4 when the token is refused)",
    },
    parameters: {
      flags: {
        ...commonFlags,
        method: text(
          "the HTTP method (default GET, or POST with --data)",
          "method",
        ),
        data: text(
          "the request body: a string, @FILE, or - for stdin (at most 10 MiB)",
          "data",
        ),
        header: repeatable("a request header NAME:VALUE, repeatable", "header"),
        include: toggle("print the status line and headers on stderr"),
      },
      positional: {
        kind: "tuple",
        parameters: [{ brief: "the URL", parse: String, placeholder: "url" }],
      },
    },
    func: action(async function (this: CliContext, flags: ApiFlags, url) {
      const cli = this.cli;
      const { callApi, MAX_REQUEST_BODY } = await import("../app/api.ts");
      const headers: [string, string][] = (flags.header ?? []).map((h) => {
        const i = h.indexOf(":");
        if (i <= 0) {
          throw new UsageError(
            "invalid_header",
            `Invalid --header "${h}". Give NAME:VALUE, e.g. "Accept: application/json".`,
          );
        }
        return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
      });
      const body = flags.data === undefined
        ? undefined
        : await readData(flags.data, MAX_REQUEST_BODY);
      // Without --profile: the profile logged in to the resource the URL
      // lies under (login --resource), if any.
      const { settings, deps, config } = await commandContext(flags, cli, {
        url,
        match: "covers",
      });
      // Step-up asks the person at the terminal to log in again.
      const interactive = cli.terminal.stdinIsTerminal &&
        cli.terminal.stderrIsTerminal;
      await callApi(deps, settings, {
        url,
        method: (flags.method ?? (body ? "POST" : "GET")).toUpperCase(),
        headers,
        body,
      }, {
        head: flags.include ? (t) => cli.terminal.err(t) : undefined,
        body: (chunk) =>
          cli.terminal.outBytes
            ? cli.terminal.outBytes(chunk)
            : cli.terminal.out(new TextDecoder().decode(chunk)),
      }, {
        stepUp: interactive
          ? async (scopes, current) => {
            const { stepUp } = await import("../app/step_up.ts");
            return await stepUp(deps, current, config, scopes, {
              flow: current.flow,
              timeoutMs: STEP_UP_TIMEOUT_MS,
            });
          }
          : undefined,
      });
    }),
  });

/** `--data`: a string, `@FILE`, or `-` for stdin; at most `max` bytes. */
async function readData(data: string, max: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (data === "-") {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of Deno.stdin.readable) {
      size += chunk.length;
      if (size > max) tooLarge(max);
      chunks.push(chunk);
    }
    bytes = new Uint8Array(size);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
  } else if (data.startsWith("@")) {
    const path = data.slice(1);
    const info = await Deno.stat(path).catch((err) => {
      throw new UsageError(
        "data_unreadable",
        `Cannot read --data file "${path}": ${(err as Error).message}.`,
      );
    });
    if (info.size > max) tooLarge(max);
    bytes = await Deno.readFile(path);
  } else {
    bytes = new TextEncoder().encode(data);
  }
  if (bytes.length > max) tooLarge(max);
  return bytes;
}

function tooLarge(max: number): never {
  throw new UsageError(
    "data_too_large",
    `The --data body is larger than ${max} bytes; api sends at most that.`,
  );
}
