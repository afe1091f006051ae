import t from 'tap';
import { renderPlatform } from '../../src/core/render/render-platform.js';
import { openMemoryRepo } from '../../src/sources/repo-files.js';
import { crdProblemsAll } from '../helpers/crd.js';

const files: Record<string, string> = {
  'gitops.yaml': 'repoURL: https://git.example.com/platform.git\n',
  'clusters/prod.yaml': 'provider: kind\nserver: https://prod.example.com\n',
  'clusters/dev.yaml': 'provider: kind\nserver: https://dev.example.com\n',
  'apps/observe/grafana.yaml': 'repoURL: https://grafana.github.io/helm-charts\nchart: grafana\nversion: 8.5.0\n',
  // Lives in its own folder but runs under observe's AppProject.
  'apps/tracing/tempo.yaml': 'repoURL: https://charts.example.com/tempo\nchart: tempo\nversion: 1.10.0\nproject: observe\nclusters: [prod]\n',
};

t.test("an app naming another folder's project gets its destination, repo and namespace permitted there", async (t) => {
  const platform = renderPlatform(
    openMemoryRepo(
      'm',
      Object.entries(files).map(([path, text]) => ({ path, type: 'file' as const, content: Buffer.from(text) })),
    ),
  );
  const tempo = platform.apps.find((r) => r.app.name === 'tempo')!;
  t.equal(tempo.application.spec.project, 'observe');
  const observe = platform.projects.find((p) => p.metadata.name === 'observe')!;
  const spec = observe.spec as {
    sourceRepos: string[];
    destinations: { server?: string; namespace: string }[];
    clusterResourceWhitelist: { kind: string; name?: string }[];
  };
  t.ok(spec.sourceRepos.includes('https://charts.example.com/tempo'), 'its chart repo');
  t.same(
    spec.destinations.filter((d) => d.namespace === 'tracing'),
    [{ server: 'https://prod.example.com', namespace: 'tracing' }],
    'its destination, on its cluster only',
  );
  t.same(
    spec.clusterResourceWhitelist.filter((w) => w.kind === 'Namespace').map((w) => w.name),
    ['observe', 'tracing'],
    'CreateNamespace may make its namespace',
  );
  t.notOk(
    platform.projects.some((p) => p.metadata.name === 'tracing'),
    'no AppProject for a folder none of whose apps use it',
  );
  t.same(crdProblemsAll([...platform.projects, ...platform.apps.map((r) => r.application)]), []);
});
