/**
 * A small JSON Schema (2020-12) checker for the subset the OpenAPI document uses (`type`,
 * `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`, `anyOf`, `oneOf`,
 * `allOf`, bounds, local `$ref`), so tests can check real answers against the document
 * without another dependency. Returns the problems, each with the path it is at.
 */
type Schema = Record<string, unknown> | boolean;

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The problems of `value` against `schema`; `root` resolves `#/…` references. */
export function checkJsonSchema(value: unknown, schema: Schema, root: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, segment) => (node as Record<string, unknown> | undefined)?.[segment], root);
    if (target === undefined) return [`${path}: unresolved $ref ${schema.$ref}`];
    return checkJsonSchema(value, target as Schema, root, path);
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => typeMatches(type, value)))
      return [`${path}: expected ${types.join(' or ')}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  }
  if (schema.const !== undefined && !deepEqual(schema.const, value)) problems.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => deepEqual(option, value))) {
    problems.push(
      `${path}: expected one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${path}: above ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) problems.push(`${path}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) problems.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) => problems.push(...checkJsonSchema(item, schema.items as Schema, root, `${path}[${index}]`)));
  }
  if (typeMatches('object', value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!Object.hasOwn(object, name)) problems.push(`${path}.${name}: is required`);
    }
    for (const [name, item] of Object.entries(object)) {
      if (Object.hasOwn(properties, name)) problems.push(...checkJsonSchema(item, properties[name]!, root, `${path}.${name}`));
      else if (schema.additionalProperties !== undefined) {
        problems.push(...checkJsonSchema(item, schema.additionalProperties as Schema, root, `${path}.${name}`));
      }
    }
  }
  if (Array.isArray(schema.allOf)) for (const part of schema.allOf as Schema[]) problems.push(...checkJsonSchema(value, part, root, path));
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const options = schema[keyword] as Schema[] | undefined;
    if (!Array.isArray(options)) continue;
    const matching = options.filter((option) => checkJsonSchema(value, option, root, path).length === 0).length;
    if (matching === 0 || (keyword === 'oneOf' && matching > 1)) {
      problems.push(`${path}: matches ${matching} of the ${options.length} ${keyword} options`);
    }
  }
  return problems;
}
