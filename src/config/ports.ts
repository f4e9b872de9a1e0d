/**
 * Callback port specifications (`--port`, `AUTHCTL_PORT`, `ports` in a
 * profile), parsed once when the settings are resolved.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * Parses a port specification: "" or "0" (ephemeral), "8765", a list
 * "8765,8770" or a range "8765-8769". `from` names where it was given.
 */
export function parsePorts(spec: string, from?: string): number[] {
  const trimmed = spec.trim();
  if (trimmed === "" || trimmed === "0") return [0];
  const ports: number[] = [];
  const invalid = () =>
    new UsageError(
      "invalid_port",
      `Invalid port specification "${spec}"${
        from ? ` (from ${from})` : ""
      }. Use a port (8765), a list (8765,8770) or a range (8765-8769) between 1 and 65535.`,
    );
  for (const part of trimmed.split(",")) {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(part);
    if (!m) throw invalid();
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || to < from || to - from > 1000) {
      throw invalid();
    }
    for (let p = from; p <= to; p++) if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}
