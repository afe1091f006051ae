/**
 * Loads a module of dist/src/ that the CLI bundle leaves out (serve, diff,
 * status, bootstrap), by a path relative to this folder.
 *
 * Why not a plain `import()` at the call site: the bundle runs through
 * `vm.Script` so that it can start from a V8 code cache (src/gitops-k8s.cts),
 * and Node 20 gives such a script no dynamic-import callback unless it is
 * compiled with `importModuleDynamically`, which a code cache then refuses
 * (nodejs/node#43663) and which prints an ExperimentalWarning. The bundle
 * build (scripts/bundle-cli.mjs) swaps this module for one that calls the
 * launcher's loader instead.
 */
export function importCommand<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
