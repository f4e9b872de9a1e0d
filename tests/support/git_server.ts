/**
 * A git server over HTTP for the credential-helper tests: Deno.serve in
 * front of git's own `git http-backend` (CGI), serving one repository, and
 * refusing every request whose Basic-auth password the OpenID provider's
 * userinfo endpoint does not accept as an access token.
 */

/** A running git server. */
export interface GitServer {
  /** `http://127.0.0.1:PORT/repo.git` */
  url: string;
  /** `127.0.0.1:PORT`, as git names the host. */
  host: string;
  /** Passwords presented, in order (for the tests' eyes only). */
  passwords: string[];
  /** Refuse the next `n` requests that carry a password (a revoked token). */
  refuseNext(n: number): void;
  stop(): Promise<void>;
}

async function git(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    env: {
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.test",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.test",
    },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** Starts the server with a repository holding one commit of README. */
export async function startGitServer(issuer: string): Promise<GitServer> {
  const root = await Deno.makeTempDir({ prefix: "authctl-git-" });
  const work = `${root}/work`;
  await Deno.mkdir(work);
  await git(["init", "-q", "-b", "main"], work);
  await Deno.writeTextFile(`${work}/README`, "hello from the git server\n");
  await git(["add", "README"], work);
  await git(["commit", "-q", "-m", "first"], work);
  await git(["clone", "-q", "--bare", work, `${root}/repo.git`], root);

  const metadata = await (await fetch(
    `${issuer}/.well-known/openid-configuration`,
  )).json();
  const userinfo: string = metadata.userinfo_endpoint;
  const passwords: string[] = [];
  let refuse = 0;

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization") ?? "";
      const basic = /^Basic (.+)$/.exec(auth);
      const password = basic
        ? new TextDecoder().decode(Uint8Array.fromBase64(basic[1]))
          .replace(/^[^:]*:/, "")
        : undefined;
      if (password !== undefined) passwords.push(password);
      const accepted = password !== undefined && refuse === 0 &&
        (await fetch(userinfo, {
          headers: { authorization: `Bearer ${password}` },
        }).then((r) => r.body?.cancel().then(() => r.ok)));
      if (password !== undefined && refuse > 0) refuse--;
      if (!accepted) {
        await req.body?.cancel();
        return new Response("authentication required\n", {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="authctl test"' },
        });
      }
      const cgi = new Deno.Command("git", {
        args: ["http-backend"],
        env: {
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: "1",
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.slice(1),
          REQUEST_METHOD: req.method,
          CONTENT_TYPE: req.headers.get("content-type") ?? "",
          REMOTE_USER: "tester",
          REMOTE_ADDR: "127.0.0.1",
        },
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const body = new Uint8Array(await req.arrayBuffer());
      const writer = cgi.stdin.getWriter();
      await writer.write(body);
      await writer.close();
      const out = (await cgi.output()).stdout;
      // CGI: header lines, a blank line, the body.
      let split = out.length;
      let bodyAt = out.length;
      for (let i = 0; i + 1 < out.length; i++) {
        if (out[i] === 10 && out[i + 1] === 10) {
          [split, bodyAt] = [i, i + 2];
          break;
        }
        if (
          out[i] === 13 && out[i + 1] === 10 && out[i + 2] === 13 &&
          out[i + 3] === 10
        ) {
          [split, bodyAt] = [i, i + 4];
          break;
        }
      }
      const head = new TextDecoder().decode(out.subarray(0, split));
      const headers = new Headers();
      let status = 200;
      for (const line of head.split(/\r?\n/)) {
        const at = line.indexOf(":");
        if (at <= 0) continue;
        const name = line.slice(0, at).trim();
        const value = line.slice(at + 1).trim();
        if (name.toLowerCase() === "status") status = parseInt(value, 10);
        else headers.append(name, value);
      }
      return new Response(out.slice(bodyAt), { status, headers });
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  return {
    url: `http://${host}/repo.git`,
    host,
    passwords,
    refuseNext(n) {
      refuse = n;
    },
    async stop() {
      await server.shutdown();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}
