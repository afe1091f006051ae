import t from 'tap';
import { PreviewQueue } from '../../src/integrations/github/preview-queue.js';
import { buildPreviewComment, PREVIEW_MARKER } from '../../src/integrations/github/pull-request-preview.js';
import { createError } from '../../src/core/errors.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

t.test('the queue runs one job per pull request at a time and the latest waiting job wins', async (t) => {
  const queue = new PreviewQueue({ concurrency: 2 });
  const ran: string[] = [];
  const gate = deferred();
  queue.enqueue('pr#1', async () => {
    ran.push('head1');
    await gate.promise;
  });
  queue.enqueue('pr#1', async () => void ran.push('head2'));
  queue.enqueue('pr#1', async () => void ran.push('head3'));
  t.same(ran, ['head1'], 'a running pull request is not run twice at once');
  gate.resolve();
  await queue.onIdle();
  t.same(ran, ['head1', 'head3'], 'head2 was replaced by head3 while it waited');
});

t.test('the queue bounds concurrency and size, and survives failing jobs', async (t) => {
  const errors: string[] = [];
  const queue = new PreviewQueue({ concurrency: 2, maxPending: 2, onError: (key) => errors.push(key) });
  let running = 0;
  let most = 0;
  const gates = [deferred(), deferred(), deferred(), deferred()];
  const job = (i: number) => async () => {
    running++;
    most = Math.max(most, running);
    await gates[i]!.promise;
    running--;
    if (i === 0) throw new Error('boom');
  };
  t.ok(queue.enqueue('a', job(0)));
  t.ok(queue.enqueue('b', job(1)));
  t.ok(queue.enqueue('c', job(2)));
  t.ok(queue.enqueue('d', job(3)));
  t.notOk(
    queue.enqueue('e', async () => {}),
    'a full queue refuses',
  );
  for (const g of gates) g.resolve();
  await queue.onIdle();
  t.equal(most, 2);
  t.same(errors, ['a']);
  await queue.close();
  t.notOk(
    queue.enqueue('f', async () => {}),
    'a closed queue refuses',
  );
});

t.test('a broken base is shown as a warning above the head rendered as all added; internal errors stay internal', async (t) => {
  const event = { baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40) };
  const head = { ok: true as const, platform: { projects: [], apps: [] } };
  const base = { ok: false as const, error: createError('GK_INVALID_YAML', 'bad indentation', { file: 'apps/x/y.yaml', line: 4 }) };
  const { body, headBroken } = buildPreviewComment(event, base, head);
  t.equal(headBroken, false);
  t.match(body, PREVIEW_MARKER);
  t.match(body, /base revision \(<code>aaaaaaa<\/code>\) does not render/);
  t.match(body, /apps\/x\/y\.yaml:4: bad indentation/);
  const internal = buildPreviewComment(event, head, { ok: false, error: new Error('connect ECONNREFUSED token=abc') });
  t.equal(internal.headBroken, true);
  t.notMatch(internal.body, /ECONNREFUSED|token=/);
  t.match(internal.body, /server log/);
  const fenced = buildPreviewComment(event, head, { ok: false, error: createError('GK_INVALID_VALUE', 'got ```` here', { file: 'a.yaml', line: 1 }) });
  t.match(fenced.body, /`````text\n/, 'the fence is longer than any backtick run in the message');
});

t.test('previews show path sources of the platform repo tracking the base branch, not the rendered commit', async (t) => {
  const { retarget } = await import('../../src/server/routes/webhooks.js');
  const sha = 'c'.repeat(40);
  const app = (source: Record<string, unknown>) => ({ application: { metadata: { name: 'a' }, spec: { source } } });
  const platform = {
    projects: [],
    apps: [
      app({ repoURL: 'https://x/platform.git', path: 'apps/a', targetRevision: sha }),
      app({ repoURL: 'https://charts', chart: 'c', targetRevision: '1.2.3' }),
    ],
  };
  const out = retarget(platform as never, sha, 'main');
  t.equal((out.apps[0]!.application.spec as { source: { targetRevision: string } }).source.targetRevision, 'main');
  t.equal(out.apps[1], platform.apps[1], 'other apps are left as they are');
  t.equal((platform.apps[0]!.application.spec.source as { targetRevision: string }).targetRevision, sha, 'the cached platform is not changed');
});

t.test('a platform repo in a sub-folder gets its own comment marker', async (t) => {
  const { previewMarker } = await import('../../src/integrations/github/pull-request-preview.js');
  t.equal(previewMarker('.'), PREVIEW_MARKER);
  t.equal(previewMarker('platform/prod'), '<!-- gitops-k8s:preview path=platform%2Fprod -->');
  t.equal(previewMarker('a-->b'), '<!-- gitops-k8s:preview path=a--%3Eb -->', 'a path cannot end the HTML comment');
});
