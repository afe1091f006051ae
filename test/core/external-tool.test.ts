import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { locateTool, requireTool, runTool } from '../../src/tools/external-tool.js';
import { helmBinary } from '../helpers/tools.js';

t.test('locateTool: the environment variable wins, then PATH; missing is an error with how to install', (t) => {
  const dir = t.testdir({});
  const fake = path.join(dir, 'helm');
  writeFileSync(fake, '#!/bin/sh\necho fake\n');
  chmodSync(fake, 0o755);
  t.equal(locateTool('helm', { PATH: dir }), fake);
  t.equal(locateTool('helm', { PATH: dir, GITOPS_K8S_HELM: '/opt/helm' }), '/opt/helm');
  t.equal(locateTool('helm', { PATH: '/nonexistent' }), undefined);
  t.throws(() => requireTool('helm', { PATH: '/nonexistent' }), { code: 'GK_TOOL_MISSING', message: /helm is not on the PATH: install Helm \(/ });
  t.end();
});

t.test('runTool runs the real helm', async (t) => {
  const { stdout } = await runTool(helmBinary(), ['version', '--short']);
  t.match(stdout, /^v3\./);
});

t.test("runTool: a failure names what ran and shows the tool's stderr; a hang is stopped", async (t) => {
  await t.rejects(runTool(helmBinary(), ['template', 'x', '/nonexistent-chart'], { what: 'helm template of web/api on c1' }), {
    code: 'GK_TOOL_FAILED',
    message: /^helm template of web\/api on c1 failed: .*nonexistent-chart/s,
  });
  const started = Date.now();
  await t.rejects(runTool('/bin/sleep', ['30'], { timeoutMs: 200, what: 'sleep' }), { code: 'GK_TIMEOUT', message: /sleep took longer than 200 ms/ });
  t.ok(Date.now() - started < 10_000, 'killed, not waited for');
  const big = runTool('/usr/bin/yes', [], { maxOutputBytes: 1 << 20, what: 'yes' });
  await t.rejects(big, { code: 'GK_TOOL_FAILED', message: /printed more than 1048576 bytes/ });
  const ac = new AbortController();
  const aborted = runTool('/bin/sleep', ['30'], { signal: ac.signal, what: 'sleep' });
  ac.abort();
  await t.rejects(aborted, { code: 'GK_TIMEOUT', message: /cancelled/ });
});
