import t from 'tap';
import { readCmpEnvironment } from '../../src/cmp/cmp-environment.js';
import { GitopsError } from '../../src/core/errors.js';

const usage = (env: NodeJS.ProcessEnv): string => {
  try {
    readCmpEnvironment(env);
  } catch (error) {
    if (error instanceof GitopsError && error.code === 'GK_USAGE') return error.message;
    throw error;
  }
  throw new Error('expected a usage error');
};

t.test('the CMP environment gives the source, the namespace and the filters', async (t) => {
  t.same(
    readCmpEnvironment({
      ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example.com/p.git',
      ARGOCD_APP_SOURCE_TARGET_REVISION: 'main',
      ARGOCD_APP_SOURCE_PATH: './platform/',
      ARGOCD_APP_NAMESPACE: 'gitops',
      ARGOCD_ENV_CLUSTER: 'a, b',
      ARGOCD_ENV_NAMESPACE: 'web',
      ARGOCD_APP_PARAMETERS: JSON.stringify([
        { name: 'clusters', array: ['c', 'a'] },
        { name: 'namespaces', string: 'ops,web' },
      ]),
    }),
    {
      repoURL: 'https://git.example.com/p.git',
      targetRevision: 'main',
      argocdNamespace: 'gitops',
      pathPrefix: 'platform',
      filters: { clusters: ['a', 'b', 'c'], namespaces: ['web', 'ops'] },
      output: 'all',
    },
  );
  const bare = readCmpEnvironment({ ARGOCD_APP_PARAMETERS: 'null', ARGOCD_APP_SOURCE_PATH: '.' });
  t.same(bare.filters, { clusters: undefined, namespaces: undefined }, 'null parameters and no env: everything');
  t.equal(bare.pathPrefix, '.', 'the repository root is said explicitly, so that it wins over gitops.yaml path');
  t.equal(readCmpEnvironment({}).pathPrefix, undefined, 'without ARGOCD_APP_SOURCE_PATH nothing is said');
  t.same(
    readCmpEnvironment({ ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'clusters', string: '' }]) }).filters.clusters,
    undefined,
    'an empty parameter narrows nothing',
  );
});

t.test('unknown parameters, unknown plugin env and malformed parameters are usage errors', async (t) => {
  t.match(usage({ ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'clusterz', array: ['a'] }]) }), 'unknown plugin parameter "clusterz"');
  t.match(usage({ ARGOCD_ENV_CLUSTRE: 'a' }), 'unknown plugin env "CLUSTRE"');
  t.match(usage({ ARGOCD_APP_PARAMETERS: '{' }), 'not JSON');
  t.match(usage({ ARGOCD_APP_PARAMETERS: '{}' }), 'JSON list');
  t.match(usage({ ARGOCD_APP_PARAMETERS: '[null]' }), 'each parameter');
  t.match(usage({ ARGOCD_APP_PARAMETERS: '[{"name":"clusters","map":{"a":"b"}}]' }), 'not a map');
  t.throws(() => readCmpEnvironment({ ARGOCD_APP_SOURCE_PATH: '../elsewhere' }), { code: 'GK_PATH_ESCAPE' });
});

t.test('the output selector comes from ARGOCD_ENV_OUTPUT or the output parameter, defaults to all and refuses anything else', async (t) => {
  const param = (value: unknown): string => JSON.stringify([{ name: 'output', ...(value as object) }]);
  t.equal(readCmpEnvironment({}).output, 'all');
  t.equal(readCmpEnvironment({ ARGOCD_ENV_OUTPUT: '' }).output, 'all', 'an empty env is an unset one');
  t.equal(readCmpEnvironment({ ARGOCD_ENV_OUTPUT: 'projects' }).output, 'projects');
  t.equal(readCmpEnvironment({ ARGOCD_ENV_OUTPUT: 'applications' }).output, 'applications');
  t.equal(readCmpEnvironment({ ARGOCD_APP_PARAMETERS: param({ string: 'projects' }) }).output, 'projects');
  t.equal(readCmpEnvironment({ ARGOCD_APP_PARAMETERS: param({ string: 'all' }), ARGOCD_ENV_OUTPUT: 'all' }).output, 'all', 'the same value twice is fine');
  t.match(usage({ ARGOCD_ENV_OUTPUT: 'project' }), /must be one of all, projects, applications \(got "project"\)/);
  t.match(usage({ ARGOCD_ENV_OUTPUT: 'Projects' }), 'got "Projects"');
  t.match(usage({ ARGOCD_APP_PARAMETERS: param({ string: 'apps' }) }), 'got "apps"');
  t.match(usage({ ARGOCD_APP_PARAMETERS: param({ array: ['projects'] }) }), 'takes one string');
  t.match(usage({ ARGOCD_APP_PARAMETERS: param({ string: 'projects' }), ARGOCD_ENV_OUTPUT: 'applications' }), 'set it once');
});
