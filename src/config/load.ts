import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { formatPath } from '../pmip/wire/json.ts';
import { siteSchema, type SiteConfig } from './schema.ts';

/** A configuration that cannot be used: every problem, each as `path: rule`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
}

/**
 * Alias expansions allowed when the document becomes data (the yaml package's `maxAliasCount`, its
 * default): enough for anchors shared by a few access points, far too few for a "billion laughs"
 * document whose aliases multiply into gigabytes.
 */
export const MAX_ALIAS_COUNT = 100;

/** Parses and validates YAML text. Errors never quote the file's text (it may hold keys). */
export function parseSiteConfig(text: string, file = 'config'): SiteConfig {
  const lines = new LineCounter();
  // prettyErrors: false keeps the file's text out of the messages; positions come from `lines`.
  const doc = parseDocument(text, { prettyErrors: false, lineCounter: lines });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return `${file}:`;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}:`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `${at(e.pos[0])} YAML syntax error (${e.code})`),
    );
  }
  const data = documentData(doc, file, at);
  const result = siteSchema.safeParse(data ?? {});
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    );
  }
  return result.data;
}

/** The document as data; an unresolved alias or an alias bomb is a ConfigError, not a crash. */
function documentData(doc: Document, file: string, at: (offset: number | undefined) => string): unknown {
  const unresolved: string[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (!node.resolve(doc))
        unresolved.push(`${at(node.range?.[0])} YAML alias with no anchor before it (BAD_ALIAS)`);
    },
  });
  if (unresolved.length > 0) throw new ConfigError(file, unresolved);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // yaml throws a ReferenceError when the aliases expand beyond maxAliasCount.
    if (e instanceof ReferenceError)
      throw new ConfigError(file, [
        `${file}: YAML aliases expand too many times (maxAliasCount ${MAX_ALIAS_COUNT}): refused as an alias bomb ("billion laughs")`,
      ]);
    throw e;
  }
}

export function loadSiteConfig(file: string): SiteConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(file, [`(file): cannot be read (${code})`]);
  }
  return parseSiteConfig(text, file);
}
