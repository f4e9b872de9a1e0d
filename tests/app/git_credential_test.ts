/**
 * git's credential protocol: parsing and which requests get a token.
 */

import { assertEquals } from "../support/assert.ts";
import {
  parseGitCredentialInput,
  servesHost,
} from "../../src/app/git_credential.ts";

Deno.test("git credential: key=value lines up to the blank line", () => {
  assertEquals(
    parseGitCredentialInput([
      "protocol=https",
      "host=git.example.com:8443",
      "path=a/b.git",
      "wwwauth[]=Basic realm=x",
      "no equals sign",
      "=novalue",
      "",
      "host=after-the-blank-line",
    ]),
    {
      protocol: "https",
      host: "git.example.com:8443",
      path: "a/b.git",
      "wwwauth[]": "Basic realm=x",
    },
  );
});

Deno.test("git credential: only configured hosts, over https or loopback http", () => {
  const hosts = ["git.example.com", "127.0.0.1:9000"];
  const yes = [
    { protocol: "https", host: "git.example.com" },
    { protocol: "https", host: "GIT.example.com" },
    { protocol: "http", host: "127.0.0.1:9000" },
  ];
  const no: Record<string, string>[] = [
    { protocol: "https", host: "git.example.com:444" },
    { protocol: "https", host: "evil.example.com" },
    { protocol: "http", host: "git.example.com" },
    { protocol: "ssh", host: "git.example.com" },
    { protocol: "https" },
  ];
  for (const r of yes) assertEquals(servesHost(r, hosts), true, r.host);
  for (const r of no) assertEquals(servesHost(r, hosts), false, r.host);
  assertEquals(servesHost(yes[0], []), false);
});
