// Bare MCP 2026-07-28 requests: one HTTP POST each, with the per-request
// `_meta` the stateless revision requires. For what the SDK clients do not
// (yet) speak: the tasks extension, and hand-made request states.

export const VERSION = '2026-07-28';
export const TASKS = 'io.modelcontextprotocol/tasks';

/** The name-shaped parameter the `Mcp-Name` header mirrors (SEP-2243). */
function mcpName(method, params) {
  if (method.startsWith('tasks/')) return params.taskId;
  return method === 'resources/read' ? params.uri : params.name;
}

/**
 * Sends `method` with `params` to `url`; `capabilities` are the client's.
 * Resolves to the HTTP status and the JSON-RPC response.
 */
export async function post(url, method, params = {}, { capabilities = { elicitation: {} }, headers = {}, signal } = {}) {
  const name = mcpName(method, params);
  const response = await fetch(url, {
    method: 'POST',
    signal,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': VERSION,
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': VERSION,
          'io.modelcontextprotocol/clientCapabilities': capabilities,
          'io.modelcontextprotocol/clientInfo': { name: 'e2e', version: '1' },
        },
      },
    }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: JSON.parse(lastMessage(await response.text())) };
}

/** Polls `tasks/get` until the task is terminal (or `ms` pass). */
export async function settled(url, taskId, { capabilities, ms = 120_000 } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await post(url, 'tasks/get', { taskId }, { capabilities });
    if (body.error) throw new Error(`tasks/get: ${JSON.stringify(body.error)}`);
    if (['completed', 'failed', 'cancelled'].includes(body.result.status)) return body.result;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${body.result.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A raw dispatcher for @modelcontextprotocol/ext-tasks: sends one JSON-RPC
 * request (already framed with its `_meta`) and resolves to the response.
 */
export function rawDispatch(url) {
  let id = 0;
  return async (request) => {
    const params = request.params ?? {};
    const name = mcpName(request.method, params);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': VERSION,
        'mcp-method': request.method,
        ...(name ? { 'mcp-name': name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, ...request }),
    });
    return JSON.parse(lastMessage(await response.text()));
  };
}

/** A JSON body, or the last data line of an SSE stream. */
function lastMessage(text) {
  return text.trimStart().startsWith('{')
    ? text
    : text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).filter((l) => l.trim()).at(-1);
}
