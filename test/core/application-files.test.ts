import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { Ajv, type ValidateFunction } from 'ajv';
import { APPLICATION_CRD_FILE, applicationSchemaFromCrd } from '../../src/core/schema/application-schema.js';
import { formatProblem } from '../../src/core/errors.js';
import { explainApp } from '../../src/core/explain/explain.js';
import { loadPlatformRepo } from '../../src/core/load/load-platform-repo.js';
import { openLocalRepo } from '../../src/sources/repo-files.js';
import { ajvOptions } from '../../src/core/schema/schemas.js';
import { crdProblemsAll } from '../helpers/crd.js';
import { applicationsByName, fixture, lintProblems, problemAt, projectRoot, renderFixture } from '../fixtures/core-support/support.js';

t.test('a full Application file is checked strictly against the Application CRD: every unknown key, with a suggestion', async (t) => {
  const problems = lintProblems('core-application-files-errors');
  const expect: [string, number, string][] = [
    ['metadata.labls', 4, 'labels'],
    ['spec.source.pth', 9, 'path'],
    ['spec.syncPolcy', 11, 'syncPolicy'],
  ];
  for (const [field, line, suggestion] of expect) {
    const p = problemAt(problems, 'apps/web/typos.yaml', field);
    t.equal(p.code, 'GK_UNKNOWN_KEY', field);
    t.equal(p.line, line, `${field} line`);
    t.equal(p.message, `unknown key (did you mean "${suggestion}"?)`);
  }
  t.equal(problems.filter((p) => p.file === 'apps/web/typos.yaml').length, 3, 'one problem per unknown key, in one error');
  t.equal(
    formatProblem(problemAt(problems, 'apps/web/typos.yaml', 'spec.source.pth')),
    'apps/web/typos.yaml:9: spec.source.pth: unknown key (did you mean "path"?)',
  );
});

t.test("a full Application whose destination namespace is not its folder's is an error saying where it belongs", async (t) => {
  const p = problemAt(lintProblems('core-application-files-errors'), 'apps/web/moved.yaml');
  t.equal(p.code, 'GK_INVALID_VALUE');
  t.equal(p.field, 'spec.destination.namespace');
  t.equal(p.line, 12);
  t.match(p.message, 'move it to apps/payments/');
});

t.test("a full Application naming a project nothing creates is an error; folders' projects, default and externalProjects are fine", async (t) => {
  const problems = lintProblems('core-application-files-errors');
  const p = problemAt(problems, 'apps/web/lost-project.yaml');
  t.equal(p.field, 'spec.project');
  t.equal(p.line, 6);
  t.match(p.message, 'AppProject "wbe" is made by nothing here (did you mean "web"?); known: default, shared-tools, tools, web');
  t.match(p.message, 'externalProjects of gitops.yaml');
  t.notOk(
    problems.some((q) => q.file === 'apps/web/external-project.yaml'),
    "a project of externalProjects, with the folder's namespace",
  );
  t.notOk(
    problems.some((q) => q.file === 'apps/web/tools-project.yaml'),
    'the project of another folder',
  );
});

t.test('a template error in a layered part of a full Application names the field as written in the file', async (t) => {
  const p = problemAt(lintProblems('core-application-files-errors'), 'apps/web/template.yaml');
  t.equal(p.code, 'GK_TEMPLATE');
  t.equal(p.field, 'spec.syncPolicy.syncOptions[0]');
  t.equal(p.line, 12);
});

t.test('AppProject and ApplicationSet files under apps/, and a Namespace object as namespace.yaml, are told what to write instead', async (t) => {
  const problems = lintProblems('core-application-files-errors');
  const project = problemAt(problems, 'apps/web/project.yaml');
  t.equal(project.field, 'kind');
  t.match(project.message, 'is an Argo CD AppProject');
  t.match(project.message, 'under project: in apps/web/namespace.yaml');
  t.notMatch(project.message, 'app folder', 'not told to deploy it as a manifest');
  const set = problemAt(problems, 'apps/web/appset.yaml');
  t.match(set.message, 'is an Argo CD ApplicationSet, which belongs outside the platform repo');
  t.notMatch(set.message, 'app folder');
  const namespace = problemAt(problems, 'apps/tools/namespace.yaml');
  t.equal(namespace.line, 2);
  t.match(namespace.message, 'is a Kubernetes Namespace object; write its labels and annotations as top-level labels: and annotations: instead');
});

t.test('defaults reach full Application files under what the file sets; automated: null means manual sync', async (t) => {
  const platform = renderFixture('core-application-files-defaults');
  t.same(crdProblemsAll(platform.apps.map((r) => r.application)), [], 'valid Applications');
  const apps = applicationsByName(platform);
  const plain = apps.get('web-plain-in-cluster')!;
  t.same(
    plain.spec.syncPolicy,
    {
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=true'],
      retry: { limit: 5 },
      managedNamespaceMetadata: { labels: { owner: 'web-team' } },
    },
    'built-in and gitops.yaml syncPolicy, namespace.yaml labels',
  );
  t.equal(plain.metadata.labels.tier, 'front', "the file's own label wins over the default");
  t.equal(plain.metadata.labels.team, 'platform', 'a default label');
  t.equal(plain.metadata.annotations['argocd.argoproj.io/sync-wave'], '2', 'namespace.yaml syncWave');
  t.same(plain.spec.info, [{ name: 'runbook', value: 'https://wiki.example.com/web' }]);
  const manual = apps.get('web-manual-in-cluster')!;
  t.same(
    manual.spec.syncPolicy,
    {
      syncOptions: ['CreateNamespace=true'],
      retry: { limit: 5 },
      managedNamespaceMetadata: { labels: { owner: 'web-team' } },
    },
    'automated: null turns automated sync off, the rest of the defaults stay',
  );

  const explained = explainApp(loadPlatformRepo(openLocalRepo(fixture('core-application-files-defaults'))), 'web/plain');
  const source = (field: string): string | undefined => explained[0]!.fields.find((f) => f.field === field)?.source;
  t.equal(source('spec.syncPolicy.retry.limit'), 'gitops.yaml:4', 'explain names the default that set it');
  t.equal(source('metadata.labels.tier'), 'apps/web/plain.yaml:6', 'and the file for its own');
});

t.test('the build compiles the strict Application schema into files of their own, judging like run-time ajv', async (t) => {
  const dist = path.join(projectRoot, 'dist/src/core/schema');
  const bundle = path.join(projectRoot, 'dist/src/cli-bundle.cjs');
  const check = path.join(dist, 'application-check.generated.cjs');
  const full = path.join(dist, 'application-full.generated.cjs');
  t.ok(existsSync(check) && existsSync(full), 'npm run build wrote them');
  const generated = [(await import(check)).default.application, (await import(full)).default.application] as ValidateFunction[];
  const runtime = new Ajv(ajvOptions).compile(applicationSchemaFromCrd(readFileSync(path.join(projectRoot, APPLICATION_CRD_FILE), 'utf8'), parse));
  const files = [
    'core-application-files-errors/apps/web/typos.yaml',
    'core-application-files-errors/apps/web/moved.yaml',
    'core-application-files/apps/guestbook/guestbook.yaml',
    'core-application-files-defaults/apps/web/manual.yaml',
  ];
  for (const file of files) {
    const data = parse(readFileSync(path.join(projectRoot, 'test/fixtures', file), 'utf8'));
    for (const validate of generated) t.equal(validate(data), runtime(data), file);
  }
  t.notOk(runtime(parse(readFileSync(path.join(projectRoot, 'test/fixtures', files[0]!), 'utf8'))), 'the typos fail');
  t.match(readFileSync(check, 'utf8'), 'sourceHydrator', "the check set holds the CRD's fields");
  // The CLI loads these two; the Application schema must stay out of what every run compiles.
  for (const file of [path.join(dist, 'validators-check.generated.cjs'), bundle]) {
    t.notMatch(readFileSync(file, 'utf8'), 'sourceHydrator', `${path.basename(file)} does not hold the Application schema`);
  }
});
