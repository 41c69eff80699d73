import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
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

/** Parses and validates YAML text. Errors never quote the file's text (it may hold keys). */
export function parseSiteConfig(text: string, file = 'config'): SiteConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)';
        return `${where}: YAML syntax error (${e.code})`;
      }),
    );
  }
  const result = siteSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    );
  }
  return result.data;
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
