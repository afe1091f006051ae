import { mergeLayer } from '../layering/merge.js';
import type { AppKeys, Provider } from '../model.js';
import { isDnsLabel } from './dns-label.js';
import { providerPresets } from './presets.js';
import type { RepoReader } from './repo-reader.js';

/** The providers (built-in presets and providers/<name>.yaml) and the names whose file has a problem. */
export interface ReadProviders {
  providers: Map<string, Provider>;
  /** Provider files with a problem of their own: clusters and apps naming them are not also "unknown provider". */
  broken: Set<string>;
}

/** Reads providers/<name>.yaml over the built-in presets. */
export function readProviders(reader: RepoReader): ReadProviders {
  const providers = new Map<string, Provider>();
  for (const [name, preset] of Object.entries(providerPresets)) {
    providers.set(name, { name, values: { ...preset, name }, builtIn: true });
  }
  const broken = new Set<string>();
  for (const { base, file } of reader.yamlEntries('providers')) {
    broken.add(base);
    const yaml = reader.readYaml(file);
    if (!yaml) continue;
    if (!isDnsLabel(base)) {
      reader.problems.push({
        code: 'GK_INVALID_NAME',
        file,
        message: `provider name ${JSON.stringify(base)} must be a DNS-1123 label (lower case letters, digits and -)`,
      });
      continue;
    }
    const data = reader.checkMap(yaml, 'provider', 'provider');
    if (!data) continue;
    broken.delete(base);
    const { defaults, ...values } = data as Record<string, unknown> & { defaults?: AppKeys };
    // A new provider starts from the generic preset, so that every `{{provider.<key>}}` an app uses exists on every provider.
    const preset = providers.get(base) ?? providers.get('generic');
    providers.set(base, {
      name: base,
      values: { ...(mergeLayer(preset?.values ?? {}, values) as Record<string, unknown>), name: base },
      builtIn: providers.get(base)?.builtIn ?? false,
      defaults,
      yaml,
    });
  }
  return { providers, broken };
}
