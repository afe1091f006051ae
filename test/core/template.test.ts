import t from 'tap';
import { renderString, renderTemplates, TemplateError } from '../../src/template.js';

const context = {
  cluster: { name: 'prod', labels: { env: 'prod' }, vars: { domain: 'example.com', replicas: 3 } },
  provider: { name: 'eks', controlPlaneMetrics: false, annotations: { a: 'b' }, zones: ['a', 'b'] },
  namespace: 'web',
  app: 'site',
  vars: { html: '<b>&"x"</b>', nothing: null },
};

const failure = (source: string): string => {
  try {
    renderString(source, context);
  } catch (error) {
    if (error instanceof TemplateError) return error.message;
    throw error;
  }
  throw new Error(`${source} rendered`);
};

t.test('a template that is exactly one variable keeps the variable\'s type', async (t) => {
  t.equal(renderString('{{provider.controlPlaneMetrics}}', context), false);
  t.equal(renderString('{{ provider.controlPlaneMetrics }}', context), false);
  t.equal(renderString('{{cluster.vars.replicas}}', context), 3);
  t.same(renderString('{{provider.annotations}}', context), { a: 'b' });
  t.same(renderString('{{provider.zones}}', context), ['a', 'b']);
  t.equal(renderString('{{vars.nothing}}', context), null);
  t.equal(renderString('x{{provider.controlPlaneMetrics}}', context), 'xfalse', 'with text around it, a string');
  t.equal(renderString('{{cluster.vars.replicas}}{{cluster.vars.replicas}}', context), '33');
});

t.test('no HTML escaping, and \\{{ writes a literal {{ for charts that template their own values', async (t) => {
  t.equal(renderString('v: {{vars.html}}', context), 'v: <b>&"x"</b>');
  t.equal(renderString('{{{vars.html}}}', context), '<b>&"x"</b>');
  t.equal(renderString('\\{{ .Release.Name }}-{{app}}', context), '{{ .Release.Name }}-site');
  t.match(failure('{{ .Release.Name }}'), /does not parse.*write \\\{\{/);
});

t.test('strict: unknown variables, maps printed into text, helpers and partials are errors', async (t) => {
  t.equal(failure('{{cluster.vars.domian}}'), 'unknown template variable "cluster.vars.domian" (did you mean "cluster.vars.domain"?)');
  t.equal(failure('a.{{cluster.vars.domian}}'), 'unknown template variable "cluster.vars.domian" (did you mean "cluster.vars.domain"?)');
  t.match(failure('x {{clustr.name}}'), '(did you mean "cluster"?)');
  t.match(failure('x {{provider.annotations}}'), '"provider.annotations" is a map');
  t.match(failure('{{log "hi"}} x'), /./, 'no log helper');
  t.match(failure('{{> partial}} x'), /partial/);
  t.match(failure('{{cluster.constructor}}'), /unknown template variable/, 'no prototype properties');
  t.match(failure('x {{cluster.name.length}}'), /unknown template variable/);
  t.equal(renderString('{{#if provider.controlPlaneMetrics}}on{{else}}off{{/if}}', context), 'off', 'built-in block helpers work');
  t.equal(renderString('{{#each provider.zones}}{{this}};{{/each}}', context), 'a;b;');
});

t.test('renderTemplates reports every failing string with its path and keeps the rest', async (t) => {
  const errors: [string, string][] = [];
  const out = renderTemplates({ a: ['{{cluster.name}}', '{{nope}}'], b: { c: '{{vars.x}}', d: 1, e: true } }, context, (p, m) => errors.push([JSON.stringify(p), m]));
  t.same(out, { a: ['prod', '{{nope}}'], b: { c: '{{vars.x}}', d: 1, e: true } });
  t.same(errors.map((e) => e[0]), ['["a",1]', '["b","c"]']);
});

t.test('text with single braces or backslashes around {{path}} renders as Handlebars renders it', async (t) => {
  // Such text (a fluent-bit config with ${ES_PASSWORD}) skips Handlebars unless
  // a brace or backslash touches a mustache: each source is held to Handlebars itself.
  const handlebars = (await import('handlebars')).default.create();
  const sources = [
    'HTTP_Passwd ${ES_PASSWORD}\nHost es.{{namespace}}.svc\nPrefix {{cluster.name}}\n',
    '{ "app": "{{app}}" }',
    '}{{app}}{',
    'a\\b {{app}} c\\',
    'a }} {{app}} {{ b',
    'x{{{app}}}',
    'x{{{app}}',
    '{{app}}}',
    'x\\{{app}} {{namespace}}',
    'x\\\\{{app}}',
    '{{app}}\\{{namespace}}',
    '{ {{app}} }',
  ];
  for (const source of sources) {
    let expected: string;
    try {
      expected = handlebars.compile(source, { strict: true, noEscape: true })(context);
    } catch (error) {
      t.match(failure(source), /./, `${JSON.stringify(source)} fails as in Handlebars (${(error as Error).message.split('\n')[0]})`);
      continue;
    }
    t.equal(renderString(source, context), expected, JSON.stringify(source));
  }
});
