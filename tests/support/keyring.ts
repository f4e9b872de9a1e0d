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
  const bus = await startPrivateBus(home);
  const env: Record<string, string> = {
    DBUS_SESSION_BUS_ADDRESS: bus.address,
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
      for (const child of [keyring, bus.child]) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        await child.status;
      }
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** A running private D-Bus session bus. */
export interface PrivateBus {
  address: string;
  child: Deno.ChildProcess;
}

/**
 * A D-Bus session bus of its own, in `dir`, with no service directories:
 * nothing is auto-started on it, so the only Secret Service there is one a
 * test starts (an auto-started gnome-keyring could own the name first,
 * without a login keyring).
 */
export async function startPrivateBus(dir: string): Promise<PrivateBus> {
  await Deno.writeTextFile(
    `${dir}/bus.conf`,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = new Deno.Command("dbus-daemon", {
    args: [
      "--config-file",
      `${dir}/bus.conf`,
      "--nofork",
      "--print-address=1",
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
  return { address: address.trim(), child: bus };
}
