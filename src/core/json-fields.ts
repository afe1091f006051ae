/**
 * Reading fields of JSON from outside (webhook payloads, API replies) without
 * trusting its shape: a wrong type reads as absent, never as a crash.
 */

/** A string, or undefined for anything else. */
export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A string that is not empty, or undefined: webhook payloads send `""` for "none". */
export function nonEmptyStringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A map, or an empty one for anything else (null, lists, scalars). */
export function mapOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
