/**
 * Renders the reference tables of docs/update-format.md and docs/configuration.md from the
 * JSON Schema, so the docs cannot drift from the validator (a test compares them).
 */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
}

export const BEGIN = '<!-- BEGIN GENERATED: sluice schema --markdown -->';
export const END = '<!-- END GENERATED -->';

interface Row { readonly path: string; readonly types: string[]; readonly required: string; readonly dflt: string; readonly meaning: string }

export function schemaMarkdown(schema: unknown): string {
  const rows = new Map<string, Row>();
  walk(schema as JsonSchema, '', rows);
  const lines = [...rows.values()].map((r) => `| \`${r.path}\` | ${r.types.join(' or ')} | ${r.required} | ${r.dflt} | ${r.meaning} |`);
  return `${BEGIN}\n${['| field | type | required | default | meaning |', '| --- | --- | --- | --- | --- |', ...lines].join('\n')}\n${END}`;
}

function walk(s: JsonSchema, prefix: string, rows: Map<string, Row>): void {
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    // Alternatives of a union (the kinds of source) share fields such as `type`: one row
    // each, the first one's meaning, every alternative's type.
    const seen = rows.get(path);
    if (seen) {
      if (!seen.types.includes(typeName(prop))) seen.types.push(typeName(prop));
      continue;
    }
    const required = s.required?.includes(key) && prop.default === undefined ? 'yes' : 'no';
    const dflt = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
    rows.set(path, { path, types: [typeName(prop)], required, dflt, meaning: (prop.description ?? '').replace(/\|/g, '\\|') });
    const inner = elementOf(prop);
    for (const alt of inner ? objectsIn(inner) : []) walk(alt, `${path}${prop.items ? '[]' : '.*'}`, rows);
    if (prop.properties) walk(prop, path, rows);
  }
}

function elementOf(s: JsonSchema): JsonSchema | undefined {
  if (s.items) return s.items;
  if (typeof s.additionalProperties === 'object') return s.additionalProperties;
  return undefined;
}

/** The object shapes a schema allows, looking through unions and nullables. */
function objectsIn(s: JsonSchema): JsonSchema[] {
  if (s.properties) return [s];
  return (s.anyOf ?? s.oneOf ?? []).flatMap(objectsIn);
}

function typeName(s: JsonSchema): string {
  // A string constant reads as an enum's value does (a kind of source's `type`).
  if (typeof s.const === 'string') return `\`${s.const}\``;
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${String(e)}\``).join(' or ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return [...new Set(alts.map(typeName))].join(' or ');
  if (s.type === 'array') return `list of ${s.items ? typeName(s.items) : 'values'}`;
  if (s.type === 'object' && s.properties) return 'mapping';
  if (s.type === 'object' && typeof s.additionalProperties === 'object') return `mapping of ${typeName(s.additionalProperties)}`;
  if (Array.isArray(s.type)) return s.type.join(' or ');
  return s.type ?? 'any';
}
