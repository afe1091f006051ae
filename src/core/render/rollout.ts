/**
 * Rollout steps (`rollout.steps` of gitops.yaml): which step each cluster
 * belongs to, and the sync waves and labels that order Applications by step
 * first, then by their dependency wave within the step.
 */
import type { Problem } from '../errors.js';
import type { AppKeys, Cluster, PlatformRepo, RolloutStep, Settings } from '../model.js';
import type { YamlFile } from '../yaml/parse-yaml.js';
import { LABEL_PREFIX, SYNC_WAVE } from '../argo-labels.js';
import { selectsCluster, type RenderedApp } from './render-applications.js';

const ADD_TO_A_STEP = 'add them to a step, or end with a step without clusters: (it takes every cluster not in an earlier step)';

export const ROLLOUT_STEP_LABEL = `${LABEL_PREFIX}rollout-step`;
/** The 1-based rank of an Application's dependency wave among those of its step: what RollingSync selects by. */
export const ROLLOUT_WAVE_LABEL = `${LABEL_PREFIX}rollout-wave`;

/** Where an Application sits in the rollout, and how its sync wave was made. */
export interface RolloutPlacement {
  /** 1-based index into `rollout.steps`. */
  step: number;
  /** The wave `syncWave` and `dependsOn` give it (what it would have without a rollout). */
  dependencyWave: number;
  /** 1-based rank of `dependencyWave` among the distinct dependency waves of its step. */
  rank: number;
  /** The first sync wave of its step. */
  stepStart: number;
  /** The sync wave it gets: `stepStart + rank - 1`. */
  syncWave: number;
}

/** One step of the plan: its dependency waves in order and the sync wave each gets. */
export interface RolloutPlanStep {
  step: number;
  maxUpdate?: number | string;
  dependencyWaves: number[];
  stepStart: number;
}

/** The 1-based step of a cluster: the first step whose selector selects it (a step without `clusters` selects all). */
export function rolloutStepOf(steps: readonly RolloutStep[], cluster: Cluster): number | undefined {
  const index = steps.findIndex((step) => selectsCluster(step.clusters, cluster));
  return index === -1 ? undefined : index + 1;
}

/**
 * Checks `rollout.steps`: names in each selector (through `checkNames`),
 * every cluster in some step, and every step with a cluster of its own. A
 * cluster left out would never be synced by RollingSync: an error, not a
 * silent skip; a last step without `clusters` takes the rest.
 */
export function checkRollout(
  rollout: NonNullable<Settings['rollout']>,
  yaml: YamlFile,
  clusters: readonly Cluster[],
  checkNames: (selector: AppKeys['clusters'], at: (string | number)[]) => void,
  problems: Problem[],
): void {
  const before = problems.length;
  rollout.steps.forEach((step, i) => {
    checkNames(step.clusters, ['rollout', 'steps', i, 'clusters']);
  });
  // Unknown names already explain why a step selects nothing.
  if (problems.length > before) return;
  const members = rollout.steps.map(() => [] as string[]);
  const missing: string[] = [];
  for (const cluster of clusters) {
    const step = rolloutStepOf(rollout.steps, cluster);
    if (step === undefined) missing.push(cluster.name);
    else members[step - 1]!.push(cluster.name);
  }
  if (missing.length > 0) {
    problems.push({
      code: 'GK_INVALID_VALUE',
      file: yaml.file,
      line: yaml.lineOf(['rollout', 'steps']),
      field: 'rollout.steps',
      message: `no step selects ${missing.length === 1 ? 'cluster' : 'clusters'} ${missing.join(', ')}; ${ADD_TO_A_STEP}`,
    });
  }
  members.forEach((names, i) => {
    if (names.length > 0) return;
    problems.push({
      code: 'GK_INVALID_VALUE',
      file: yaml.file,
      line: yaml.lineOf(['rollout', 'steps', i]),
      field: `rollout.steps[${i}]`,
      message: `step ${i + 1} selects no cluster (a cluster belongs to the first step that selects it); remove the step or change its clusters`,
    });
  });
}

/** The sync wave `syncWave` and `dependsOn` gave an Application (0 when it has none). */
function dependencyWaveOf(rendered: RenderedApp): number {
  const text = rendered.application.metadata.annotations[SYNC_WAVE];
  return text === undefined ? 0 : Number(text);
}

/**
 * The rollout plan of every Application of a repo: per step, the distinct
 * dependency waves of its Applications and the sync wave the step starts
 * at. Steps follow each other: every wave of step n+1 is later than every
 * wave of step n.
 */
export function planRollout(repo: PlatformRepo, apps: readonly RenderedApp[]): RolloutPlanStep[] {
  const steps = repo.settings.rollout?.steps ?? [];
  const stepOf = new Map(repo.clusters.map((c) => [c.name, rolloutStepOf(steps, c)]));
  const waves = steps.map(() => new Set<number>());
  for (const rendered of apps) {
    const step = stepOf.get(rendered.cluster.name);
    if (step !== undefined) waves[step - 1]!.add(dependencyWaveOf(rendered));
  }
  let start = 0;
  return steps.map((step, i) => {
    const dependencyWaves = [...waves[i]!].sort((a, b) => a - b);
    const planned: RolloutPlanStep = { step: i + 1, ...(step.maxUpdate === undefined ? {} : { maxUpdate: step.maxUpdate }), dependencyWaves, stepStart: start };
    start += dependencyWaves.length;
    return planned;
  });
}

function sorted(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key]!;
  return out;
}

/**
 * Gives each Application its rollout step label, its wave-rank label and the
 * sync wave of the plan (made from all of `plan`'s Applications, so that a
 * subset rendered for `explain` gets the waves the whole render gives).
 * Without `rollout` in gitops.yaml nothing changes.
 */
export function applyRollout(repo: PlatformRepo, apps: RenderedApp[], plan: readonly RolloutPlanStep[]): void {
  const steps = repo.settings.rollout?.steps;
  if (!steps) return;
  for (const rendered of apps) {
    const step = rolloutStepOf(steps, rendered.cluster);
    // The loader rejects a repo with a cluster in no step.
    if (step === undefined) continue;
    const planned = plan[step - 1]!;
    const dependencyWave = dependencyWaveOf(rendered);
    const rank = planned.dependencyWaves.indexOf(dependencyWave) + 1;
    const placement: RolloutPlacement = { step, dependencyWave, rank, stepStart: planned.stepStart, syncWave: planned.stepStart + rank - 1 };
    const metadata = rendered.application.metadata;
    metadata.labels = sorted({ ...metadata.labels, [ROLLOUT_STEP_LABEL]: String(step), [ROLLOUT_WAVE_LABEL]: String(rank) });
    metadata.annotations = sorted({ ...metadata.annotations, [SYNC_WAVE]: String(placement.syncWave) });
    rendered.rollout = placement;
  }
}
