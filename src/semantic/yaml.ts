import { LineCounter, isMap, isScalar, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import type { SemanticProblem, SourceLocation } from './ir.js';

/**
 * YAML documents that remember where every value came from, so each problem a parser or the
 * validator finds can name file, line and column. Parsers read plain JS values (`value`) and ask
 * `locate(path)` for positions.
 */
export interface LocatedDocument {
  file: string;
  /** The document as plain JS (maps, arrays, scalars). */
  value: unknown;
  /** Position of the value at a key path inside this document (nearest existing ancestor). */
  locate(path: readonly (string | number)[]): SourceLocation;
  /** Position of the key itself (where `key:` is written), for problems about the key; else as `locate`. */
  locateKey(path: readonly (string | number)[]): SourceLocation;
}

export interface ParsedYamlFile {
  file: string;
  documents: LocatedDocument[];
  problems: SemanticProblem[];
}

export function parseYamlFile(file: string, text: string): ParsedYamlFile {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [documents];
  const problems: SemanticProblem[] = [];
  const located: LocatedDocument[] = [];
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  for (const document of list as Document.Parsed[]) {
    for (const error of document.errors) {
      problems.push({
        severity: 'error',
        code: 'yaml_syntax',
        message: `YAML syntax error: ${error.message.split('\n')[0]}`,
        hint: 'Fix the YAML syntax (indentation, quotes, colons) at this position.',
        location: position(error.pos[0]),
      });
    }
    if (document.errors.length > 0) continue;
    const value = document.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    const locate = (path: readonly (string | number)[]): SourceLocation => {
      for (let depth = path.length; depth >= 0; depth--) {
        const node = (depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true)) as YamlNode | null | undefined;
        const offset = node?.range?.[0];
        if (offset !== undefined) return position(offset);
      }
      return { file, line: 1, column: 1 };
    };
    located.push({
      file,
      value,
      locate,
      locateKey(path) {
        const key = path[path.length - 1];
        const owner = path.length <= 1 ? document.contents : document.getIn(path.slice(0, -1), true);
        if (key !== undefined && isMap(owner)) {
          const pair = owner.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(key));
          const offset = (pair?.key as YamlNode | undefined)?.range?.[0];
          if (offset !== undefined) return position(offset);
        }
        return locate(path);
      },
    });
  }
  return { file, documents: located, problems };
}

