/**
 * The ApplicationSet of a platform repo (`render --only applicationset`): the
 * plugin generator answers with one parameter set per Application, and with
 * `rollout` in gitops.yaml a RollingSync strategy orders them. Sync waves do
 * nothing among the Applications an ApplicationSet makes (they are not
 * resources of one parent Application): RollingSync steps are the only order
 * there, so each (rollout step, dependency wave) becomes one step.
 */
import { FINALIZER, MANAGED_BY, MANAGER } from '../argo-labels.js';
import type { PlatformRepo } from '../model.js';
import { ROLLOUT_STEP_LABEL, ROLLOUT_WAVE_LABEL, type RolloutPlanStep } from './rollout.js';

/** The ConfigMap the install's sidecar component registers the plugin generator under. */
export const PLUGIN_CONFIG_MAP = 'argocd-applicationset-plugin-gitops-k8s';
export const APPLICATIONSET_NAME = 'gitops-k8s-platform';

/**
 * Printed above the ApplicationSet: the shipped manifests/install/applicationset.yaml
 * is this output, comments included.
 */
export const APPLICATIONSET_HEADER = `# The platform through the ApplicationSet plugin generator: one Application
# per (app, cluster), built from the generator's parameters. Made by
# \`gitops-k8s render --only applicationset\`; render again after changing
# rollout in gitops.yaml, or the dependsOn order of apps.
# Use this or root-application.yaml for a platform, not both (they would
# fight over the same Applications). The generator returns Applications only:
# apply projects-application.yaml with it, which makes their AppProjects
# (README "Install").
#   kubectl apply -f manifests/install/projects-application.yaml -f manifests/install/applicationset.yaml
# The template holds what the CRD requires; templatePatch replaces it with the
# full Application the generator computed (the same as \`gitops-k8s render\`).
# A Git webhook refreshes plugin ApplicationSets at once; requeueAfterSeconds
# is the fallback poll. Deleting the ApplicationSet leaves the workloads
# running (preserveResourcesOnDeletion).
# With rollout.steps, strategy RollingSync syncs one step at a time (Argo CD
# must run with progressive syncs enabled; README "Rollout steps").
`;

// Go template: `toJson` keeps every value's type (README "ApplicationSet plugin generator").
const TEMPLATE_PATCH = `metadata:
  labels: {{ toJson .labels }}
  annotations: {{ toJson .annotations }}
  finalizers:
    - ${FINALIZER}
spec: {{ toJson .spec }}
`;

/** Where the generator reads the platform repo. */
export interface ApplicationSetSource {
  repoURL: string;
  revision: string;
  /** The platform repo's folder in its Git repository ('.' for the root). */
  path: string;
}

/**
 * RollingSync steps for a rollout plan: one per (rollout step, dependency
 * wave), in order, selecting by the labels every Application carries;
 * `maxUpdate` is the rollout step's.
 */
export function rollingSyncSteps(plan: readonly RolloutPlanStep[]): Record<string, unknown>[] {
  return plan.flatMap((step) =>
    step.dependencyWaves.map((_, i) => ({
      matchExpressions: [
        { key: ROLLOUT_STEP_LABEL, operator: 'In', values: [String(step.step)] },
        { key: ROLLOUT_WAVE_LABEL, operator: 'In', values: [String(i + 1)] },
      ],
      ...(step.maxUpdate === undefined ? {} : { maxUpdate: step.maxUpdate }),
    })),
  );
}

/** The ApplicationSet that makes a platform repo's Applications through the plugin generator. */
export function buildApplicationSet(repo: PlatformRepo, plan: readonly RolloutPlanStep[], source: ApplicationSetSource): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    goTemplate: true,
    goTemplateOptions: ['missingkey=error'],
    generators: [
      {
        plugin: {
          configMapRef: { name: PLUGIN_CONFIG_MAP },
          input: { parameters: { repoURL: source.repoURL, revision: source.revision, path: source.path } },
          requeueAfterSeconds: 180,
        },
      },
    ],
    syncPolicy: { preserveResourcesOnDeletion: true },
  };
  if (repo.settings.rollout) spec.strategy = { type: 'RollingSync', rollingSync: { steps: rollingSyncSteps(plan) } };
  spec.template = { metadata: { name: '{{ .name }}' }, spec: { project: '{{ .project }}', destination: {} } };
  spec.templatePatch = TEMPLATE_PATCH;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: APPLICATIONSET_NAME, namespace: repo.settings.argocdNamespace, labels: { [MANAGED_BY]: MANAGER } },
    spec,
  };
}
