/**
 * The few assertions the tests use (JSR's @std/assert is out of reach here;
 * node:assert is the npm-free substitute).
 */

import nodeAssert from "node:assert/strict";

/** Asserts a truthy value. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Asserts deep equality. */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts that `text` matches `pattern`. */
export function assertMatch(
  text: string,
  pattern: RegExp,
  message?: string,
): void {
  nodeAssert.match(text, pattern, message);
}

/** Asserts that `text` does not match `pattern`. */
export function assertNotMatch(
  text: string,
  pattern: RegExp,
  message?: string,
): void {
  nodeAssert.doesNotMatch(text, pattern, message);
}

/** Asserts that `fn` rejects with an error whose `code` (and message) match. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  expected: { code?: string; message?: RegExp },
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (expected.code !== undefined) {
      assertEquals(e.code, expected.code, e.message);
    }
    if (expected.message) assertMatch(e.message ?? "", expected.message);
    return;
  }
  throw new Error("expected a rejection, got none");
}

/** Asserts that `fn` throws an error whose `code` (and message) match. */
export function assertThrows(
  fn: () => unknown,
  expected: { code?: string; message?: RegExp },
): void {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (expected.code !== undefined) {
      assertEquals(e.code, expected.code, e.message);
    }
    if (expected.message) assertMatch(e.message ?? "", expected.message);
    return;
  }
  throw new Error("expected an exception, got none");
}
