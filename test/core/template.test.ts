import t from 'tap';
import {
  createTemplateCache,
  defaultTemplateLimits,
  renderString,
  renderTemplates,
  type TemplateCache,
  TemplateError,
  type TemplateLimits,
} from '../../src/core/template/template.js';

const context = {
  cluster: { name: 'prod', labels: { env: 'prod' }, vars: { domain: 'example.com', replicas: 3 } },
  provider: { name: 'eks', controlPlaneMetrics: false, annotations: { a: 'b' }, zones: ['a', 'b'] },
  namespace: 'web',
  app: 'site',
  vars: { html: '<b>&"x"</b>', nothing: null },
};

const failure = (source: string, limits?: TemplateLimits, ctx: Record<string, unknown> = context, cache?: TemplateCache): string => {
  try {
    renderString(source, ctx, limits, cache);
  } catch (error) {
    if (error instanceof TemplateError) return error.message;
    throw error;
  }
  throw new Error(`${source} rendered`);
};

t.test("a template that is exactly one variable keeps the variable's type", async (t) => {
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
  t.match(failure('{{ .Release.Name }}'), /Helm\/Go template syntax.*write \\\{\{ \.Release\.Name \}\}/);
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
  const out = renderTemplates({ a: ['{{cluster.name}}', '{{nope}}'], b: { c: '{{vars.x}}', d: 1, e: true } }, context, (p, m) =>
    errors.push([JSON.stringify(p), m]),
  );
  t.same(out, { a: ['prod', '{{nope}}'], b: { c: '{{vars.x}}', d: 1, e: true } });
  t.same(
    errors.map((e) => e[0]),
    ['["a",1]', '["b","c"]'],
  );
});

t.test('text with single braces or backslashes around {{path}} renders as Handlebars renders it', async (t) => {
  // Such text (a fluent-bit config with ${ES_PASSWORD}) skips Handlebars unless
  // a brace or backslash touches a mustache: each source is held to Handlebars itself.
  const handlebars = (await import('handlebars')).default.create();
  const sources = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Fluent Bit ${VAR}, which templates must leave alone
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

t.test('strict everywhere: lookup, blocks and names Object.prototype has are unknown variables, not ""', async (t) => {
  t.equal(failure('{{lookup vars "typo"}}'), 'unknown template variable "typo" (in lookup) (it has: html, nothing)');
  t.equal(failure('{{lookup cluster.vars "domian"}}'), 'unknown template variable "domian" (in lookup) (did you mean "domain"?)');
  t.equal(renderString('{{lookup cluster.vars "domain"}}', context), 'example.com', 'lookup of a key that is there');
  t.equal(renderString('{{#each provider.zones}}{{lookup ../provider.zones @index}}{{/each}}', context), 'ab', 'lookup by index');
  t.match(failure('{{#with vars}}{{constructor}}{{/with}}'), /^unknown template variable "constructor" inside a block/);
  t.equal(failure('{{#with cluster.vars}}{{domian}}{{/with}}'), 'unknown template variable "domian" inside a block (did you mean "domain"?)');
  t.match(failure('{{#if constructor}}yes{{/if}}'), /^unknown template variable "constructor"/);
  t.match(failure('{{#if cluster.name}}{{toString}}{{/if}}'), /^unknown template variable "toString" inside a block/);
  t.match(failure('{{#each provider.zones}}{{length}}{{/each}}'), /^unknown template variable "length" inside a block/);
  t.equal(failure('{{#with provider}}{{annotations}}{{/with}}'), 'a map cannot be written into text; name one of its fields');
  t.equal(failure('{{#if app}}{{provider.zones}}{{/if}}'), 'a list cannot be written into text; name one of its fields');
});

t.test('Helm/Go templates get told apart from Handlebars, with the spelling to use', async (t) => {
  t.equal(
    failure('{{ .Values.x }}'),
    '{{ .Values.x }} is Helm/Go template syntax, which gitops-k8s does not read: ' +
      'its templates are Handlebars over cluster, provider, namespace, app, repo and vars (write {{vars.x}}); ' +
      'to pass it through to a chart that templates its own values (tpl), write \\{{ .Values.x }}',
  );
  t.match(failure('a: {{- if .Values.y }}on{{- end }}'), /^\{\{- if \.Values\.y \}\} is Helm\/Go template syntax.*\{\{vars\.y\}\}.*write \\\{\{- if/);
  t.match(failure('{{ include "x" . }}'), /^\{\{ include "x" \. \}\} is Helm\/Go template syntax.*\{\{vars\.<name>\}\}/);
  t.match(failure('{{ toYaml $.Values.r | nindent 4 }}'), /Helm\/Go template syntax/);
  t.equal(renderString('\\{{ .Values.x }} {{app}}', context), '{{ .Values.x }} site', 'escaped, it passes through');
  t.equal(renderString('{{#with cluster}}{{../app}}{{./name}}{{/with}}', context), 'siteprod', 'Handlebars paths starting with a dot are not Go');
});

t.test('templates are bounded: length, nesting, steps and output, checked before parsing and while rendering', async (t) => {
  const list = { vars: { l: Array.from({ length: 100 }, (_, i) => i), big: 'x'.repeat(100_000) } };
  // 165 bytes, 10^10 steps: it ran for over ten minutes.
  const nested = `${'{{#each @root.vars.l}}'.repeat(5)}.${'{{/each}}'.repeat(5)}`;
  let started = Date.now();
  t.match(
    failure(nested, undefined, list),
    new RegExp(
      /^template runs more block bodies \(each iteration is one\) than 10,000; /.source +
        /simplify it, or raise limits\.maxTemplateSteps in gitops\.yaml \(at most 1,000,000\)$/.source,
    ),
  );
  t.ok(Date.now() - started < 2000, 'fails fast');

  started = Date.now();
  // 5,000 nested ifs took 36 s to parse.
  const ifs = (n: number): string => `${'{{#if app}}'.repeat(n)}x${'{{/if}}'.repeat(n)}`;
  t.match(failure(ifs(5000)), /^template is longer than 65,536; .*limits\.maxTemplateLength/, '5,000 nested ifs are refused before parsing');
  t.match(
    failure(ifs(3000), { ...defaultTemplateLimits, maxTemplateLength: 1024 * 1024 }),
    /^template nests blocks deeper than 10; .*limits\.maxTemplateDepth/,
    'so are 3,000, for their depth',
  );
  t.match(failure(`{{#if app}}a${'{{else if app}}b'.repeat(200)}{{/if}}`), /nests blocks deeper than 10/, 'an else-if chain nests too');
  t.match(failure(`{{lookup ${'(lookup '.repeat(11)}vars${' "a")'.repeat(11)} "k"}}`), /nests blocks deeper than 10/, 'so do sub-expressions');
  t.ok(Date.now() - started < 2000, 'fails fast');
  t.equal(renderString(`${'{{#if app}}'.repeat(10)}deep${'{{/if}}'.repeat(10)}`, context), 'deep', 'ten levels are fine');
  t.equal(
    renderString(`${'{{!-- {{/if}}{{/if}} --}}{{#if app}}'.repeat(3)}\\{{/if}}${'{{/if}}'.repeat(3)}`, context),
    '{{/if}}',
    'comments and escapes count as Handlebars reads them',
  );
  t.equal(
    renderString(`${'{{#if app}}'.repeat(12)}deep${'{{/if}}'.repeat(12)}`, context, { ...defaultTemplateLimits, maxTemplateDepth: 12 }),
    'deep',
    'a repo may allow more',
  );

  t.match(failure(`{{#if app}}${'x'.repeat(70_000)}{{/if}}`), /^template is longer than 65,536; .*limits\.maxTemplateLength/);
  t.match(failure(`${'x'.repeat(70_000)}{{app}}`), /^template is longer than 65,536/, 'simple templates too');
  t.match(
    failure('{{#each vars.l}}{{@root.vars.big}}{{/each}}', undefined, list),
    /^template produces more characters than 1,048,576; .*limits\.maxTemplateOutput/,
  );
  t.match(failure(`${'{{vars.big}}'.repeat(11)}x`, undefined, list), /^template produces more characters than 1,048,576/, 'simple templates too');
  t.equal((renderString('{{#each vars.l}}{{this}}{{/each}}', list) as string).length, 190, 'within the limits it renders');
  t.match(
    failure('{{#each vars.l}}{{this}}{{/each}}', { ...defaultTemplateLimits, maxTemplateSteps: 50 }, list),
    /more block bodies .* than 50/,
    'a repo may allow less',
  );
  // The compiled template is cached: a later render under lower limits is still held to them.
  const kept = createTemplateCache();
  const deep = `${'{{#if app}}'.repeat(12)}deep${'{{/if}}'.repeat(12)}`;
  t.equal(renderString(deep, context, { ...defaultTemplateLimits, maxTemplateDepth: 12 }, kept), 'deep');
  t.ok(kept.engine.compiled.has(deep), 'compiled into the cache it was given');
  t.match(failure(deep, undefined, context, kept), /nests blocks deeper than 10/);
});

t.test('each TemplateCache has its own engine: Handlebars loaded on first need, compiled templates and budget its own', async (t) => {
  const first = createTemplateCache();
  const second = createTemplateCache();
  t.equal(renderString('x-{{app}}-{{cluster.name}}', context, defaultTemplateLimits, first), 'x-site-prod');
  t.equal(first.engine.handlebars, undefined, 'a simple template renders without Handlebars');
  const each = '{{#each provider.zones}}{{this}};{{/each}}';
  t.equal(renderString(each, context, defaultTemplateLimits, first), 'a;b;');
  t.ok(first.engine.handlebars, 'a block loads it');
  t.notOk(second.engine.handlebars, 'into that engine only');
  t.notOk(second.engine.compiled.has(each));
  const few = { ...defaultTemplateLimits, maxTemplateSteps: 1 };
  t.match(failure(each, few, context, second), /more block bodies .* than 1;/, 'the limits of the render under way');
  t.not(first.engine.handlebars, second.engine.handlebars, 'each its own Handlebars environment');
  t.equal(renderString(each, context, defaultTemplateLimits, first), 'a;b;', "not the other engine's");
  t.equal(first.engine.budget, undefined, 'no budget left behind after a render');
  t.equal(second.engine.budget, undefined, 'nor after a failure');
});
