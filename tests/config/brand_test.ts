/**
 * A branded build reads and names its own environment variables.
 */

import { assertEquals } from "../support/assert.ts";
import { brandEnv, brandText, envPrefix } from "../../src/config/brand.ts";
import { envFrom } from "../../src/platform/env.ts";

Deno.test("brand: the variable prefix follows the command name", () => {
  assertEquals(envPrefix("authctl"), "AUTHCTL_");
  assertEquals(envPrefix("acmectl"), "ACMECTL_");
  assertEquals(envPrefix("acme-cli2"), "ACME_CLI2_");
});

Deno.test("brand: acmectl reads ACMECTL_*, never AUTHCTL_*; other names pass", () => {
  const vars = envFrom({
    AUTHCTL_ISSUER: "https://authctl.example",
    ACMECTL_ISSUER: "https://acme.example",
    HOME: "/home/me",
  });
  const acme = brandEnv(vars, "acmectl");
  assertEquals(acme.get("AUTHCTL_ISSUER"), "https://acme.example");
  assertEquals(acme.get("AUTHCTL_CLIENT_ID"), undefined);
  assertEquals(acme.get("HOME"), "/home/me");
  const plain = brandEnv(vars, "authctl");
  assertEquals(plain.get("AUTHCTL_ISSUER"), "https://authctl.example");
});

Deno.test("brand: help and errors name the build's variables", () => {
  assertEquals(
    brandText("set AUTHCTL_CONFIG_DIR or AUTHCTL_TOKEN", "acmectl"),
    "set ACMECTL_CONFIG_DIR or ACMECTL_TOKEN",
  );
  assertEquals(brandText("env AUTHCTL_FLOW", "authctl"), "env AUTHCTL_FLOW");
});
