// Reading a closed union back from a text column. A value outside the union means
// the database was written by a newer Sluice or by hand; failing loudly beats
// letting an unknown state flow into an exhaustive switch.

export function member<const T extends readonly string[]>(values: T, value: string, column: string): T[number] {
  if ((values as readonly string[]).includes(value)) return value as T[number];
  throw new TypeError(`${column} holds ${JSON.stringify(value)}, expected one of ${values.join(', ')}`);
}

export function optionalMember<const T extends readonly string[]>(
  values: T,
  value: string | null,
  column: string,
): T[number] | null {
  return value === null ? null : member(values, value, column);
}
