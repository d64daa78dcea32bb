/**
 * Write kube-mcp tool plugins in TypeScript or JavaScript.
 *
 * A plugin is a WebAssembly component targeting the `tool-plugin` world of
 * the `kube-mcp:plugin` WIT package, built with componentize-js. This
 * module gives the world's exports a typed shape: describe the plugin and
 * its tools once with {@link definePlugin}, and export what it returns.
 *
 * ```ts
 * import { definePlugin, tool, text } from '@kube-mcp/plugin';
 *
 * export const { toolProvider, toolExecution } = definePlugin({
 *   name: 'hello', version: '0.1.0', description: 'Greets.',
 *   tools: [
 *     tool<{ name: string }>({
 *       name: 'greet', description: 'Greets someone.',
 *       input: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
 *       readOnly: true,
 *       run: (args) => text(`Hello, ${args.name}!`),
 *     }),
 *   ],
 * });
 * ```
 *
 * What the SDK hides:
 * - The host's interfaces are imported under their versioned names
 *   (`kube-mcp:plugin/kubernetes@0.1.3`); use {@link kubernetes},
 *   {@link log}, {@link progress}, {@link config} and {@link client} instead.
 * - A `call-error` must cross as a thrown variant (`{tag, val}`): a thrown
 *   `Error` would trap the instance. `run` may throw anything; the SDK
 *   turns {@link InvalidArguments} into `invalid-arguments`, a Kubernetes
 *   error into a tool error result in the API's words, and any other error
 *   into a tool error result (and a log line with its stack).
 * - Arguments are parsed and checked against the tool's input schema before
 *   `run` sees them; a mismatch names the field.
 */

/// <reference path="./wit/app-plugin.d.ts" />

import * as kubernetes from 'kube-mcp:plugin/kubernetes@0.1.3';
import * as log from 'kube-mcp:plugin/log@0.1.3';
import * as progress from 'kube-mcp:plugin/progress@0.1.3';
import * as config from 'kube-mcp:plugin/config@0.1.3';
import * as client from 'kube-mcp:plugin/client@0.1.3';
import type {
  Caller,
  CallResult,
  Capability,
  Content,
  PluginInfo,
  Tool,
  ToolAnnotations,
} from 'kube-mcp:plugin/types@0.1.3';
import type { Execution, TaskSupport, ClientFeature } from 'kube-mcp:plugin/tool-execution@0.1.3';
import type { View, ToolView } from 'kube-mcp:plugin/app-provider@0.1.3';

export { kubernetes, log, progress, config, client };
export type { Caller, CallResult, Capability, Content, PluginInfo, Tool, ToolAnnotations };

/** A JSON Schema (2020-12) as a plain object. */
export type JsonSchema = { [keyword: string]: unknown };

/** An object schema: what a tool's input must be. */
export type ObjectSchema = JsonSchema & {
  type: 'object';
  properties?: { [name: string]: JsonSchema };
  required?: string[];
};

/** What a tool's `run` may return: a result, or text for a result. */
export type RunResult = CallResult | string;

/** A tool: its description for clients and the function that runs it. */
export interface ToolSpec<Args> {
  /** Unique across every plugin a server loads: `[a-zA-Z0-9_.-]{1,128}`. */
  name: string;
  title?: string;
  /** What the tool does and when to use it, written for a model. */
  description: string;
  /** JSON Schema of the arguments (`type: 'object'`). */
  input: ObjectSchema;
  /** JSON Schema of the structured content the tool returns, if any. */
  output?: JsonSchema;
  /** The tool only reads (MCP `readOnlyHint`); implies idempotent. */
  readOnly?: boolean;
  /** The tool may destroy things (MCP `destructiveHint`). */
  destructive?: boolean;
  /** Calling it again with the same arguments changes nothing more. */
  idempotent?: boolean;
  /** Whether the call may run as a task (MCP tasks extension). */
  taskSupport?: TaskSupport;
  /** Client features the tool cannot work without. */
  requires?: ClientFeature[];
  /**
   * MCP Apps: the URI of one of the plugin's {@link PluginSpec.views} that
   * renders this tool's results in clients that support them (the view
   * may then call the tool too). Other clients see the tool as before.
   */
  view?: string;
  /**
   * MCP Apps: who may call the tool. `['model']` by default (`['model',
   * 'app']` with a `view`); `['app']` hides it from the model and from
   * clients without MCP Apps, for views' own plumbing.
   */
  visibility?: Array<'model' | 'app'>;
  /** Runs a call with arguments already checked against `input`. */
  run(args: Args, caller: Caller): RunResult;
}

/** A tool as {@link definePlugin} takes it. */
export interface ToolDefinition {
  readonly spec: ToolSpec<any>;
}

/** Describes a tool whose arguments have the type `Args`. */
export function tool<Args = Record<string, unknown>>(spec: ToolSpec<Args>): ToolDefinition {
  return { spec };
}

/** One Kubernetes capability a plugin requests (see `types.wit`). */
export interface CapabilitySpec {
  /** get, list, watch, create, update, patch, delete. */
  verbs: string[];
  /** API groups; default `['']`, the core group. */
  apiGroups?: string[];
  /** Plural resource names, optionally with a subresource: `pods/log`. */
  resources: string[];
  /** Namespaces, `*` for any; empty for cluster-scoped resources only. */
  namespaces: string[];
}

/** A view (MCP Apps) a plugin ships: one self-contained HTML document. */
export interface ViewSpec {
  /** `ui://<plugin name>/<path>`. */
  uri: string;
  name: string;
  title?: string;
  description?: string;
  /** The whole document, scripts and styles inline (at most 512 KiB). */
  html: string;
  /**
   * Origins the view asks to reach (CSP). The server declares only those
   * its operator granted (`plugins.overrides.<plugin>.apps.domains`).
   */
  connectDomains?: string[];
  resourceDomains?: string[];
  frameDomains?: string[];
  baseUriDomains?: string[];
  /** Whether the client should frame the view. */
  prefersBorder?: boolean;
}

/** The plugin: what it says about itself and its tools. */
export interface PluginSpec {
  /** Lowercase letters, digits and `-`; the operator's grants name it. */
  name: string;
  version: string;
  description: string;
  /** The Kubernetes access the plugin needs; none by default. */
  capabilities?: CapabilitySpec[];
  tools: ToolDefinition[];
  /** Views (MCP Apps) its tools show; none by default. */
  views?: ViewSpec[];
}

/**
 * The world's exports: `export const { toolProvider, toolExecution } =
 * definePlugin(...)` for the `tool-plugin` world, and `appProvider` too for
 * `app-plugin` (a plugin with views).
 */
export interface PluginExports {
  toolProvider: {
    describe(): PluginInfo;
    tools(): Tool[];
    callTool(name: string, args: string, caller: Caller): CallResult;
  };
  toolExecution: {
    executions(): Execution[];
  };
  appProvider: {
    views(): View[];
    toolViews(): ToolView[];
  };
}

/**
 * Thrown by a tool's `run` when its arguments are wrong in a way the
 * schema cannot say; the client sees `invalid arguments: <message>`.
 */
export class InvalidArguments extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArguments';
  }
}

/** Builds the exports of a plugin. Checks the description at once. */
export function definePlugin(spec: PluginSpec): PluginExports {
  const byName = new Map<string, ToolSpec<any>>();
  for (const { spec: t } of spec.tools) {
    if (byName.has(t.name)) throw new Error(`tool '${t.name}' is declared twice`);
    if (t.input?.type !== 'object') throw new Error(`tool '${t.name}': input must be a schema with type 'object'`);
    byName.set(t.name, t);
  }
  const info: PluginInfo = {
    name: spec.name,
    version: spec.version,
    description: spec.description,
    capabilities: (spec.capabilities ?? []).map((c) => ({
      verbs: c.verbs,
      apiGroups: c.apiGroups ?? [''],
      resources: c.resources,
      namespaces: c.namespaces,
    })),
  };
  const tools: Tool[] = [...byName.values()].map(describeTool);
  const executions: Execution[] = [...byName.values()]
    .filter((t) => t.taskSupport !== undefined || (t.requires?.length ?? 0) > 0)
    .map((t) => ({ tool: t.name, taskSupport: t.taskSupport ?? 'forbidden', requires: t.requires ?? [] }));
  const views: View[] = (spec.views ?? []).map((v) => ({
    uri: v.uri,
    name: v.name,
    title: v.title,
    description: v.description,
    html: v.html,
    csp: {
      connectDomains: v.connectDomains ?? [],
      resourceDomains: v.resourceDomains ?? [],
      frameDomains: v.frameDomains ?? [],
      baseUriDomains: v.baseUriDomains ?? [],
    },
    permissions: {},
    prefersBorder: v.prefersBorder,
  }));
  for (const t of byName.values()) {
    if (t.view !== undefined && !views.some((v) => v.uri === t.view)) {
      throw new Error(`tool '${t.name}' shows view '${t.view}', which is not one of the plugin's views`);
    }
    if (t.visibility !== undefined && t.visibility.length === 0) {
      throw new Error(`tool '${t.name}': visibility must name 'model', 'app' or both`);
    }
  }
  const toolViews: ToolView[] = [...byName.values()]
    .filter((t) => t.view !== undefined || t.visibility !== undefined)
    .map((t) => {
      const visibility = t.visibility ?? (t.view !== undefined ? ['model', 'app'] : ['model']);
      return { tool: t.name, view: t.view, visibility: { model: visibility.includes('model'), app: visibility.includes('app') } };
    });
  return {
    toolProvider: {
      describe: () => info,
      tools: () => tools,
      callTool: (name, args, caller) => callTool(byName, name, args, caller),
    },
    toolExecution: { executions: () => executions },
    appProvider: { views: () => views, toolViews: () => toolViews },
  };
}

function describeTool(t: ToolSpec<any>): Tool {
  const annotations: ToolAnnotations = {};
  if (t.readOnly) {
    Object.assign(annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true });
  } else if (t.destructive !== undefined || t.idempotent !== undefined) {
    annotations.readOnlyHint = false;
  }
  if (t.destructive !== undefined) annotations.destructiveHint = t.destructive;
  if (t.idempotent !== undefined) annotations.idempotentHint = t.idempotent;
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: JSON.stringify(t.input),
    outputSchema: t.output === undefined ? undefined : JSON.stringify(t.output),
    annotations,
  };
}

function callTool(tools: Map<string, ToolSpec<any>>, name: string, json: string, caller: Caller): CallResult {
  const t = tools.get(name);
  // Thrown as the WIT variant: the host answers with a protocol error.
  if (t === undefined) throw { tag: 'unknown-tool', val: name };
  let args: unknown;
  try {
    args = json.trim() === '' ? {} : JSON.parse(json);
  } catch (e) {
    throw { tag: 'invalid-arguments', val: `not JSON: ${messageOf(e)}` };
  }
  const problem = checkValue(t.input, args, '');
  if (problem !== undefined) throw { tag: 'invalid-arguments', val: problem };
  try {
    const result = t.run(args, caller);
    return typeof result === 'string' ? text(result) : result;
  } catch (e) {
    if (e instanceof InvalidArguments) throw { tag: 'invalid-arguments', val: e.message };
    const kube = kubeErrorMessage(e);
    if (kube !== undefined) return error(kube);
    log.write('error', `tool '${name}' failed: ${e instanceof Error && e.stack ? e.stack : messageOf(e)}`);
    return error(`${name} failed: ${messageOf(e)}`);
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
}

// ---------------------------------------------------------------- results

/** A successful result holding one text item. */
export function text(value: string): CallResult {
  return { content: [{ tag: 'text', val: { text: value } }], isError: false };
}

/** A failed result the model sees (`isError: true`) with one text item. */
export function error(value: string): CallResult {
  return { content: [{ tag: 'text', val: { text: value } }], isError: true };
}

/** `value` as structured content, and as JSON text for clients that read only text. */
export function json(value: unknown): CallResult {
  const encoded = JSON.stringify(value);
  return { content: [{ tag: 'text', val: { text: encoded } }], structuredContent: encoded, isError: false };
}

/**
 * A page from `kubernetes.listPage` as a result: its text (with the line
 * saying what follows, if more does) and its rows as structured content.
 */
export function pageResult(page: kubernetes.Page): CallResult {
  const body = page.more === undefined ? page.text : `${page.text}\n${page.more}`;
  return { content: [{ tag: 'text', val: { text: body } }], structuredContent: page.structured, isError: false };
}

// ------------------------------------------------------------- kubernetes

/** The core group's pods, deployments of `apps`...: `resourceType('apps/v1', 'deployments')`. */
export function resourceType(apiVersion: string, resource: string): kubernetes.ResourceType {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion, resource }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), resource };
}

/** List options with only what you set (the bindings want every field). */
export function listOptions(options: Partial<kubernetes.ListOptions> = {}): kubernetes.ListOptions {
  return { ...options };
}

/** Page options: the server's format and budget unless you set them. */
export function pageOptions(options: Partial<kubernetes.PageOptions> = {}): kubernetes.PageOptions {
  return { wide: false, ...options };
}

/** Patch options: a real patch of the object itself unless you set them (package 0.1.1). */
export function patchOptions(options: Partial<kubernetes.PatchOptions> = {}): kubernetes.PatchOptions {
  return { dryRun: false, ...options };
}

/** Exec options: the pod's only container, no stdin, the host's timeout and the plugin's output limit unless you set them (package 0.1.1). */
export function execOptions(options: Partial<kubernetes.ExecOptions> = {}): kubernetes.ExecOptions {
  return { ...options };
}

/** Proxy options: the target's default port, no query, the host's timeout and the plugin's output limit unless you set them (package 0.1.1). */
export function proxyOptions(options: Partial<kubernetes.ProxyOptions> = {}): kubernetes.ProxyOptions {
  return { ...options };
}

/** The Kubernetes error an import threw, if `e` is one. */
export function kubeError(e: unknown): kubernetes.Error | undefined {
  const payload = (e as { payload?: unknown } | null)?.payload ?? e;
  const tag = (payload as { tag?: unknown } | null)?.tag;
  return typeof tag === 'string' && KUBE_ERRORS.has(tag) ? (payload as kubernetes.Error) : undefined;
}

const KUBE_ERRORS = new Set([
  'not-found', 'forbidden', 'conflict', 'invalid', 'unauthorized', 'timeout',
  'unavailable', 'denied-by-grant', 'bad-request', 'other',
]);

/**
 * One line for a model or a user, if `e` is a Kubernetes error: the kind
 * of failure and the API server's (or the host's) own words.
 */
export function kubeErrorMessage(e: unknown): string | undefined {
  const err = kubeError(e);
  if (err === undefined) return undefined;
  switch (err.tag) {
    case 'unavailable':
      return `the cluster is unavailable: ${err.val}`;
    case 'bad-request':
      return `bad request: ${err.val}`;
    case 'denied-by-grant': {
      const d = err.val;
      const what = `${d.group === '' ? '' : `${d.group}/`}${d.resource}${d.namespace === undefined ? '' : ` in namespace ${d.namespace}`}`;
      return `denied by grant: ${d.verb} on ${what} is not allowed for this plugin (${d.reason})`;
    }
    default:
      return `${err.val.reason} (${err.val.code}): ${err.val.message}`;
  }
}

// --------------------------------------------------------------- arguments

/**
 * Why `value` does not match `schema`, naming the place, or undefined when
 * it does. Checks what tool inputs use: `type`, `properties`, `required`,
 * `additionalProperties: false`, `items`, `enum`, `minimum`/`maximum`.
 */
export function checkValue(schema: JsonSchema, value: unknown, at: string): string | undefined {
  const where = at === '' ? '' : `${at}: `;
  const type = schema.type;
  if (typeof type === 'string' && !hasType(value, type)) {
    return `${where}expected ${article(type)}, got ${describeValue(value)}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((v) => JSON.stringify(v) === JSON.stringify(value))) {
    return `${where}must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return `${where}must be at least ${schema.minimum}`;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return `${where}must be at most ${schema.maximum}`;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const name of (schema.required ?? []) as string[]) {
      if (!(name in object)) return `${at === '' ? '' : `${at}.`}${name}: missing (required)`;
    }
    for (const [name, field] of Object.entries(object)) {
      const path = at === '' ? name : `${at}.${name}`;
      const fieldSchema = properties[name];
      if (fieldSchema === undefined) {
        if (schema.additionalProperties === false) return `${path}: unknown field`;
        continue;
      }
      const problem = checkValue(fieldSchema, field, path);
      if (problem !== undefined) return problem;
    }
  }
  if (Array.isArray(value) && schema.items !== null && typeof schema.items === 'object') {
    for (let i = 0; i < value.length; i++) {
      const problem = checkValue(schema.items as JsonSchema, value[i], `${at}[${i}]`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    case 'array': return Array.isArray(value);
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null': return value === null;
    default: return true;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
