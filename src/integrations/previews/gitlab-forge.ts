import type { GitlabClient } from '../gitlab/gitlab-client.js';
import type { MergeRequestEvent } from '../gitlab/gitlab-events.js';
import type { PreviewForge } from './forge.js';
import { upsertMarkedNote } from './upsert-marked-note.js';

/**
 * The GitLab adapter: the note is a merge request note, found again by its
 * marker (see upsertMarkedNote). System notes never count.
 */
export function createGitlabForge(client: GitlabClient, event: Pick<MergeRequestEvent, 'projectId' | 'iid' | 'webUrl'>): PreviewForge {
  const urlOf = (id: number) => (event.webUrl ? `${event.webUrl}#note_${id}` : undefined);
  const posted = (action: 'created' | 'updated', id: number) => {
    const url = urlOf(id);
    return { action, id, ...(url ? { url } : {}) };
  };
  return {
    noun: 'merge request',
    upsertNote: async (marker, body) =>
      upsertMarkedNote(
        {
          noun: 'note',
          list: async () => (await client.listNotes(event.projectId, event.iid)).filter((note) => !note.system),
          unchanged: (note) => posted('updated', note.id),
          update: async (note, text) => posted('updated', (await client.updateNote(event.projectId, event.iid, note.id, text)).id),
          create: async (text) => posted('created', (await client.createNote(event.projectId, event.iid, text)).id),
        },
        marker,
        body,
      ),
  };
}
