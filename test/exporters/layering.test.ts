import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXPORTERS = join(ROOT, 'src/exporters');
const ENGINE = join(ROOT, 'src/pmip');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** Every module specifier of a file: static imports and re-exports, and dynamic import(). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/g))
    found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

describe('the exporters read the collector only', () => {
  it('finds the specifiers of every import form (the check below would pass vacuously otherwise)', () => {
    const text = [
      "import type { A } from '../../pmip/events.ts';",
      "import {\n  b,\n  c,\n} from '../pmip/wire/reply-codes.ts';",
      "export { d } from './d.ts';",
      "import './side-effect.ts';",
      "const m = await import('../pmip/x.ts');",
    ].join('\n');
    expect(specifiers(text)).toEqual([
      '../../pmip/events.ts',
      '../pmip/wire/reply-codes.ts',
      './d.ts',
      './side-effect.ts',
      '../pmip/x.ts',
    ]);
  });

  it('has no file under src/exporters importing from src/pmip (the collector hands on the vocabulary)', () => {
    const files = sourceFiles(EXPORTERS);
    expect(files.length).toBeGreaterThan(30);
    const offending: string[] = [];
    let relativeImports = 0;
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        relativeImports++;
        const target = resolve(dirname(file), spec);
        if (target === ENGINE || target.startsWith(ENGINE + '/'))
          offending.push(`${relative(ROOT, file)} -> ${spec}`);
      }
    }
    expect(relativeImports).toBeGreaterThan(50);
    expect(offending).toEqual([]);
  });
});
