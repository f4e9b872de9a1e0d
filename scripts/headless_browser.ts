/**
 * Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * acting as the person at the keyboard: it opens an authorization URL, signs
 * in on the demo provider's page and approves (or cancels).
 *
 * Used by the tests, and by the demo on machines without a graphical browser,
 * as `BROWSER="deno run -A scripts/headless_browser.ts"`.
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = Deno.env.get("AUTHCTL_CHROMIUM") ??
  "/usr/bin/chromium";

/** Starts headless Chromium with the flags this machine needs (and `extra`). */
export async function launchChromium(extra: string[] = []): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extra,
    ],
  });
}

/** What the person does on the provider's pages. */
export interface ApproveOptions {
  /** User name typed on the login page. */
  user?: string;
  /** Cancel instead of approving (the provider then answers access_denied). */
  cancel?: boolean;
}

/**
 * Opens `url`, signs in as `user` and approves the consent page. Resolves
 * with the page the browser ends on (the CLI's callback page).
 */
export async function approveLogin(
  page: Page,
  url: string,
  options: ApproveOptions = {},
): Promise<Page> {
  await page.goto(url);
  if (options.cancel) {
    await page.getByText("Cancel").click();
    await page.waitForLoadState();
    return page;
  }
  await page.fill('input[name="login"]', options.user ?? "alice");
  await page.fill('input[name="password"]', "any password");
  await page.click('button[type="submit"]');
  await page.waitForLoadState();
  // The consent page appears once per grant.
  const consent = page.locator('button[type="submit"]');
  if (page.url().includes("/interaction/") && await consent.count() > 0) {
    await consent.first().click();
    await page.waitForLoadState();
  }
  // The callback's page comes once the CLI has exchanged the code: wait
  // for it (a browser that cannot reach the listener never gets there).
  const redirect = new URL(url).searchParams.get("redirect_uri");
  if (redirect) {
    await page.waitForURL((u) => u.href.startsWith(redirect), {
      timeout: 15_000,
      waitUntil: "load",
    }).catch(() => {});
  }
  return page;
}

/** What the person does on the provider's device pages. */
export interface DeviceApproveOptions extends ApproveOptions {
  /** The user code to type, when `url` does not carry it. */
  userCode?: string;
}

/**
 * Approves a device login: opens the verification page, enters the user code
 * when asked, confirms it (or aborts, with `cancel`), signs in and consents.
 */
export async function approveDevice(
  page: Page,
  url: string,
  options: DeviceApproveOptions = {},
): Promise<Page> {
  await page.goto(url);
  const codeInput = page.locator('input[name="user_code"]');
  if (await codeInput.count() > 0) {
    await codeInput.fill(options.userCode ?? "");
    await page.locator('button[type="submit"]').first().click();
    await page.waitForLoadState();
  }
  if (options.cancel) {
    await page.locator('button[name="abort"]').click();
    await page.waitForLoadState();
    return page;
  }
  await page.locator("button[autofocus]").click();
  await page.waitForLoadState();
  await page.fill('input[name="login"]', options.user ?? "alice");
  await page.fill('input[name="password"]', "any password");
  await page.click('button[type="submit"]');
  await page.waitForLoadState();
  const consent = page.locator('button[type="submit"]');
  if (page.url().includes("/interaction/") && await consent.count() > 0) {
    await consent.first().click();
    await page.waitForLoadState();
  }
  return page;
}

if (import.meta.main) {
  const url = Deno.args.find((a) => /^https?:/.test(a));
  if (!url) {
    console.error("usage: headless_browser.ts URL");
    Deno.exit(2);
  }
  const browser = await launchChromium();
  try {
    const page = await approveLogin(await browser.newPage(), url, {
      user: Deno.env.get("AUTHCTL_DEMO_USER") ?? "alice",
    });
    console.error(
      `[headless browser] ${await page.title()}: ${await page.locator("p")
        .first().textContent()}`,
    );
  } finally {
    await browser.close();
  }
}
