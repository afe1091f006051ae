/**
 * The label, annotation and finalizer names on what gitops-k8s generates, in
 * one place: the render writes them, and import, explain, install, the
 * manifest checks and the Argo CD client read them back.
 */

/** Carries {@link MANAGER} on every Application, AppProject and ApplicationSet gitops-k8s generates. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGER = 'gitops-k8s';
/** Of gitops-k8s's own labels and annotations (`gitops-k8s.io/app`, `gitops-k8s.io/source`, …). */
export const LABEL_PREFIX = 'gitops-k8s.io/';
/** Makes Argo CD delete an Application's resources with it. */
export const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
