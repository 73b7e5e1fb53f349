/**
 * Assertions for programmer errors on the hot state (ring indices, pool counts). They stay on in
 * production: a broken invariant must crash loudly, never be handled as if it were bad input.
 */
export class AssertionFailure extends Error {
  override readonly name = "AssertionFailure";
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}
