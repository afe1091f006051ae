import { createLayerCache, type LayerCache } from '../layering/layers.js';
import { createTemplateCache, type TemplateCache } from '../template/template.js';
import { createPartsCache, type PartsCache } from './application-parts.js';

/**
 * What rendering keeps between the Applications it makes: the layers built
 * from the repo's files, what templating learnt of them, and the frozen
 * parts many Applications share. Every entry is weak on the repo's objects.
 *
 * `renderModel` makes one per render. The server makes one for its
 * lifetime and passes it to every render, as it keeps its parse cache:
 * a reply renders one (cluster, namespace folder) at a time, and parsed
 * files outlive the commit that loaded them, so what was learnt of them
 * is reused by the next commit.
 */
export interface RenderCache {
  layers: LayerCache;
  templates: TemplateCache;
  parts: PartsCache;
}

export function createRenderCache(): RenderCache {
  return { layers: createLayerCache(), templates: createTemplateCache(), parts: createPartsCache() };
}
