import type { RenderedApp } from '../../src/index.js';

/** Render's Applications in the generator's reply order: cluster by cluster (by name), each cluster's by Application name. */
export function inReplyOrder(apps: readonly RenderedApp[]): RenderedApp[] {
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...apps].sort((a, b) => byName(a.cluster.name, b.cluster.name) || byName(a.application.metadata.name, b.application.metadata.name));
}
