import type { CellState, RolloutStatus, StatusCell, StatusMatrix } from './status-matrix.js';

function cellText(cell: StatusCell | undefined): string {
  if (!cell) return '-';
  if (cell.state === 'planned') return 'deploy';
  if (cell.sync || cell.health) {
    const text = `${cell.sync || '?'}/${cell.health || '?'}`;
    return cell.state === 'error' ? `${text} !` : text;
  }
  return cell.state;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** A header line saying where sync and health come from. */
export function describeArgo(matrix: StatusMatrix): string {
  switch (matrix.argocd.state) {
    case 'off':
      return 'Argo CD: not configured (set ARGOCD_SERVER and ARGOCD_AUTH_TOKEN); showing what would be deployed where';
    case 'ok':
      return `Argo CD: ${matrix.argocd.server}`;
    case 'error':
      return `Argo CD: ${matrix.argocd.server}: ${matrix.argocd.error}`;
  }
}

/** One line per rollout step: its clusters and how many of its Applications are Synced and Healthy. */
export function describeRollout(rollout: RolloutStatus): string[] {
  const head =
    rollout.current === undefined
      ? rollout.steps.every((s) => s.state === 'done')
        ? 'rollout: complete'
        : 'rollout: planned'
      : `rollout: step ${rollout.current} of ${rollout.steps.length} under way`;
  return [
    head,
    ...rollout.steps.map((s) => {
      const progress =
        s.state === 'planned' ? `${s.applications} Applications` : `${s.synced}/${s.applications} synced, ${s.healthy}/${s.applications} healthy`;
      return `  step ${s.step} (${s.clusters.join(', ')}): ${progress}, ${s.state}`;
    }),
  ];
}

/**
 * The matrix as a plain-text table: one row per app, one column per cluster,
 * `-` where the app does not run; then the problems, one per line.
 */
export function formatStatusTable(matrix: StatusMatrix): string {
  const header = ['APP', ...matrix.clusters.map((c) => `${c.name} (${c.provider})`)];
  const body = matrix.rows.map((r) => [`${r.namespace}/${r.app}`, ...matrix.clusters.map((c) => cellText(r.cells[c.name]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const lines = [describeArgo(matrix), ''];
  for (const row of [header, ...body])
    lines.push(
      row
        .map((t, i) => pad(t, widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  if (matrix.rollout) lines.push('', ...describeRollout(matrix.rollout));
  const counted = (Object.entries(matrix.counts) as [CellState, number][]).filter(([, n]) => n > 0);
  lines.push('', counted.map(([s, n]) => `${n} ${s}`).join(', ') || 'no Applications');
  const problems = matrix.rows.flatMap((r) =>
    Object.values(r.cells)
      .filter((c) => c.state === 'error' || c.state === 'drift' || c.state === 'missing')
      .map((c) => `${c.state}: ${c.application}: ${c.message ?? ''}`.trimEnd()),
  );
  for (const o of matrix.orphans) problems.push(`orphan: ${o.name}: in Argo CD but no longer generated from Git`);
  if (problems.length > 0) lines.push('', ...problems);
  return `${lines.join('\n')}\n`;
}
