import { createError } from '../errors.js';
import type { Application, RenderedApp } from './render-applications.js';
import type { AppProject } from './render-projects.js';

/**
 * Which kinds a render prints: both (the app of apps), only the AppProjects
 * (for the ApplicationSet route, whose generator creates the Applications but
 * not their projects) or only the Applications.
 */
export const OUTPUT_KINDS = ['all', 'projects', 'applications'] as const;
export type OutputKinds = (typeof OUTPUT_KINDS)[number];

/** Reads an output selector; anything but the three names is a usage error naming `field`. */
export function parseOutputKinds(value: string, field: string): OutputKinds {
  const found = OUTPUT_KINDS.find((k) => k === value.trim());
  if (!found) {
    throw createError('GK_USAGE', `must be one of ${OUTPUT_KINDS.join(', ')} (got ${JSON.stringify(value)})`, { field });
  }
  return found;
}

/** What `render --only` takes: the output kinds, or the ApplicationSet that generates the Applications instead. */
export const RENDER_KINDS = [...OUTPUT_KINDS, 'applicationset'] as const;
export type RenderKinds = (typeof RENDER_KINDS)[number];

/**
 * The objects of a selection limited to `kinds`, in the order and shape
 * `objectsOf` gives them (AppProjects first). Never empty: an empty stream
 * with exit 0 would make Argo CD prune everything the Application owns.
 */
export function objectsOfKinds(selection: { projects: readonly AppProject[]; apps: readonly RenderedApp[] }, kinds: OutputKinds): (AppProject | Application)[] {
  const projects = kinds === 'applications' ? [] : selection.projects;
  const applications = kinds === 'projects' ? [] : selection.apps.map((r) => r.application);
  const objects = [...projects, ...applications];
  if (objects.length === 0) {
    throw createError(
      'GK_NO_APPS',
      `the selection holds no ${kinds === 'projects' ? 'AppProject' : 'Application'}; refusing to print nothing (Argo CD would prune every object)`,
    );
  }
  return objects;
}
