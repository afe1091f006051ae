/**
 * What the preview core needs from a forge (GitHub, GitLab): somewhere to
 * post one note on one pull or merge request, and optionally a status on its
 * head commit. Each forge has an adapter; the rendering, the diff and the
 * wording of the note are shared.
 */

/** What posting the note did. */
export interface PostedNote {
  action: 'created' | 'updated';
  id: number;
  url?: string;
}

/** How a preview ended, for a forge that reports it on the head commit. */
export interface PreviewReport {
  headSha: string;
  headBroken: boolean;
  /** Generated objects that change (0 when the head is broken). */
  changed: number;
  /** The note without its marker. */
  summary: string;
  /** Where the note is, when the forge said. */
  noteUrl?: string;
}

/** One pull or merge request on one forge. */
export interface PreviewForge {
  /** How the note names the change: "pull request", "merge request". */
  readonly noun: string;
  /** Posts `body` as the one note holding `marker`: updated in place when there is one, else created. */
  upsertNote(marker: string, body: string): Promise<PostedNote>;
  /** Reports the outcome on the head commit (GitHub check runs); returns the id of what it made. */
  report?(report: PreviewReport): Promise<number | undefined>;
}
