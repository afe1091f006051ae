import { LineCounter, parse, parseAllDocuments } from 'yaml';

/**
 * YAML from outside the platform repo: Kubernetes objects that `helm
 * template`, `kustomize build` or an export of Applications printed, and
 * the values string of an Application. parse-yaml.ts's refusals are for files
 * people write in the platform repo; this text is read as any YAML 1.2
 * reader would, its aliases bounded like theirs.
 */

/** One document of a multi-document stream. */
export interface StreamDocument {
  /** Its parse errors: the first line of each message and the 1-based line and column it points at. */
  errors: { message: string; line: number; column: number }[];
  /** The comment above it (`helm template` writes `# Source: <template path>` there). */
  commentBefore: string | null | undefined;
  /** The document as plain data; throws past `maxAliasCount` alias resolutions. */
  toData(maxAliasCount: number): unknown;
}

export interface YamlStreamOptions {
  /** Whether a key repeated in one mapping is an error. */
  uniqueKeys: boolean;
  /** Whether messages carry the line and column and a snippet of the text (the `yaml` package's default). */
  prettyErrors?: boolean;
}

/** Every document of a YAML stream, in order; none for an empty text. */
export function parseYamlStream(text: string, options: YamlStreamOptions): StreamDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { uniqueKeys: options.uniqueKeys, ...(options.prettyErrors === false ? { prettyErrors: false } : {}), lineCounter });
  return (Array.isArray(docs) ? docs : []).map((doc) => ({
    errors: doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { message: e.message.split('\n')[0]!, line, column: col };
    }),
    commentBefore: doc.commentBefore,
    toData: (maxAliasCount) => doc.toJS({ maxAliasCount }),
  }));
}

/** One YAML document as plain data; throws a message whose first line says what is wrong. */
export function parseYamlValue(text: string, maxAliasCount: number): unknown {
  return parse(text, { maxAliasCount });
}
