// The Renovate preset's custom managers, run over example and fixture platform
// repos with the semantics of Renovate's regex manager (lib/modules/manager/custom/regex):
// each pattern compiled with the `g` and `u` flags, the strategies `combination`
// (one dependency from the groups of every pattern's matches) and `recursive`
// (each pattern applied to the matches of the one before, groups carried down),
// templates rendered with Handlebars and Renovate's `replace` helper, and a
// dependency kept only when it has a name, a version and a datasource.
// bench/renovate-extract.ts checks the same preset with Renovate itself.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { projectRoot as root } from '../helpers/project-root.js';

const preset = JSON.parse(readFileSync(path.join(root, 'renovate/gitops-k8s.json'), 'utf8')) as {
  argocd: { fileMatch: string[] };
  customManagers: {
    customType: string;
    fileMatch: string[];
    matchStrings: string[];
    matchStringsStrategy?: 'any' | 'combination' | 'recursive';
    datasourceTemplate?: string;
    depNameTemplate?: string;
    packageNameTemplate?: string;
  }[];
};

const handlebars = Handlebars.create();
handlebars.registerHelper('replace', (find: string, replace: string, context: string) => (context ?? '').replace(new RegExp(find, 'g'), replace));

type Groups = Record<string, string>;
interface Dep {
  file: string;
  datasource: string;
  packageName: string;
  currentValue: string;
  registryUrl?: string;
}

const regEx = (pattern: string) => new RegExp(pattern, 'gu');
const groupsOf = (m: RegExpMatchArray): Groups => Object.fromEntries(Object.entries(m.groups ?? {}).filter((e): e is [string, string] => e[1] !== undefined));

function recurse(content: string, patterns: string[], carried: Groups): Groups[] {
  const [first, ...rest] = patterns;
  return [...content.matchAll(regEx(first!))].flatMap((m) => {
    const groups = { ...carried, ...groupsOf(m) };
    return rest.length === 0 ? [groups] : recurse(m[0], rest, groups);
  });
}

function extract(dir: string): Dep[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else files.push(path.relative(dir, abs).split(path.sep).join('/'));
    }
  };
  walk(dir);
  const deps: Dep[] = [];
  for (const manager of preset.customManagers) {
    for (const file of files.filter((f) => manager.fileMatch.some((p) => regEx(p).test(f))).sort()) {
      const content = readFileSync(path.join(dir, file), 'utf8');
      let found: Groups[];
      if (manager.matchStringsStrategy === 'combination') {
        const merged = Object.assign({}, ...manager.matchStrings.flatMap((p) => [...content.matchAll(regEx(p))].map(groupsOf))) as Groups;
        found = Object.keys(merged).length > 0 ? [merged] : [];
      } else if (manager.matchStringsStrategy === 'recursive') found = recurse(content, manager.matchStrings, {});
      else found = manager.matchStrings.flatMap((p) => [...content.matchAll(regEx(p))].map(groupsOf));
      for (const groups of found) {
        const datasource = groups.datasource ?? (manager.datasourceTemplate ? handlebars.compile(manager.datasourceTemplate)(groups) : '');
        const depName = manager.depNameTemplate ? handlebars.compile(manager.depNameTemplate)(groups) : (groups.depName ?? '');
        const packageName = manager.packageNameTemplate ? handlebars.compile(manager.packageNameTemplate)(groups) : (groups.packageName ?? depName);
        if (!depName.trim() || !packageName.trim() || !groups.currentValue?.trim() || !datasource) continue;
        deps.push({ file, datasource, packageName, currentValue: groups.currentValue, ...(groups.registryUrl ? { registryUrl: groups.registryUrl } : {}) });
      }
    }
  }
  return deps.sort((a, b) => a.file.localeCompare(b.file) || a.currentValue.localeCompare(b.currentValue));
}

t.test('the preset is a Renovate config whose patterns RE2 can run', async (t) => {
  t.equal(preset.customManagers.length, 4);
  for (const manager of preset.customManagers) {
    t.equal(manager.customType, 'regex');
    for (const pattern of [...manager.fileMatch, ...manager.matchStrings]) {
      // RE2 (what Renovate compiles these with) has no lookaround and no backreferences.
      t.notMatch(pattern, /\(\?<?[=!]|\\[1-9]|\\k</, `RE2-compatible: ${pattern}`);
      t.doesNotThrow(() => regEx(pattern));
    }
  }
  t.same(preset.argocd.fileMatch, preset.customManagers[0]!.fileMatch, 'full Application files under apps/ go to the built-in argocd manager');
});

t.test('every pinned chart and Git tag of examples/platform is extracted, and nothing else', async (t) => {
  const helm = (file: string, chart: string, version: string, registryUrl: string): Dep => ({
    file: `apps/${file}`,
    datasource: 'helm',
    packageName: chart,
    currentValue: version,
    registryUrl,
  });
  t.same(extract(path.join(root, 'examples/platform')), [
    { file: 'apps/argocd/argo-cd.yaml', datasource: 'git-tags', packageName: 'https://github.com/gitops-k8s/gitops-k8s.git', currentValue: 'v0.1.0' },
    helm('ingress/traefik.yaml', 'traefik', '39.0.9', 'https://traefik.github.io/charts'),
    helm('kube-system/aws-load-balancer-controller.yaml', 'aws-load-balancer-controller', '1.14.0', 'https://aws.github.io/eks-charts'),
    helm('kube-system/headlamp.yaml', 'headlamp', '0.43.0', 'https://kubernetes-sigs.github.io/headlamp/'),
    helm('kube-system/metrics-server.yaml', 'metrics-server', '3.13.1', 'https://kubernetes-sigs.github.io/metrics-server/'),
    helm('kube-system/metrics-server.yaml', 'metrics-server', '3.14.0', 'https://kubernetes-sigs.github.io/metrics-server/'),
    helm('observe/eck-operator.yaml', 'eck-operator', '3.2.0', 'https://helm.elastic.co'),
    helm('observe/fluent-bit.yaml', 'fluent-bit', '0.57.0', 'https://fluent.github.io/helm-charts'),
    helm('observe/kube-prometheus-stack.yaml', 'kube-prometheus-stack', '88.4.0', 'https://prometheus-community.github.io/helm-charts'),
    helm('observe/logging/app.yaml', 'eck-stack', '0.17.0', 'https://helm.elastic.co'),
  ]);
});

t.test('keys in any order, quotes, comments, OCI registries, overrides and Git tags; Helm values, branches and commits left alone', async (t) => {
  t.same(extract(path.join(root, 'test/fixtures/renovate-preset')), [
    { file: 'apps/data/db/app.yaml', datasource: 'helm', packageName: 'postgres', currentValue: '16.2.0', registryUrl: 'https://charts.example.com/stable' },
    { file: 'apps/web/cache.yaml', datasource: 'docker', packageName: 'ghcr.io/example/charts/valkey', currentValue: '1.0.3' },
    { file: 'apps/web/frontend.yaml', datasource: 'helm', packageName: 'frontend', currentValue: '2.4.1', registryUrl: 'https://charts.example.com/stable' },
    { file: 'apps/web/frontend.yaml', datasource: 'helm', packageName: 'frontend', currentValue: '2.4.2', registryUrl: 'https://charts.example.com/stable' },
    { file: 'apps/web/frontend.yaml', datasource: 'helm', packageName: 'frontend', currentValue: '2.5.0', registryUrl: 'https://charts.example.com/stable' },
    { file: 'apps/web/site.yaml', datasource: 'git-tags', packageName: 'git@github.com:example/site.git', currentValue: 'v1.4.0' },
  ]);
});
