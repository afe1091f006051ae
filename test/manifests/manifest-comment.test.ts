import t from 'tap';
import { buildPreviewComment } from '../../src/integrations/github/pull-request-preview.js';
import type { AppManifestDiff, ManifestDiff } from '../../src/manifests/diff-manifests.js';
import { formatManifestDiffMarkdown } from '../../src/manifests/format-manifest-diff.js';

/** An Application whose ConfigMap changed in `fields` fields of `size` characters each. */
function changedApp(i: number, fields: number, size: number): AppManifestDiff {
  return {
    application: `web-app${i}-c1`,
    app: `web/app${i}`,
    cluster: 'c1',
    change: 'changed',
    resources: [
      {
        resource: `ConfigMap/web/app${i}`,
        apiVersion: 'v1',
        change: 'changed',
        fields: Array.from({ length: fields }, (_, f) => ({
          path: `data.k${f}`,
          change: 'changed' as const,
          before: 'a'.repeat(size),
          after: 'b'.repeat(size),
        })),
      },
    ],
  };
}

const empty = { ok: true as const, platform: { projects: [], apps: [] } };
const event = { baseSha: 'a'.repeat(40), headSha: 'b'.repeat(40) };

t.test('the PR comment shows the manifest diff, one folded block per Application', async (t) => {
  const diff: ManifestDiff = { apps: [changedApp(1, 1, 5)] };
  const { body } = buildPreviewComment(event, empty, empty, undefined, { ok: true, diff });
  t.match(body, /#### Resources deployed\n\n<details><summary>\n~ Application <code>web-app1-c1<\/code>/);
  t.match(body, /~ data\.k0: "aaaaa" -> "bbbbb"/);
  t.notMatch(buildPreviewComment(event, empty, empty).body, /Resources deployed/, 'not without manifests');
});

t.test('a manifest diff too long for GitHub drops whole Applications from the end and says how many', async (t) => {
  // 300 Applications of about 6,000 characters each: far over 65,536.
  const diff: ManifestDiff = { apps: Array.from({ length: 300 }, (_, i) => changedApp(i, 20, 140)) };
  const { body } = buildPreviewComment(event, empty, empty, undefined, { ok: true, diff });
  t.ok(body.length <= 65_536, `${body.length} characters fit a comment`);
  const shown = body.match(/<details>/g)?.length ?? 0;
  t.ok(shown > 0 && shown < 300);
  t.equal(shown, body.match(/<\/details>/g)?.length, 'no block cut in half');
  t.match(body, new RegExp(`_${300 - shown} more Applications changed; run \`gitops-k8s diff --manifests\` locally\\._`));
  t.notMatch(body, /cut: too long/, 'the last-resort cut is not needed');

  const md = formatManifestDiffMarkdown(diff, { maxLength: 10_000 });
  t.ok(md.length <= 10_000);
});

t.test('a manifest render that fails says so in the comment instead of a shorter diff', async (t) => {
  const { body } = buildPreviewComment(event, empty, empty, undefined, { ok: false, error: new Error('secret-ish internals') });
  t.match(body, /What the changed Applications deploy could not be rendered/);
  t.notMatch(body, /secret-ish/, 'internal errors stay in the log');
});
