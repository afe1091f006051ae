import type { RenderedApp } from '../../src/index.js';

/**
 * Render's Applications in the generator's reply order: clusters by name, in
 * each the namespace folders by name, in each the Applications by name.
 */
export function inReplyOrder(apps: readonly RenderedApp[]): RenderedApp[] {
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...apps].sort(
    (a, b) =>
      byName(a.cluster.name, b.cluster.name) || byName(a.namespace.name, b.namespace.name) || byName(a.application.metadata.name, b.application.metadata.name),
  );
}
