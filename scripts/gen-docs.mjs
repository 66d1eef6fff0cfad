/* global console */
// Regenerates the reference tables of docs/update-format.md and docs/configuration.md from
// the schemas (`npm run docs`); the docs tests fail until this has been run after a change.
import { readFileSync, writeFileSync } from 'node:fs';
import { jsonSchema } from '../dist/src/cli/schema.js';
import { BEGIN, END, schemaMarkdown } from '../dist/src/cli/schema-docs.js';

for (const [kind, file] of [['update', 'docs/update-format.md'], ['config', 'docs/configuration.md']]) {
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(BEGIN);
  const to = text.indexOf(END) + END.length;
  if (from < 0 || to < END.length) throw new Error(`${file}: no generated-table markers`);
  writeFileSync(file, text.slice(0, from) + schemaMarkdown(jsonSchema(kind)) + text.slice(to));
  console.log(`regenerated the table in ${file}`);
}
