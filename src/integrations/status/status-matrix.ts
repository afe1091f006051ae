import type { Dispatcher } from 'undici';
import { argoAppURL, listArgoApplications, type ArgoAppStatus, type ArgoSettings } from '../argocd/argocd-client.js';
import { isGitopsError } from '../../core/errors.js';
import type { RenderedPlatform } from '../../core/render/render-platform.js';
import { rolloutStepOf } from '../../core/render/rollout.js';

/**
 * The state of one app on one cluster:
 * - `planned`: generated; Argo CD is not configured, so nothing more is known;
 * - `ok`: Synced and Healthy;
 * - `progressing`: syncing, or Progressing/Suspended health;
 * - `drift`: OutOfSync, or resources Missing, in Argo CD;
 * - `error`: Degraded, a failed operation or an error condition;
 * - `missing`: generated from Git but absent from Argo CD;
 * - `unknown`: Argo CD has not compared it yet.
 */
export type CellState = 'planned' | 'ok' | 'progressing' | 'drift' | 'error' | 'missing' | 'unknown';
const cellStates: readonly CellState[] = ['ok', 'progressing', 'drift', 'error', 'missing', 'unknown', 'planned'];

/** One app on one cluster. */
export interface StatusCell {
  /** The generated Application's name. */
  application: string;
  state: CellState;
  sync?: string;
  health?: string;
  /** Why it is in error or drifting (Argo CD's condition, health or operation message). */
  message?: string;
  /** The Application's page in the Argo CD UI. */
  url?: string;
}

/** One app (a file or folder under `apps/<namespace>/`) across the clusters it runs on. */
export interface StatusRow {
  namespace: string;
  app: string;
  /** The definition file, repo-relative. */
  source: string;
  /** By cluster name; clusters the app does not target have no cell. */
  cells: Record<string, StatusCell>;
}

export interface StatusCluster {
  name: string;
  provider: string;
  labels: Record<string, string>;
}

/** Whether Argo CD was asked, and what it said. */
export type ArgoState = { state: 'off' } | { state: 'ok'; server: string } | { state: 'error'; server: string; error: string };

/** One rollout step (gitops.yaml `rollout.steps`): its clusters and how far its Applications are. */
export interface RolloutStepStatus {
  step: number;
  clusters: string[];
  applications: number;
  /** Applications Argo CD reports Synced. */
  synced: number;
  /** Applications Argo CD reports Healthy. */
  healthy: number;
  /** done: every Application Synced and Healthy; active: the first step that is not; waiting: after it; planned: Argo CD not asked. */
  state: 'done' | 'active' | 'waiting' | 'planned';
}

/** Rollout progress: every step, and the one under way (none when all are done or Argo CD was not asked). */
export interface RolloutStatus {
  steps: RolloutStepStatus[];
  current?: number;
}

/** The app x cluster matrix of a platform repo, joined with Argo CD. */
export interface StatusMatrix {
  clusters: StatusCluster[];
  rows: StatusRow[];
  /** Applications labelled as gitops-k8s's in Argo CD that the repo no longer generates. */
  orphans: (ArgoAppStatus & { url?: string })[];
  argocd: ArgoState;
  counts: Record<CellState, number>;
  /** With `rollout` in gitops.yaml. */
  rollout?: RolloutStatus;
}

/** What Argo CD said, if it was asked. */
export type ArgoInput = { server: string; apps: readonly ArgoAppStatus[] } | { server: string; error: string } | undefined;

const ERROR_CONDITION = /Error$/;

/** Classifies an Argo CD Application's sync and health for the matrix. */
export function classifyArgoApp(app: ArgoAppStatus): { state: CellState; message?: string } {
  const errorCondition = app.conditions.find((c) => ERROR_CONDITION.test(c.type));
  if (errorCondition) return { state: 'error', message: `${errorCondition.type}: ${errorCondition.message}` };
  if (app.health === 'Degraded') return { state: 'error', message: app.healthMessage || 'health is Degraded' };
  if (app.operationPhase === 'Failed' || app.operationPhase === 'Error') {
    return { state: 'error', message: app.operationMessage || `last sync ${app.operationPhase}` };
  }
  if (app.operationPhase === 'Running' || app.health === 'Progressing' || app.health === 'Suspended') {
    return { state: 'progressing', ...(app.healthMessage ? { message: app.healthMessage } : {}) };
  }
  if (app.sync === 'OutOfSync') return { state: 'drift', message: 'OutOfSync: the cluster differs from Git' };
  if (app.health === 'Missing') return { state: 'drift', message: 'resources are missing from the cluster' };
  if (app.sync === 'Synced' && app.health === 'Healthy') return { state: 'ok' };
  return { state: 'unknown' };
}

/**
 * Builds the matrix: every generated Application is a cell of its app's row
 * under its cluster; with Argo CD, each cell carries that Application's sync
 * and health, and Applications Argo CD has but the repo no longer generates
 * are listed as orphans.
 */
export function buildStatusMatrix(platform: Pick<RenderedPlatform, 'apps' | 'repo'>, argo?: ArgoInput): StatusMatrix {
  const argocdNamespace = platform.repo.settings.argocdNamespace;
  const byKey = new Map<string, ArgoAppStatus>();
  if (argo && 'apps' in argo) for (const a of argo.apps) byKey.set(`${a.namespace || argocdNamespace}/${a.name}`, a);
  const seen = new Set<string>();
  const counts = Object.fromEntries(cellStates.map((s) => [s, 0])) as Record<CellState, number>;
  const rows = new Map<string, StatusRow>();

  for (const r of platform.apps) {
    const key = `${r.namespace.name}/${r.app.name}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { namespace: r.namespace.name, app: r.app.name, source: r.app.source, cells: {} }));
    const name = r.application.metadata.name;
    const ns = r.application.metadata.namespace;
    const cell: StatusCell = { application: name, state: 'planned' };
    if (argo) {
      const found = byKey.get(`${ns}/${name}`);
      cell.url = argoAppURL(argo.server, ns, name);
      if ('error' in argo) cell.state = 'unknown';
      else if (!found) {
        cell.state = 'missing';
        cell.message = 'not in Argo CD: the ApplicationSet or app of apps has not created it (yet)';
      } else {
        seen.add(`${ns}/${name}`);
        const { state, message } = classifyArgoApp(found);
        Object.assign(cell, { state, sync: found.sync || undefined, health: found.health || undefined, ...(message ? { message } : {}) });
      }
    }
    counts[cell.state]++;
    row.cells[r.cluster.name] = cell;
  }

  const orphans =
    argo && 'apps' in argo
      ? argo.apps
          .filter((a) => !seen.has(`${a.namespace || argocdNamespace}/${a.name}`))
          .map((a) => ({ ...a, url: argoAppURL(argo.server, a.namespace || argocdNamespace, a.name) }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : [];
  const clusters = platform.repo.clusters.map((c) => ({ name: c.name, provider: c.provider, labels: c.labels }));
  const rollout = platform.repo.settings.rollout ? rolloutStatusOf(platform, rows, argo !== undefined && 'apps' in argo) : undefined;
  return {
    ...(rollout ? { rollout } : {}),
    clusters,
    rows: [...rows.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.app.localeCompare(b.app)),
    orphans,
    argocd: !argo ? { state: 'off' } : 'error' in argo ? { state: 'error', server: argo.server, error: argo.error } : { state: 'ok', server: argo.server },
    counts,
  };
}

/**
 * Per rollout step, how many Applications Argo CD reports Synced and Healthy;
 * the step under way is the first one not wholly both (RollingSync and the
 * waves both wait for a step before the next).
 */
function rolloutStatusOf(platform: Pick<RenderedPlatform, 'apps' | 'repo'>, rows: Map<string, StatusRow>, asked: boolean): RolloutStatus {
  const rolloutSteps = platform.repo.settings.rollout?.steps ?? [];
  const steps: RolloutStepStatus[] = rolloutSteps.map((_, i) => ({ step: i + 1, clusters: [], applications: 0, synced: 0, healthy: 0, state: 'planned' }));
  for (const cluster of platform.repo.clusters) {
    const n = rolloutStepOf(rolloutSteps, cluster);
    if (n !== undefined) steps[n - 1]!.clusters.push(cluster.name);
  }
  for (const r of platform.apps) {
    const placement = r.rollout;
    if (!placement) continue;
    const step = steps[placement.step - 1]!;
    const cell = rows.get(`${r.namespace.name}/${r.app.name}`)?.cells[r.cluster.name];
    step.applications++;
    if (cell?.sync === 'Synced') step.synced++;
    if (cell?.health === 'Healthy') step.healthy++;
  }
  let current: number | undefined;
  for (const step of steps) {
    if (!asked) break;
    const done = step.synced === step.applications && step.healthy === step.applications;
    if (current !== undefined) step.state = 'waiting';
    else if (done) step.state = 'done';
    else {
      step.state = 'active';
      current = step.step;
    }
  }
  return current === undefined ? { steps } : { steps, current };
}

/**
 * Asks Argo CD (when configured) and builds the matrix. An Argo CD failure
 * does not fail the status: the matrix shows what Git says, and why Argo CD's
 * side is missing.
 */
export async function collectStatus(
  platform: Pick<RenderedPlatform, 'apps' | 'repo'>,
  argo: { settings?: ArgoSettings; dispatcher?: Dispatcher; timeoutMs?: number } = {},
): Promise<StatusMatrix> {
  if (!argo.settings) return buildStatusMatrix(platform);
  const { server } = argo.settings;
  try {
    const apps = await listArgoApplications(argo.settings, { dispatcher: argo.dispatcher, timeoutMs: argo.timeoutMs });
    return buildStatusMatrix(platform, { server, apps });
  } catch (error) {
    if (!isGitopsError(error)) throw error;
    return buildStatusMatrix(platform, { server, error: error.message });
  }
}
