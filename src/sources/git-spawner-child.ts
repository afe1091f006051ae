/**
 * The git spawner: a small process that starts git for the server. Starting
 * a process forks its parent, and forking a server holding a large rendered
 * repo blocks its event loop for tens of milliseconds per git call; forking
 * this small process does not.
 */
import { execGitHere, type ExecRequest } from './exec-git.js';

process.on('message', (message: { id: number; request: ExecRequest }) => {
  void execGitHere(message.request).then((result) => process.send?.({ id: message.id, result }));
});
process.on('disconnect', () => process.exit(0));
