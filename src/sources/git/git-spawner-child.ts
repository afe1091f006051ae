/**
 * The git spawner: a small process that starts git for the server. Starting
 * a process forks its parent, and forking a server holding a large rendered
 * repo blocks its event loop for tens of milliseconds per git call; forking
 * this small process does not.
 */
import { execGitHere, type ExecRequest } from './exec-git.js';

// The calls running, by id: the server cancels one when the request that needs it is aborted.
const running = new Map<number, AbortController>();

process.on('message', (message: { id: number; request?: ExecRequest; cancel?: boolean }) => {
  if (message.cancel) {
    running.get(message.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  void execGitHere(message.request!, controller.signal).then((result) => {
    running.delete(message.id);
    process.send?.({ id: message.id, result });
  });
});
process.on('disconnect', () => process.exit(0));
