/**
 * Login flows behind the {@linkcode LoginFlow} interface, and the selector
 * that picks one for the place the CLI runs in.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  browserHere,
  type Environment,
  personAtTerminal,
} from "../platform/environment.ts";
import { DeviceFlow } from "./device.ts";
import { LoopbackFlow } from "./loopback.ts";
import { PasteFlow } from "./paste.ts";
import { FLOW_NAMES } from "../config/modes.ts";
import type { LoginFlow } from "./types.ts";

export type {
  AuthorizationCodeClient,
  DeviceClient,
  LoginContext,
  LoginFlow,
} from "./types.ts";
export { sessionClient } from "./session_client.ts";
export { DeviceFlow } from "./device.ts";
export { LoopbackFlow } from "./loopback.ts";
export { PasteFlow } from "./paste.ts";

export { FLOW_NAMES, type FlowName } from "../config/modes.ts";

/** What the user asked for. */
export interface FlowRequest {
  /** `--flow`. */
  flow: string;
  /** `--no-browser`: do not open a browser here. */
  noBrowser: boolean;
  /** `--no-qr` unset. */
  qr: boolean;
}

/** The flow to run, and the line that tells the user why (auto only). */
export interface FlowChoice {
  flow: LoginFlow;
  reason?: string;
}

/** The hint after an automatic choice: the two other flows. */
function howToChoose(chosen: string): string {
  const others = FLOW_NAMES.filter((f) => f !== "auto" && f !== chosen);
  return `pick another with ${others.map((f) => `--flow ${f}`).join(" or ")}`;
}

/**
 * Checks what can be checked before talking to the provider: the flow name,
 * and (for `auto`) that some flow can finish here at all. Without a browser
 * and without a terminal nobody could approve a login, so this fails at once
 * (exit 2) instead of hanging.
 */
export function preflight(request: FlowRequest, env: Environment): void {
  if (!(FLOW_NAMES as readonly string[]).includes(request.flow)) {
    throw new UsageError(
      "invalid_flow",
      `Unknown login flow "${request.flow}". Use one of: ${
        FLOW_NAMES.join(", ")
      }.`,
    );
  }
  if (request.flow !== "auto") return;
  const browser = browserAvailable(request, env);
  if (!browser.ok && !personAtTerminal(env)) {
    throw new UsageError(
      "no_interactive_flow",
      `Cannot log in here: no browser can be opened (${browser.why}) and no terminal is attached, so nobody could approve the login. ` +
        `Run login in a terminal (the device flow works over SSH), or choose a flow with --flow device or --flow paste.`,
    );
  }
}

/** Picks the flow: the one asked for, or the best one for this place. */
export function chooseFlow(
  request: FlowRequest,
  env: Environment,
  provider: { supportsDeviceFlow: boolean },
): FlowChoice {
  preflight(request, env);
  const browser = browserAvailable(request, env);
  const device = () =>
    new DeviceFlow({ qr: request.qr, openBrowser: browser.ok });
  switch (request.flow) {
    case "loopback":
      return {
        flow: new LoopbackFlow({
          acceptPaste: env.stdinIsTerminal,
          openBrowser: !request.noBrowser,
        }),
      };
    case "device":
      return { flow: device() };
    case "paste":
      return { flow: new PasteFlow() };
  }
  if (browser.ok) {
    return {
      flow: new LoopbackFlow({
        acceptPaste: env.stdinIsTerminal,
        openBrowser: true,
      }),
      reason: `Logging in with the browser (${browser.why}; ${
        howToChoose("loopback")
      }).`,
    };
  }
  // The code and the URL go to stderr: whoever sees the terminal (stderr
  // itself, or through `2>&1 | tee log`) can enter them on any device.
  if (provider.supportsDeviceFlow && personAtTerminal(env)) {
    return {
      flow: device(),
      reason:
        `Logging in with a device code: ${browser.why}, so no browser can be opened here (${
          howToChoose("device")
        }).`,
    };
  }
  if (env.stdinIsTerminal) {
    return {
      flow: new PasteFlow(),
      reason:
        `Logging in by pasting back: ${browser.why}, so no browser can be opened here${
          provider.supportsDeviceFlow
            ? ""
            : ", and the provider has no device flow"
        } (${howToChoose("paste")}).`,
    };
  }
  throw new UsageError(
    "no_interactive_flow",
    `Cannot log in here: no browser can be opened (${browser.why}), the provider has no device flow, and no code can be pasted without a terminal on standard input. Run login in a terminal.`,
  );
}

/** The paste-back fallback when the provider refuses this client the device flow. */
export function pasteFallback(): FlowChoice {
  return {
    flow: new PasteFlow(),
    reason:
      "The provider refused the device flow for this client; logging in by pasting back instead.",
  };
}

function browserAvailable(request: FlowRequest, env: Environment) {
  return request.noBrowser
    ? { ok: false, why: "--no-browser was given" }
    : browserHere(env);
}
