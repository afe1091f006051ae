import { createHash } from 'node:crypto';

const MAX = 63;
const dnsLabel = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * A DNS-1123 label from any string: lower case, runs of other characters
 * become one `-`, no `-` at either end. Past 63 characters it is cut and
 * given a hash of the whole name, so that it stays unique and stable.
 */
export function toDnsLabel(raw: string): string {
  // Most names are made of labels already: nothing to change.
  if (raw.length <= MAX && dnsLabel.test(raw)) return raw;
  const clean = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
  if (clean.length <= MAX) return clean;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${clean.slice(0, MAX - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
