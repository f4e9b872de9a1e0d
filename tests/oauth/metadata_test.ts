/**
 * Entra's multi-tenant issuer template: accepted for its multi-tenant
 * authorities only, and only when the metadata names exactly the template
 * for the configured issuer.
 */

import { assertEquals } from "../support/assert.ts";
import { tenantTemplate } from "../../src/oauth/metadata.ts";
import { PRESETS } from "../../src/config/presets.ts";

const base = "https://login.microsoftonline.com";
const configured = `${base}/organizations/v2.0`;
const template = `${base}/{tenantid}/v2.0`;

Deno.test("metadata: the tenant template is accepted exactly, nothing near it", () => {
  const entra = PRESETS.microsoft;
  assertEquals(tenantTemplate(configured, template, entra), template);
  assertEquals(
    tenantTemplate(`${base}/common/v2.0`, template, entra),
    template,
  );
  for (
    const named of [
      `${base}/{tenantid}/v2.0/`, // a trailing slash
      `${base}/{tenantid}/v2`, // another version
      `https://evil.example/{tenantid}/v2.0`, // another host
      `${base}/{tenant}/v2.0`, // another placeholder
      `${base}/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0`, // one tenant
      `${base}/x/{tenantid}/v2.0`, // another path
    ]
  ) {
    assertEquals(tenantTemplate(configured, named, entra), undefined, named);
  }
  // A single-tenant authority, or a provider without the quirk: never.
  assertEquals(
    tenantTemplate(
      `${base}/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0`,
      template,
      entra,
    ),
    undefined,
  );
  assertEquals(tenantTemplate(configured, template, PRESETS.oidc), undefined);
});
