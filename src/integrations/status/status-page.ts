import { escapeHtml } from './escape-html.js';
import type { CellState, StatusCell, StatusMatrix } from './status-matrix.js';
import { describeArgo, describeRollout } from './status-table.js';

/** Options of {@link renderStatusPage}. */
export interface StatusPageOptions {
  /** What the matrix was rendered from (a repo URL, shown without credentials). */
  source: string;
  /** The commit it was rendered at. */
  revision?: string;
  /** The CSP nonce of the inline style and script (random per reply). */
  nonce: string;
}

const STATE_LABEL: Record<CellState, string> = {
  ok: 'Synced, Healthy',
  progressing: 'Progressing',
  drift: 'Drift',
  error: 'Error',
  missing: 'Missing from Argo CD',
  unknown: 'Unknown',
  planned: 'Would deploy',
};

const PROBLEM_STATES = new Set<CellState>(['drift', 'error', 'missing']);

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#fff}
h1{font-size:1.3rem;margin:0 0 .25rem}
.meta{color:#57606a;margin:0 0 1rem}
.banner{padding:.5rem .75rem;border-radius:6px;margin:0 0 1rem;background:#eef6ff;border:1px solid #b6d4fe}
.banner.argo-error{background:#fff1f0;border-color:#ffa39e}
.banner.argo-off{background:#f6f8fa;border-color:#d0d7de}
.filters{display:flex;gap:1rem;flex-wrap:wrap;align-items:center;margin:0 0 1rem}
.counts{display:flex;gap:.5rem;flex-wrap:wrap;margin:0 0 1rem;padding:0;list-style:none}
.counts li{padding:.1rem .5rem;border-radius:10px;border:1px solid #d0d7de}
table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f6f8fa;position:sticky;top:0}
th small{display:block;color:#57606a;font-weight:normal}
td.none{background:#fafbfc;color:#afb8c1;text-align:center}
.state-ok{background:#dafbe1}
.state-progressing{background:#fff8c5}
.state-drift{background:#ffe2b3;font-weight:600}
.state-error{background:#ffc1c0;font-weight:600}
.state-missing{background:#ffd8d3}
.state-unknown{background:#eaeef2}
.state-planned{background:#ddf4ff}
td a{color:inherit}
.rollout{margin:0 0 1rem}
.rollout-active{font-weight:600}
.rollout-done{color:#1a7f37}
.msg{display:block;font-weight:normal;font-size:12px;color:#57606a;max-width:22rem}
[hidden]{display:none!important}
`;

// Filters run in the page so the server renders the matrix once per commit.
// Kept to DOM APIs every browser has; no data crosses into HTML here.
const FILTER_SELECTS =
  "{ namespace: document.getElementById('filter-namespace'), cluster: document.getElementById('filter-cluster'), " +
  "provider: document.getElementById('filter-provider') }";
const SCRIPT = `
(function () {
  var q = new URLSearchParams(location.search);
  var sel = ${FILTER_SELECTS};
  var problems = document.getElementById('filter-problems');
  Object.keys(sel).forEach(function (k) { var v = q.get(k); if (v !== null) sel[k].value = v; });
  problems.checked = q.get('problems') === '1';
  function apply() {
    var ns = sel.namespace.value, cl = sel.cluster.value, pv = sel.provider.value, onlyProblems = problems.checked;
    document.querySelectorAll('#matrix [data-cluster]').forEach(function (el) {
      el.hidden = (cl !== '' && el.dataset.cluster !== cl) || (pv !== '' && el.dataset.provider !== pv);
    });
    var shown = 0;
    document.querySelectorAll('#matrix tbody tr').forEach(function (tr) {
      var cells = Array.prototype.filter.call(tr.querySelectorAll('td[data-cluster]'), function (td) { return !td.hidden; });
      var deployed = cells.some(function (td) { return !td.classList.contains('none'); });
      var bad = cells.some(function (td) { return td.dataset.problem === 'true'; });
      tr.hidden = (ns !== '' && tr.dataset.namespace !== ns) || !deployed || (onlyProblems && !bad);
      if (!tr.hidden) shown++;
    });
    document.getElementById('shown').textContent = String(shown);
    var p = new URLSearchParams();
    if (ns) p.set('namespace', ns); if (cl) p.set('cluster', cl); if (pv) p.set('provider', pv); if (onlyProblems) p.set('problems', '1');
    var s = p.toString();
    history.replaceState(null, '', s ? '?' + s : location.pathname);
  }
  Object.keys(sel).forEach(function (k) { sel[k].addEventListener('change', apply); });
  problems.addEventListener('change', apply);
  apply();
})();
`;

function options(values: readonly string[], all: string): string {
  return [`<option value="">${escapeHtml(all)}</option>`, ...values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`)].join('');
}

function cellHtml(cell: StatusCell | undefined, cluster: string, provider: string): string {
  const attrs = `data-cluster="${escapeHtml(cluster)}" data-provider="${escapeHtml(provider)}"`;
  if (!cell) return `<td class="none" ${attrs}>–</td>`;
  const label = cell.sync || cell.health ? `${cell.sync || '?'} / ${cell.health || '?'}` : STATE_LABEL[cell.state];
  const text = cell.url ? `<a href="${escapeHtml(cell.url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(label)}</a>` : escapeHtml(label);
  const message = cell.message ? `<span class="msg">${escapeHtml(cell.message)}</span>` : '';
  const title = `${cell.application}${cell.message ? `: ${cell.message}` : ''}`;
  const data = `data-state="${cell.state}" data-problem="${PROBLEM_STATES.has(cell.state)}" data-application="${escapeHtml(cell.application)}"`;
  return `<td class="cell state-${cell.state}" ${attrs} ${data} title="${escapeHtml(title)}">${text}${message}</td>`;
}

function rolloutSection(matrix: StatusMatrix): string {
  if (!matrix.rollout) return '';
  const [head, ...lines] = describeRollout(matrix.rollout);
  const items = matrix.rollout.steps
    .map((s, i) => `<li class="rollout-${s.state}" data-step="${s.step}" data-state="${s.state}">${escapeHtml(lines[i]!.trim())}</li>`)
    .join('');
  return `<section id="rollout"><h2>${escapeHtml(head!)}</h2><ol class="rollout">${items}</ol></section>`;
}

/**
 * The status page: the app x cluster matrix as server-rendered HTML, every
 * value escaped, with a small inline script (allowed by the reply's CSP
 * nonce) that filters by namespace, cluster and provider.
 */
export function renderStatusPage(matrix: StatusMatrix, options_: StatusPageOptions): string {
  const nonce = escapeHtml(options_.nonce);
  const namespaces = [...new Set(matrix.rows.map((r) => r.namespace))];
  const providers = [...new Set(matrix.clusters.map((c) => c.provider))].sort();
  const argoClass = matrix.argocd.state === 'ok' ? 'argo-ok' : matrix.argocd.state === 'error' ? 'argo-error' : 'argo-off';
  const head = matrix.clusters
    .map(
      (c) =>
        `<th data-cluster="${escapeHtml(c.name)}" data-provider="${escapeHtml(c.provider)}">${escapeHtml(c.name)}<small>${escapeHtml(c.provider)}</small></th>`,
    )
    .join('');
  const rows = matrix.rows
    .map((r) => {
      const cells = matrix.clusters.map((c) => cellHtml(r.cells[c.name], c.name, c.provider)).join('');
      const id = escapeHtml(`${r.namespace}/${r.app}`);
      const th = `<th scope="row" title="${escapeHtml(r.source)}">${id}</th>`;
      return `<tr data-namespace="${escapeHtml(r.namespace)}" data-app="${id}">${th}${cells}</tr>`;
    })
    .join('\n');
  const counts = (Object.entries(matrix.counts) as [CellState, number][])
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `<li class="state-${s}" data-count="${s}">${n} ${escapeHtml(STATE_LABEL[s])}</li>`)
    .join('');
  const orphans =
    matrix.orphans.length === 0
      ? ''
      : `<section id="orphans"><h2>In Argo CD, no longer generated from Git (${matrix.orphans.length})</h2><ul>${matrix.orphans
          .map((o) => {
            const name = o.url ? `<a href="${escapeHtml(o.url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(o.name)}</a>` : escapeHtml(o.name);
            return `<li class="state-error">${name} <span class="msg">${escapeHtml(`${o.sync || '?'} / ${o.health || '?'}`)}</span></li>`;
          })
          .join('')}</ul></section>`;
  const revision = options_.revision ? ` at <code>${escapeHtml(options_.revision.slice(0, 12))}</code>` : '';
  const shown = `<span id="shown">${matrix.rows.length}</span> shown.`;
  const meta = `From <code>${escapeHtml(options_.source)}</code>${revision}: ${matrix.rows.length} apps, ${matrix.clusters.length} clusters, ${shown}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gitops-k8s status</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<h1>gitops-k8s: apps × clusters</h1>
<p class="meta">${meta}</p>
<p id="argocd-status" class="banner ${argoClass}">${escapeHtml(describeArgo(matrix))}</p>
<form class="filters" id="filters">
<label>Namespace <select id="filter-namespace">${options(namespaces, 'all')}</select></label>
<label>Cluster <select id="filter-cluster">${options(
    matrix.clusters.map((c) => c.name),
    'all',
  )}</select></label>
<label>Provider <select id="filter-provider">${options(providers, 'all')}</select></label>
<label><input type="checkbox" id="filter-problems"> only drift and errors</label>
</form>
<ul class="counts">${counts}</ul>
${rolloutSection(matrix)}
<table id="matrix">
<thead><tr><th>app</th>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
${orphans}
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}

/** The Content-Security-Policy of the page: nothing but its own nonce'd style and script. */
export function statusPageCsp(nonce: string): string {
  return (
    `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; img-src 'self' data:; ` +
    `base-uri 'none'; form-action 'none'; frame-ancestors 'none'`
  );
}
