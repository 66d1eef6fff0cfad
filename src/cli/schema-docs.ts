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

export function schemaMarkdown(schema: unknown): string {
  const rows: string[] = ['| field | type | required | default | meaning |', '| --- | --- | --- | --- | --- |'];
  walk(schema as JsonSchema, '', rows);
  return `${BEGIN}\n${rows.join('\n')}\n${END}`;
}

function walk(s: JsonSchema, prefix: string, rows: string[], seen = new Set<string>()): void {
  for (const [key, prop] of Object.entries(s.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    // Alternatives of a union (the kinds of source) share fields such as `type`: list each once.
    if (seen.has(path)) continue;
    seen.add(path);
    const required = s.required?.includes(key) && prop.default === undefined ? 'yes' : 'no';
    const dflt = prop.default === undefined ? '' : `\`${JSON.stringify(prop.default)}\``;
    rows.push(`| \`${path}\` | ${typeName(prop)} | ${required} | ${dflt} | ${(prop.description ?? '').replace(/\|/g, '\\|')} |`);
    const inner = elementOf(prop);
    for (const alt of inner ? objectsIn(inner) : []) walk(alt, `${path}${prop.items ? '[]' : '.*'}`, rows, seen);
    if (prop.properties) walk(prop, path, rows, seen);
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
