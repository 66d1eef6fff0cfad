import type { Command } from 'commander';
import { z } from 'zod';
import { CONFIG_SCHEMA } from '../drivers/registry.js';
import { UpdateFileSchema } from '../core/update-schema.js';
import { CliExit, EXIT } from './exit.js';
import type { Io } from './io.js';
import { schemaMarkdown } from './schema-docs.js';

export const SCHEMAS = { update: UpdateFileSchema, config: CONFIG_SCHEMA } as const;

/** The published JSON Schema, generated from the same zod schema that validates. */
export function jsonSchema(kind: keyof typeof SCHEMAS): unknown {
  return z.toJSONSchema(SCHEMAS[kind], { io: 'input', unrepresentable: 'any' });
}

export function registerSchema(program: Command, io: Io, setStatus: (s: number) => void): void {
  program.command('schema')
    .description('print the JSON Schema of update files or of sluice.yaml')
    .argument('<kind>', 'update or config')
    .option('--markdown', 'print the reference table used in docs/ instead')
    .action((kind: string, opts: { markdown?: boolean }) => {
      if (kind !== 'update' && kind !== 'config') throw new CliExit(EXIT.usage, `unknown schema "${kind}": use update or config`, 'E_USAGE');
      io.out(opts.markdown ? `${schemaMarkdown(jsonSchema(kind))}\n` : `${JSON.stringify(jsonSchema(kind), null, 2)}\n`);
      setStatus(EXIT.ok);
    });
}
