/**
 * GitHub's published OpenAPI description (from @octokit/openapi), reduced to the operations the
 * fake serves, compiled into JSON-schema validators with ajv.
 *
 * The 13 MB description is read once per process, on first use; only the operations listed in
 * OPERATION_IDS (and the components they reference) are kept, plus the bare list of every
 * operation's method and path, so that a request GitHub does not know can be told apart from one
 * the fake merely does not implement.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

/** The operations the fake implements, by GitHub's operationId. */
export const OPERATION_IDS = [
  'git/create-blob',
  'git/create-tree',
  'git/create-commit',
  'git/get-ref',
  'git/create-ref',
  'git/update-ref',
  'git/delete-ref',
  'pulls/list',
  'pulls/create',
  'pulls/get',
  'pulls/update',
  'pulls/merge',
  'pulls/check-if-merged',
  'pulls/request-reviewers',
  'issues/create-comment',
  'issues/list-comments',
  'issues/update-comment',
  'issues/add-labels',
  'issues/list-labels-on-issue',
  'repos/create-or-update-file-contents',
  'checks/create',
  'checks/update',
  'checks/list-for-ref',
  'checks/list-annotations',
] as const;

export type OperationId = (typeof OPERATION_IDS)[number];

const SPEC_ID = 'https://fake-github.invalid/openapi.json';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface QueryParam {
  /** 'integer' | 'number' | 'boolean' | 'string' | ...: how to coerce the raw query string. */
  type: string | undefined;
  validate: ValidateFunction;
}

/** One operation of the description, with validators for what goes in and comes out. */
export interface OperationSpec {
  operationId: OperationId;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/git/refs/{ref}`. */
  template: string;
  /** The operation's page in GitHub's REST docs (for `documentation_url`). */
  docsUrl: string;
  requestBodyRequired: boolean;
  validateRequest: ValidateFunction | undefined;
  query: Map<string, QueryParam>;
  /** Documented statuses: a validator for the JSON body, or null when no body is described. */
  responses: Map<string, ValidateFunction | null>;
}

interface PathMatcher {
  method: string;
  regex: RegExp;
  operationId: string;
}

/** The reduced description: validators for the fake's operations, and every operation's path. */
export class GitHubSpec {
  readonly operations = new Map<OperationId, OperationSpec>();
  private readonly matchers: PathMatcher[] = [];
  private readonly genericError: ValidateFunction;

  constructor(doc: JsonObject) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    const paths = doc.paths as Record<string, Record<string, JsonObject>>;
    const wanted = new Set<string>(OPERATION_IDS);
    const picked: { id: OperationId; method: string; template: string; op: JsonObject; pathParams: Json[] }[] = [];

    for (const [template, item] of Object.entries(paths)) {
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        this.matchers.push({ method: method.toUpperCase(), regex: templateRegex(template, item, op, doc), operationId: String(op.operationId) });
        if (wanted.has(String(op.operationId))) {
          picked.push({ id: op.operationId as OperationId, method: method.toUpperCase(), template, op, pathParams: (item.parameters as unknown as Json[] | undefined) ?? [] });
        }
      }
    }

    // A small document: the components the picked operations reference, plus their own schemas
    // under synthetic component names, so every `#/components/...` $ref resolves inside it.
    const components: Record<string, Record<string, Json>> = {};
    const synthetic: Record<string, Json> = {};
    const pending: string[] = [];
    const seen = new Set<string>();
    const collect = (node: Json): void => {
      if (Array.isArray(node)) return node.forEach(collect);
      if (node === null || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && !seen.has(value)) {
          seen.add(value);
          pending.push(value);
        } else collect(value);
      }
    };
    const deref = (node: Json): Json => {
      // Only for non-schema components (responses, parameters), which the fake reads directly.
      let cur = node;
      for (let i = 0; i < 10 && cur && typeof cur === 'object' && !Array.isArray(cur) && typeof cur.$ref === 'string'; i++) {
        cur = pointer(doc, cur.$ref);
      }
      return cur;
    };

    const ops: { spec: Omit<OperationSpec, 'validateRequest' | 'query' | 'responses'>; request?: string; query: [string, string | undefined, string][]; responses: [string, string | null][] }[] = [];
    for (const { id, method, template, op, pathParams } of picked) {
      const key = id.replace(/[^a-z0-9]+/gi, '-');
      const entry: (typeof ops)[number] = {
        spec: {
          operationId: id,
          method,
          template,
          docsUrl: String((op.externalDocs as JsonObject | undefined)?.url ?? 'https://docs.github.com/rest'),
          requestBodyRequired: false,
        },
        query: [],
        responses: [],
      };
      const body = deref(op.requestBody ?? null) as JsonObject | null;
      const bodySchema = (((body?.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema ?? null) as Json;
      if (body && bodySchema) {
        entry.spec.requestBodyRequired = body.required === true;
        entry.request = `x-op-${key}-request`;
        synthetic[entry.request] = bodySchema;
      }
      for (const raw of [...pathParams, ...((op.parameters as Json[]) ?? [])]) {
        const param = deref(raw) as JsonObject;
        if (param.in !== 'query' || !param.schema) continue;
        const name = `x-op-${key}-query-${String(param.name)}`;
        synthetic[name] = param.schema;
        entry.query.push([String(param.name), (param.schema as JsonObject).type as string | undefined, name]);
      }
      for (const [status, rawResponse] of Object.entries(op.responses as JsonObject)) {
        const response = deref(rawResponse) as JsonObject;
        const schema = ((response.content as JsonObject | undefined)?.['application/json'] as JsonObject | undefined)?.schema;
        if (schema === undefined) {
          entry.responses.push([status, null]);
        } else {
          const name = `x-op-${key}-response-${status}`;
          synthetic[name] = schema;
          entry.responses.push([status, name]);
        }
      }
      ops.push(entry);
    }
    collect(synthetic);
    while (pending.length) {
      const ref = pending.pop() as string;
      const parts = ref.replace(/^#\//, '').split('/').map(unescapePointer);
      if (parts[0] !== 'components' || parts.length !== 3) throw new Error(`unexpected $ref ${ref} in GitHub's description`);
      const [, kind = '', name = ''] = parts;
      const target = pointer(doc, ref);
      (components[kind] ??= {})[name] = target;
      collect(target);
    }
    (components.schemas ??= {})['x-generic-error'] = { $ref: '#/components/schemas/basic-error' };
    Object.assign(components.schemas, synthetic);
    if (!components.schemas['basic-error']) components.schemas['basic-error'] = pointer(doc, '#/components/schemas/basic-error');

    const mini = openApi30ToJsonSchema({ $id: SPEC_ID, components } as JsonObject) as JsonObject;
    for (const format of collectFormats(mini)) addFormat(ajv, format);
    ajv.addSchema(mini as object);
    const compile = (name: string): ValidateFunction => {
      const fn = ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`);
      if (!fn) throw new Error(`no schema ${name}`);
      return fn;
    };
    this.genericError = compile('x-generic-error');
    for (const entry of ops) {
      const query = new Map<string, QueryParam>();
      for (const [param, type, name] of entry.query) query.set(param, { type, validate: compile(name) });
      const responses = new Map<string, ValidateFunction | null>();
      for (const [status, name] of entry.responses) responses.set(status, name === null ? null : compile(name));
      this.operations.set(entry.spec.operationId, {
        ...entry.spec,
        validateRequest: entry.request ? compile(entry.request) : undefined,
        query,
        responses,
      });
    }
    for (const id of OPERATION_IDS) if (!this.operations.has(id)) throw new Error(`GitHub's description has no operation ${id}`);
  }

  operation(id: OperationId): OperationSpec {
    return this.operations.get(id) as OperationSpec;
  }

  /** The operationId of GitHub's operation for this method and path, if GitHub has one. */
  identify(method: string, pathname: string): string | undefined {
    return this.matchers.find((m) => m.method === method && m.regex.test(pathname))?.operationId;
  }

  /** Problems with a request's body and query, as messages; empty when it matches. */
  checkRequest(op: OperationSpec, body: unknown, hasBody: boolean, query: URLSearchParams): string[] {
    const problems: string[] = [];
    if (op.validateRequest) {
      if (!hasBody) {
        if (op.requestBodyRequired) problems.push('request body is required but missing');
      } else if (!op.validateRequest(body)) {
        problems.push(`request body: ${errorsText(op.validateRequest)}`);
      }
    } else if (hasBody) {
      problems.push('request body sent to an operation that takes none');
    }
    for (const [name, raw] of query) {
      const param = op.query.get(name);
      if (!param) continue; // GitHub ignores query parameters it does not know
      const value = coerce(raw, param.type);
      if (!param.validate(value)) problems.push(`query parameter ${name}=${JSON.stringify(raw)}: ${errorsText(param.validate)}`);
    }
    return problems;
  }

  /**
   * Problems with a response, as messages. A documented status is checked against its schema. GitHub
   * answers 401/403/404/429/5xx on every operation although each lists only some, so an error
   * status that is not documented, or documented without a body, is checked against the shape all
   * GitHub errors share (basic-error); an undocumented success status is itself a problem.
   */
  checkResponse(op: OperationSpec, status: number, body: unknown): string[] {
    const documented = op.responses.get(String(status));
    if (documented) return documented(body) ? [] : [`response ${status}: ${errorsText(documented)}`];
    if (status >= 400) {
      if (body === undefined) return [];
      return this.genericError(body) ? [] : [`response ${status} (GitHub error shape): ${errorsText(this.genericError)}`];
    }
    if (documented === null) return body === undefined ? [] : [`response ${status} is documented without a body but one was sent`];
    return [`status ${status} is not documented for ${op.operationId}`];
  }
}

let cached: GitHubSpec | undefined;

/** The reduced description, built on first call (about a second) and kept for the process. */
export function gitHubSpec(): GitHubSpec {
  if (!cached) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
    cached = new GitHubSpec(JSON.parse(readFileSync(file, 'utf8')) as JsonObject);
  }
  return cached;
}

function errorsText(fn: ValidateFunction): string {
  return (fn.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`)
    .join('; ');
}

function coerce(raw: string, type: string | undefined): unknown {
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

function unescapePointer(part: string): string {
  return decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointer(doc: JsonObject, ref: string): Json {
  let cur: Json = doc;
  for (const part of ref.replace(/^#\//, '').split('/').map(unescapePointer)) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(part in cur)) throw new Error(`unresolvable $ref ${ref}`);
    cur = cur[part] as Json;
  }
  return cur;
}

/** A regex for a path template; a parameter marked x-multi-segment (a Git ref) may hold slashes. */
function templateRegex(template: string, item: Record<string, JsonObject>, op: JsonObject, doc: JsonObject): RegExp {
  const multi = new Set<string>();
  for (const raw of [...((item.parameters as unknown as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])]) {
    let param = raw as JsonObject;
    if (typeof param.$ref === 'string') param = pointer(doc, param.$ref) as JsonObject;
    if (param['x-multi-segment'] === true) multi.add(String(param.name));
  }
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      return multi.has(m[1] as string) ? '(.+)' : '([^/]+)';
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * OpenAPI 3.0 schemas to JSON Schema for ajv: `nullable: true` becomes a 'null' type (and a null
 * enum member); on a schema without `type` (a `$ref`, `allOf`, ...) it becomes `anyOf [null, it]`.
 * `oneOf` becomes `anyOf` (see below).
 * Walks only schema positions, so a property *named* `nullable` or `type` is left alone.
 */
export function openApi30ToJsonSchema(root: JsonObject): Json {
  const schema = (node: Json): Json => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' || key === 'patternProperties' || key === 'definitions' || key === '$defs') {
        out[key] = mapValues(value, schema);
      } else if (key === 'items' || key === 'additionalProperties' || key === 'not' || key === 'additionalItems' || key === 'contains' || key === 'propertyNames') {
        out[key] = Array.isArray(value) ? value.map(schema) : schema(value);
      } else if (key === 'allOf' || key === 'anyOf') {
        out[key] = Array.isArray(value) ? value.map(schema) : value;
      } else if (key === 'oneOf') {
        // GitHub writes oneOf where the branches overlap (e.g. validation-error and
        // repository-rule-violation-error both accept `{message, documentation_url}`), so a
        // strict "exactly one" would reject every such body: read it as anyOf.
        out.anyOf = Array.isArray(value) ? value.map(schema) : value;
      } else if (key === 'nullable' || key === 'example' || key === 'examples' || key === 'discriminator' || key === 'xml' || key === 'externalDocs') {
        continue;
      } else {
        out[key] = value;
      }
    }
    if (node.nullable !== true) return out;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    if (Array.isArray(out.type)) {
      if (!out.type.includes('null')) out.type = [...out.type, 'null'];
      return out;
    }
    return { anyOf: [{ type: 'null' }, out] };
  };
  const components = root.components as Record<string, Record<string, Json>>;
  const converted: Record<string, Json> = {};
  for (const [kind, entries] of Object.entries(components)) {
    converted[kind] = kind === 'schemas' ? mapValues(entries as Json, schema) : (entries as Json);
  }
  return { ...root, components: converted as Json };
}

function mapValues(value: Json, fn: (v: Json) => Json): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

function collectFormats(node: Json, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => collectFormats(n, into));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'format' && typeof value === 'string') into.add(value);
      else collectFormats(value, into);
    }
  }
  return into;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** The formats GitHub's description uses, checked where that is cheap and meaningful. */
function addFormat(ajv: Ajv, format: string): void {
  switch (format) {
    case 'date-time':
      ajv.addFormat(format, (s: string) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)));
      return;
    case 'uri':
      ajv.addFormat(format, (s: string) => URL.canParse(s));
      return;
    case 'email':
      ajv.addFormat(format, /^[^\s@]+@[^\s@]+$/);
      return;
    case 'int32':
    case 'int64':
      ajv.addFormat(format, { type: 'number', validate: (n: number) => Number.isInteger(n) });
      return;
    default:
      // Formats such as `repo.nwo` or `uri-template`: accepted as they are.
      ajv.addFormat(format, true);
  }
}
