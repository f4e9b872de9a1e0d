import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { FileStore } from "../../src/store/file_store.ts";
import type { StoredCredential } from "../../src/store/types.ts";

const credential = (token: string): StoredCredential => ({
  version: 1,
  issuer: "https://issuer.example",
  clientId: "cli",
  scopes: ["openid", "offline_access"],
  audience: "",
  grantedScope: "openid offline_access",
  tokenType: "Bearer",
  accessToken: token,
  expiresAt: Date.now() + 3600_000,
  refreshToken: "r-" + token,
  obtainedAt: Date.now(),
  flow: "loopback",
});

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("file store: round trip, list, delete; one file per profile", () =>
  withDir(async (dir) => {
    const store = new FileStore({ configDir: `${dir}/cfg` });
    assertEquals(await store.get("default"), undefined);
    assertEquals(await store.list(), []);
    await store.set("default", credential("a"));
    await store.set("stage", credential("b"));
    assertEquals((await store.get("default"))?.accessToken, "a");
    assertEquals(await store.list(), ["default", "stage"]);
    await store.set("default", credential("c"));
    assertEquals((await store.get("default"))?.accessToken, "c");
    // The temporary file was renamed away: nothing else is left behind.
    const names = [];
    for await (const e of Deno.readDir(`${dir}/cfg/credentials`)) {
      names.push(e.name);
    }
    assertEquals(names.sort(), ["default.json", "stage.json"]);
    assertEquals(await store.delete("default"), true);
    assertEquals(await store.delete("default"), false);
    assertEquals(await store.list(), ["stage"]);
  }));

/**
 * Writes a credential twice from a child process under `umask` (with
 * `prelude` run first), then checks the modes: 0700 directories and a 0600
 * file.
 */
async function modesAfterWrite(dir: string, umask: string, prelude = "") {
  const script = `
    ${prelude}
    const { FileStore } = await import(${
    JSON.stringify(
      new URL("../../src/store/file_store.ts", import.meta.url).href,
    )
  });
    const store = new FileStore({ configDir: ${JSON.stringify(`${dir}/cfg`)} });
    await store.set("p", JSON.parse(Deno.args[0]));
    await store.set("p", JSON.parse(Deno.args[0]));
  `;
  const out = await new Deno.Command("sh", {
    args: [
      "-c",
      `umask ${umask} && exec "$0" eval "$1" "$2"`,
      Deno.execPath(),
      script,
      JSON.stringify(credential("x")),
    ],
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals((await Deno.stat(`${dir}/cfg`)).mode! & 0o777, 0o700);
  assertEquals(
    (await Deno.stat(`${dir}/cfg/credentials`)).mode! & 0o777,
    0o700,
  );
  assertEquals(
    (await Deno.stat(`${dir}/cfg/credentials/p.json`)).mode! & 0o777,
    0o600,
  );
}

for (const umask of ["000", "022"]) {
  Deno.test(`file store: 0700 directory and 0600 file from creation with umask ${umask}`, () =>
    withDir((dir) => modesAfterWrite(dir, umask)));
}

Deno.test("file store: created 0600 (directories 0700) by the call that creates it, not chmod-ed afterwards", () =>
  // With chmod disabled and umask 000, only the mode given when the file or
  // directory is created protects it: a file opened 0644 and tightened later
  // would be readable by others in between.
  withDir((dir) =>
    modesAfterWrite(
      dir,
      "000",
      `Object.defineProperty(Deno, "chmod", { value: () => Promise.resolve() });
       Object.defineProperty(Deno, "chmodSync", { value: () => {} });`,
    )
  ));

Deno.test("file store: a symlink planted at the temporary path is refused, its target untouched", () =>
  withDir(async (dir) => {
    const store = new FileStore({
      configDir: dir,
      tempName: (name) => `.${name}.planted.tmp`,
    });
    await store.set("default", credential("a"));
    await Deno.writeTextFile(`${dir}/victim`, "do not touch");
    await Deno.symlink(
      `${dir}/victim`,
      `${dir}/credentials/.default.json.planted.tmp`,
    );
    await assertRejects(() => store.set("default", credential("b")), {
      code: "storage_io",
    });
    assertEquals(await Deno.readTextFile(`${dir}/victim`), "do not touch");
    assertEquals((await store.get("default"))?.accessToken, "a");
  }));

Deno.test("file store: SIGKILL in the middle of many writes leaves a file that parses", () =>
  withDir(async (dir) => {
    const script = `
      import { FileStore } from ${
      JSON.stringify(
        new URL("../../src/store/file_store.ts", import.meta.url).href,
      )
    };
      const store = new FileStore({ configDir: ${JSON.stringify(dir)} });
      const base = JSON.parse(Deno.args[0]);
      for (let i = 0; ; i++) {
        await store.set("p", { ...base, accessToken: String(i).repeat(1 + (i % 5000)) });
        if (i === 20) console.log("writing");
      }
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script, JSON.stringify(credential("x"))],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "writing": many writes are under way
    await new Promise((r) => setTimeout(r, 150));
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    const stored = await new FileStore({ configDir: dir }).get("p");
    assert(stored && stored.accessToken.length > 0);
  }));

Deno.test("file store: a symlinked credentials file is refused", () =>
  withDir(async (dir) => {
    const store = new FileStore({ configDir: dir });
    await store.set("default", credential("a"));
    await Deno.writeTextFile(
      `${dir}/elsewhere.json`,
      JSON.stringify(credential("evil")),
      { mode: 0o600 },
    );
    await Deno.remove(`${dir}/credentials/default.json`);
    await Deno.symlink(
      `${dir}/elsewhere.json`,
      `${dir}/credentials/default.json`,
    );
    await assertRejects(() => store.get("default"), {
      code: "insecure_path",
      message: /symbolic link/,
    });
    await assertRejects(() => store.set("default", credential("b")), {
      code: "insecure_path",
    });
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${dir}/elsewhere.json`)).accessToken,
      "evil",
    );
  }));

Deno.test("file store: files or directories others can read are refused, with the fix", () =>
  withDir(async (dir) => {
    const store = new FileStore({ configDir: dir });
    await store.set("default", credential("a"));
    await Deno.chmod(`${dir}/credentials/default.json`, 0o644);
    await assertRejects(() => store.get("default"), {
      code: "insecure_permissions",
      message: /chmod 600/,
    });
    await Deno.chmod(`${dir}/credentials/default.json`, 0o600);
    await Deno.chmod(`${dir}/credentials`, 0o750);
    await assertRejects(() => store.get("default"), {
      code: "insecure_permissions",
      message: /chmod 700/,
    });
    await Deno.chmod(`${dir}/credentials`, 0o700);
    assertEquals((await store.get("default"))?.accessToken, "a");
  }));

Deno.test("file store: a corrupt file is 'not logged in' for that profile only", () =>
  withDir(async (dir) => {
    const store = new FileStore({ configDir: dir });
    await store.set("default", credential("a"));
    await store.set("other", credential("b"));
    await Deno.writeTextFile(`${dir}/credentials/default.json`, "{ not json");
    const err = await store.get("default").then(() => undefined, (e) => e);
    assert(err, "expected an error");
    assertEquals(err.code, "corrupt_credentials");
    assertEquals(err.exitCode, 4);
    assertEquals((await store.get("other"))?.accessToken, "b");
    assertEquals(
      await Deno.readTextFile(`${dir}/credentials/default.json`),
      "{ not json",
    );
  }));

Deno.test("file store: a group-readable file (0640) or directory (0750) is refused too", () =>
  withDir(async (dir) => {
    const store = new FileStore({ configDir: dir });
    await store.set("default", credential("a"));
    await Deno.chmod(`${dir}/credentials/default.json`, 0o640);
    await assertRejects(() => store.get("default"), {
      code: "insecure_permissions",
      message: /mode 640/,
    });
    await Deno.chmod(`${dir}/credentials/default.json`, 0o600);
    await Deno.chmod(`${dir}/credentials`, 0o710);
    await assertRejects(() => store.get("default"), {
      code: "insecure_permissions",
    });
  }));

Deno.test({
  name:
    "file store: a file or directory owned by another user is refused, whatever its mode",
  // Changing a file's owner needs root: the tests run as root here and in
  // CI (a run as another user fails here, visibly, rather than skip).
  fn: () =>
    withDir(async (dir) => {
      const store = new FileStore({ configDir: dir });
      await store.set("default", credential("a"));
      const nobody = 65534;
      await Deno.chown(`${dir}/credentials/default.json`, nobody, null);
      await assertRejects(() => store.get("default"), {
        code: "insecure_owner",
        message: /belongs to user 65534/,
      });
      await Deno.chown(`${dir}/credentials/default.json`, 0, null);
      assertEquals((await store.get("default"))?.accessToken, "a");
      await Deno.chown(`${dir}/credentials`, nobody, null);
      await assertRejects(() => store.get("default"), {
        code: "insecure_owner",
      });
      await Deno.chown(`${dir}/credentials`, 0, null);
    }),
});

Deno.test("file store: a killed writer's temporary file is removed by the next write and by delete", () =>
  withDir(async (dir) => {
    const store = new FileStore({ configDir: dir });
    await store.set("default", credential("a"));
    await store.set("other", credential("o"));
    // What a kill -9 between the temporary file and the rename leaves.
    const stale = `${dir}/credentials/.default.json.0123456789abcdef.tmp`;
    const otherStale = `${dir}/credentials/.other.json.fedcba9876543210.tmp`;
    for (const path of [stale, otherStale]) {
      await Deno.writeTextFile(path, JSON.stringify(credential("leaked")), {
        mode: 0o600,
      });
    }
    await store.set("default", credential("b"));
    assertEquals(await exists(stale), false, "the next write removes it");
    assertEquals(await exists(otherStale), true, "another profile's stays");
    await store.delete("other");
    assertEquals(await exists(otherStale), false, "delete (logout) removes it");
    assertEquals((await store.get("default"))?.accessToken, "b");
  }));

Deno.test("file store: the directory is synced after the rename (strace)", () =>
  withDir(async (dir) => {
    // A child process that writes one entry, traced: the rename, then an
    // fsync of a descriptor opened on the credentials directory.
    const script = `${dir}/write.ts`;
    await Deno.writeTextFile(
      script,
      `import { FileStore } from "${
        new URL("../../src/store/file_store.ts", import.meta.url).href
      }";
await new FileStore({ configDir: "${dir}/cfg" }).set("default", ${
        JSON.stringify(credential("a"))
      });\n`,
    );
    const out = await new Deno.Command("strace", {
      args: [
        "-f",
        "-e",
        "trace=openat,rename,renameat,renameat2,fsync",
        Deno.execPath(),
        "run",
        "-A",
        "--no-check",
        script,
      ],
      stderr: "piped",
      stdout: "null",
    }).output();
    assertEquals(out.code, 0);
    const trace = new TextDecoder().decode(out.stderr).split("\n");
    const rename = trace.findIndex((l) =>
      /rename.*\/credentials\/default\.json"/.test(l)
    );
    assert(rename >= 0, "no rename traced");
    // Opened as a file (readDir opens it O_DIRECTORY), then synced.
    const after = trace.slice(rename);
    const opened = after.findIndex((l) =>
      /openat\(.*"[^"]*\/cfg\/credentials", (?!.*O_DIRECTORY).*= \d+$/.test(l)
    );
    assert(opened >= 0, "the directory was not opened after the rename");
    assert(
      after.slice(opened).some((l) => /fsync\(\d+/.test(l)),
      "nothing was fsynced after the directory was opened",
    );
  }));

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
