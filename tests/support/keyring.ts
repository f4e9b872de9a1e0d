/**
 * A private Secret Service for the tests: a D-Bus session bus of its own
 * (dbus-daemon) with gnome-keyring's secrets component, unlocked, in a
 * temporary home. Nothing touches the user's own keyring.
 */

/** A running private keyring. */
export interface PrivateKeyring {
  /** Environment for processes that should use it. */
  env: Record<string, string>;
  /** Runs `secret-tool` against it. */
  secretTool(...args: string[]): Promise<{ code: number; stdout: string }>;
  stop(): Promise<void>;
}

/** Starts dbus-daemon and gnome-keyring-daemon; fails when they are missing. */
export async function startPrivateKeyring(): Promise<PrivateKeyring> {
  const home = await Deno.makeTempDir({ prefix: "authctl-keyring-" });
  const bus = new Deno.Command("dbus-daemon", {
    args: [
      "--session",
      "--nofork",
      "--print-address=1",
      `--address=unix:path=${home}/bus`,
    ],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = bus.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let address = "";
  while (!address.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("dbus-daemon exited before printing its address");
    address += value;
  }
  reader.releaseLock();
  bus.stdout.cancel().catch(() => {});
  const env: Record<string, string> = {
    DBUS_SESSION_BUS_ADDRESS: address.trim(),
    HOME: home,
    XDG_DATA_HOME: `${home}/data`,
    XDG_RUNTIME_DIR: home,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const keyring = new Deno.Command("gnome-keyring-daemon", {
    args: ["--unlock", "--components=secrets", "--foreground"],
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = keyring.stdin.getWriter();
  await writer.write(new TextEncoder().encode("test-keyring-password"));
  await writer.close();
  const secretTool = async (...args: string[]) => {
    const out = await new Deno.Command("secret-tool", {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stderr: "null",
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  // Ready once an item can be stored in the unlocked login collection.
  for (let i = 0;; i++) {
    const probe = await new Deno.Command("sh", {
      args: [
        "-c",
        "printf ok | secret-tool store --label=ready authctl-test ready",
      ],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (probe.code === 0) break;
    if (i > 300) { // 30 s: slow under a loaded machine
      throw new Error(
        `gnome-keyring did not start: ${
          new TextDecoder().decode(probe.stderr)
        }`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    env,
    secretTool,
    async stop() {
      for (const child of [keyring, bus]) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        await child.status;
      }
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
