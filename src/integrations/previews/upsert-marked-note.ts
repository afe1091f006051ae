import type { PostedNote } from './forge.js';

/** A forge's notes API as the upsert sees it; `N` is the forge's own note type. */
export interface MarkedNoteApi<N extends { body?: string | null }> {
  /** What the forge calls a note, for the error message: "comment", "note". */
  readonly noun: string;
  /** The notes that may be ours, in the order to try them. */
  list(): Promise<N[]>;
  /** What an unchanged note counts as: updated in place. */
  unchanged(note: N): PostedNote;
  update(note: N, body: string): Promise<PostedNote>;
  create(body: string): Promise<PostedNote>;
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Posts `body` as the one note of this tool on a pull or merge request: the
 * note holding `marker` (an HTML comment, hidden by both forges' Markdown) is
 * updated in place, otherwise a new one is created. Anyone can paste the
 * marker into a note of their own; the forge refuses to let us edit those
 * (403/404), so they are passed over rather than trusted.
 */
export async function upsertMarkedNote<N extends { body?: string | null }>(api: MarkedNoteApi<N>, marker: string, body: string): Promise<PostedNote> {
  if (!body.includes(marker)) throw new TypeError(`the ${api.noun} body must hold its marker, or it cannot be found again`);
  const candidates = (await api.list()).filter((note) => typeof note.body === 'string' && note.body.includes(marker));
  for (const note of candidates) {
    if (note.body === body) return api.unchanged(note);
    try {
      return await api.update(note, body);
    } catch (error) {
      const status = statusOf(error);
      if (status !== 403 && status !== 404) throw error;
    }
  }
  return api.create(body);
}
