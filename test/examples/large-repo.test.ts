import t from 'tap';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeLargeRepo, makeSeedChart } from '../../bench/make-large-repo.js';
import { objectsOf, openLocalRepo, renderPlatform, selectOutput } from '../../src/index.js';
import { crdProblemsAll } from '../helpers/crd.js';

t.test('the benchmark generator writes a valid repo with apps x clusters Applications', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gk-large-'));
  const repo = makeLargeRepo(path.join(dir, 'repo'), { apps: 45, clusters: 5, appsPerNamespace: 20 });
  t.equal(repo.applications, 225);
  t.same(repo.namespaces, ['team-000', 'team-001', 'team-002']);
  const platform = renderPlatform(openLocalRepo(repo.dir));
  t.equal(platform.apps.length, 225);
  t.same(crdProblemsAll(objectsOf(selectOutput(platform))), []);

  const values = (app: string, cluster: string): any =>
    (platform.apps.find((r) => r.app.name === app && r.cluster.name === cluster)!.application.spec.source as any).helm.valuesObject;
  t.equal(values('svc-0001', 'c02-gke').replicaCount, 3, 'overrides.providers');
  t.equal(values('svc-0001', 'c04-digitalocean').replicaCount, 1, 'overrides.clusters (the last cluster when fewer than 8)');
  t.equal(values('svc-0003', 'c01-eks').persistence.size, '20Gi', 'values.eks.yaml of a folder app');
  t.equal(values('svc-0003', 'c00-digitalocean').persistence.storageClass, 'do-block-storage');
  t.same(values('svc-0002', 'c01-eks').service.annotations['service.beta.kubernetes.io/aws-load-balancer-type'], 'external');

  const chart = makeSeedChart(path.join(dir, 'chart'), { apps: 45, clusters: 5, appsPerNamespace: 20 });
  t.equal(chart.applications, 225);
  t.equal(readdirSync(path.join(chart.dir, 'templates')).length, 45, 'one template per app');
});
