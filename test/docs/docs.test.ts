import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { STARTER_CONFIG } from '../../src/cli/init-template.js';
import { BEGIN, END, schemaMarkdown } from '../../src/cli/schema-docs.js';
import { jsonSchema } from '../../src/cli/schema.js';
import { parseConfigText } from '../../src/drivers/registry.js';
import { ERRORS, type ErrorSpec } from '../../src/core/errors.js';

/** Compiled to dist/test/docs/, so the project root is three directories up. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const registry = ERRORS as Record<string, ErrorSpec>;

/** Rows of the markdown tables in docs/errors.md whose first cell is a code in backticks. */
function documentedErrors(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of read('docs/errors.md').split('\n')) {
    const m = /^\|\s*`([EW]_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    assert.ok(!rows.has(m[1]), `${m[1]} is listed twice in docs/errors.md`);
    rows.set(m[1], m[2].split('|').map((cell) => cell.trim()));
  }
  return rows;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.isFile() && e.name.endsWith('.ts') ? [path] : [];
  });
}

const CODE_LITERAL = /'((?:E|W)_[A-Z0-9_]+)'/g;

/** The store's internal error type: its codes are reported to people as E_STORE. */
const STORE_ERRORS = 'src/store/errors.ts';

function storeInternalCodes(): Set<string> {
  const path = join(ROOT, STORE_ERRORS);
  if (!existsSync(path)) return new Set();
  return new Set([...readFileSync(path, 'utf8').matchAll(CODE_LITERAL)].map((m) => m[1] as string));
}

/** The text from the BEGIN marker to the END marker, both included. */
function generatedSection(doc: string, file: string): string {
  const start = doc.indexOf(BEGIN);
  assert.notEqual(start, -1, `${file} has no ${BEGIN} marker`);
  assert.equal(doc.indexOf(BEGIN, start + 1), -1, `${file} has two ${BEGIN} markers`);
  const end = doc.indexOf(END, start);
  assert.notEqual(end, -1, `${file} has no ${END} marker after ${BEGIN}`);
  return doc.slice(start, end + END.length);
}

describe('docs/errors.md', () => {
  it('lists every code of the error registry', () => {
    const documented = documentedErrors();
    const missing = Object.keys(ERRORS).filter((code) => !documented.has(code));
    assert.deepEqual(missing, [], 'codes in src/core/errors.ts missing from docs/errors.md');
  });

  it('lists no code the registry does not have', () => {
    const unknown = [...documentedErrors().keys()].filter((code) => !(code in ERRORS));
    assert.deepEqual(unknown, [], 'codes in docs/errors.md missing from src/core/errors.ts');
  });

  it('gives each code the exit and HTTP status of the registry', () => {
    for (const [code, cells] of documentedErrors()) {
      const spec = registry[code];
      if (!spec) continue;
      assert.equal(cells[0], String(spec.exit), `exit status of ${code}`);
      assert.equal(cells[1], String(spec.http), `HTTP status of ${code}`);
    }
  });
});

describe('the error registry', () => {
  it('has every code the sources use, the store\'s internal codes aside', () => {
    const internal = storeInternalCodes();
    const unregistered: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) {
        const code = m[1] as string;
        if (!(code in ERRORS) && !internal.has(code)) unregistered.push(`${relative(ROOT, file)}: ${code}`);
      }
    }
    assert.deepEqual(unregistered, [], `codes used in src/ but not in src/core/errors.ts (only ${STORE_ERRORS} may define others)`);
  });

  it('finds the codes it checks (the source scan is not vacuous)', () => {
    const used = new Set(sourceFiles(join(ROOT, 'src')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(CODE_LITERAL)].map((m) => m[1])));
    for (const code of ['E_UPDATE_INVALID', 'W_UNKNOWN_KEY', 'E_CONFIG_INVALID']) assert.ok(used.has(code), code);
  });
});

describe('generated reference tables', () => {
  for (const [file, kind] of [['docs/update-format.md', 'update'], ['docs/configuration.md', 'config']] as const) {
    it(`${file} holds exactly the output of "sluice schema ${kind} --markdown"`, () => {
      assert.equal(generatedSection(read(file), file), schemaMarkdown(jsonSchema(kind)),
        `regenerate the table: node bin/sluice.js schema ${kind} --markdown`);
    });
  }
});

describe('the starter configuration', () => {
  it('parses without problems', () => {
    const parsed = parseConfigText(STARTER_CONFIG, 'sluice.yaml');
    assert.deepEqual(parsed.ok ? [] : parsed.problems, []);
  });

  it('is shown verbatim in docs/configuration.md', () => {
    assert.ok(read('docs/configuration.md').includes(`\`\`\`yaml\n${STARTER_CONFIG}\`\`\``),
      'copy STARTER_CONFIG (src/cli/init-template.ts) into docs/configuration.md');
  });
});

describe('README.md', () => {
  it('lists every page of docs/ and no other, each under its own title', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Documentation'), readme.indexOf('\n## ', readme.indexOf('## Documentation') + 1));
    const listed = [...section.matchAll(/^- \[([^\]]+)\]\(docs\/([^)]+\.md)\)$/gm)].map((m) => ({ title: m[1] ?? '', file: m[2] ?? '' }));
    const pages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort();
    assert.deepEqual(listed.map((l) => l.file).sort(), pages, 'README.md\'s "Documentation" lists exactly the pages of docs/');
    for (const { title, file } of listed) {
      // The entry's words come from the page's own heading (shortened at a colon, backticks dropped).
      const heading = read(`docs/${file}`).split('\n')[0]?.replace(/^# /, '').replace(/`/g, '') ?? '';
      const words = title.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length > 3);
      assert.ok(words.some((w) => heading.toLowerCase().includes(w)), `README's "${title}" names docs/${file} ("${heading}")`);
    }
  });

  it('links only files that exist', () => {
    const readme = read('README.md');
    const missing = [...readme.matchAll(/\]\(((?:docs\/|[A-Z]+\.md)[^)#]*)\)/g)].map((m) => m[1] ?? '').filter((p) => !existsSync(join(ROOT, p)));
    assert.deepEqual(missing, []);
  });
});
