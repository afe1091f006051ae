import type { GitlabClient } from '../gitlab/gitlab-client.js';
import type { MergeRequestEvent } from '../gitlab/gitlab-events.js';
import type { PreviewForge } from './forge.js';

/**
 * The GitLab adapter: the note is a merge request note, found again by its
 * marker (an HTML comment, hidden by GitLab's Markdown). Anyone can paste the
 * marker into a note of their own; GitLab refuses to let us edit those (403),
 * so they are passed over rather than trusted. System notes never count.
 */
export function createGitlabForge(client: GitlabClient, event: Pick<MergeRequestEvent, 'projectId' | 'iid' | 'webUrl'>): PreviewForge {
  const urlOf = (id: number) => (event.webUrl ? `${event.webUrl}#note_${id}` : undefined);
  const posted = (action: 'created' | 'updated', id: number) => {
    const url = urlOf(id);
    return { action, id, ...(url ? { url } : {}) };
  };
  return {
    noun: 'merge request',
    upsertNote: async (marker, body) => {
      if (!body.includes(marker)) throw new TypeError('the note body must hold its marker, or it cannot be found again');
      const notes = await client.listNotes(event.projectId, event.iid);
      for (const note of notes.filter((n) => !n.system && typeof n.body === 'string' && n.body.includes(marker))) {
        if (note.body === body) return posted('updated', note.id);
        try {
          return posted('updated', (await client.updateNote(event.projectId, event.iid, note.id, body)).id);
        } catch (error) {
          const status = (error as { status?: unknown }).status;
          if (status !== 403 && status !== 404) throw error;
        }
      }
      return posted('created', (await client.createNote(event.projectId, event.iid, body)).id);
    },
  };
}
