/**
 * Starts the demo provider (oidc-provider) as a child process for a test.
 */

/** A running provider process. */
export interface ProviderProcess {
  issuer: string;
  /** Where it listens (not the issuer's address behind a proxy). */
  listen: string;
  clientId: string;
  stop(): Promise<void>;
}

/** Starts `scripts/demo_provider.ts` and waits until it listens. */
export async function startProvider(
  args: string[] = [],
): Promise<ProviderProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../scripts/demo_provider.ts", import.meta.url).pathname,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (!buffer.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the demo provider exited before listening");
    buffer += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  const { issuer, clientId, listen } = JSON.parse(buffer.split("\n")[0]);
  return {
    issuer,
    listen,
    clientId,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}
