import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CMP_PARAMETERS, readCmpEnvironment } from '../../src/cmp/cmp-environment.js';
import { projectRoot } from './kustomize-build.js';

const plugin = parse(readFileSync(path.join(projectRoot, 'plugin', 'plugin.yaml'), 'utf8'));

t.test('plugin.yaml is a CMP v2 ConfigManagementPlugin named gitops-k8s that runs gitops-k8s generate', (t) => {
  t.equal(plugin.apiVersion, 'argoproj.io/v1alpha1');
  t.equal(plugin.kind, 'ConfigManagementPlugin');
  t.equal(plugin.metadata.name, 'gitops-k8s');
  t.notOk(plugin.spec.version, 'no version: Applications name the plugin plain gitops-k8s');
  t.same(plugin.spec.generate.command, ['gitops-k8s', 'generate']);
  t.notOk(plugin.spec.generate.args, 'nothing else on the command line');
  t.notOk(plugin.spec.init, 'no init step: nothing to prepare');
  t.end();
});

t.test('plugin.yaml has no discover block, so Applications must name the plugin', (t) => {
  t.notOk('discover' in plugin.spec);
  t.end();
});

t.test('plugin.yaml announces exactly the parameters generate accepts: the filters as arrays, output as a string defaulting to all', (t) => {
  const announced = plugin.spec.parameters.static as { name: string; collectionType?: string; itemType?: string; string?: string }[];
  t.same(announced.map((p) => p.name).sort(), [...CMP_PARAMETERS].sort());
  for (const p of announced) {
    t.equal(p.collectionType, p.name === 'output' ? 'string' : 'array', `${p.name} collection type`);
    t.equal(p.itemType, 'string', `${p.name} holds strings`);
  }
  const output = announced.find((p) => p.name === 'output')!;
  t.equal(output.string, 'all', 'the default Argo CD shows is the default generate uses');
  t.equal(readCmpEnvironment({}).output, output.string);
  t.notOk(plugin.spec.parameters.dynamic, 'no dynamic parameters');
  t.end();
});

t.test('every announced parameter is read by readCmpEnvironment in the shape Argo CD sends it', (t) => {
  const announced = (plugin.spec.parameters.static as { name: string; collectionType: string }[]).map((p) =>
    p.collectionType === 'string' ? { name: p.name, string: 'projects' } : { name: p.name, array: ['x', 'y'] },
  );
  const settings = readCmpEnvironment({ ARGOCD_APP_PARAMETERS: JSON.stringify(announced) });
  t.same(settings.filters.clusters, ['x', 'y']);
  t.same(settings.filters.namespaces, ['x', 'y']);
  t.equal(settings.output, 'projects');
  t.throws(() => readCmpEnvironment({ ARGOCD_APP_PARAMETERS: JSON.stringify([{ name: 'not-announced', array: ['x'] }]) }), /unknown plugin parameter/);
  t.end();
});
