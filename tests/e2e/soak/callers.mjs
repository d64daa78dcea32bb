// The two kinds of MCP client the soak runs: a session client (the official
// TypeScript SDK over Streamable HTTP, 2025-11-25) and a stateless
// 2026-07-28 client (bare POSTs, as lib/stateless.mjs frames them). Both
// answer confirmations (elicitation, or `input_required` round trips) with
// "accept", and report every call the same way: `{ ok, isError, text,
// structured, status, error }`.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { TASKS, post } from '../lib/stateless.mjs';

const ACCEPT = { action: 'accept', content: { confirm: true } };

/** What a tool call came to, whichever client made it. */
function fromResult(result) {
  return {
    ok: result.isError !== true,
    isError: result.isError === true,
    text: result.content?.map((c) => c.text ?? '').join('\n') ?? '',
    structured: result.structuredContent,
  };
}

/** A failure before any result: HTTP status, JSON-RPC error or transport. */
function fromFailure(error, status) {
  return { ok: false, isError: false, status, error: String(error?.message ?? error) };
}

export class SessionCaller {
  kind = 'session';

  constructor(url, token, name) {
    this.url = url;
    this.token = token;
    this.name = name;
  }

  async connect() {
    this.client = new Client({ name: this.name, version: '1' }, { capabilities: { elicitation: {} } });
    this.client.setRequestHandler(ElicitRequestSchema, async () => ACCEPT);
    this.transport = new StreamableHTTPClientTransport(new URL(this.url), {
      requestInit: { headers: { authorization: `Bearer ${this.token}` } },
    });
    await this.client.connect(this.transport);
  }

  async listTools() {
    try {
      const { tools } = await this.client.listTools();
      return { ok: true, tools };
    } catch (error) {
      return fromFailure(error);
    }
  }

  async call(name, args = {}) {
    try {
      return fromResult(await this.client.callTool({ name, arguments: args }, undefined, { timeout: 90_000 }));
    } catch (error) {
      return fromFailure(error);
    }
  }

  async close() {
    try {
      await this.transport?.terminateSession();
    } catch { /* the server may be gone already */ }
    await this.client?.close().catch(() => {});
  }
}

export class StatelessCaller {
  kind = 'stateless';

  constructor(url, token, name) {
    this.url = url;
    this.token = token;
    this.name = name;
    this.capabilities = { elicitation: {}, extensions: { [TASKS]: {} } };
  }

  async connect() {}

  async send(method, params, { signal } = {}) {
    return post(this.url, method, params, {
      capabilities: this.capabilities,
      headers: { authorization: `Bearer ${this.token}` },
      signal,
    });
  }

  async listTools() {
    try {
      const { status, body } = await this.send('tools/list', {});
      if (body?.error || status !== 200) return fromFailure(body?.error?.message ?? `HTTP ${status}`, status);
      return { ok: true, tools: body.result.tools };
    } catch (error) {
      return fromFailure(error);
    }
  }

  /**
   * Calls `name`, answering every question it asks (a multi-round-trip
   * request) and following a task to its end.
   */
  async call(name, args = {}, { signal } = {}) {
    try {
      let params = { name, arguments: args };
      for (let round = 0; round < 4; round++) {
        const { status, body, retryAfter } = await this.send('tools/call', params, { signal });
        if (status !== 200 || body?.error) {
          return { ...fromFailure(body?.error?.message ?? `HTTP ${status}`, status), retryAfter };
        }
        const result = body.result;
        if (result.resultType === 'input_required') {
          const inputResponses = Object.fromEntries(Object.keys(result.inputRequests).map((key) => [key, ACCEPT]));
          params = { name, arguments: args, inputResponses, requestState: result.requestState };
          continue;
        }
        if (result.resultType === 'task') return { ...(await this.settle(result.taskId)), rounds: round + 1, task: true };
        return { ...fromResult(result), rounds: round + 1 };
      }
      return fromFailure('more than 4 rounds of questions');
    } catch (error) {
      return fromFailure(error);
    }
  }

  async settle(taskId) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { status, body } = await this.send('tasks/get', { taskId });
      if (status !== 200 || body?.error) return fromFailure(`tasks/get: ${body?.error?.message ?? `HTTP ${status}`}`, status);
      const task = body.result;
      if (task.status === 'completed') return fromResult(task.result);
      if (task.status === 'failed' || task.status === 'cancelled') return fromFailure(`task ${task.status}: ${JSON.stringify(task)}`);
      if (Date.now() > deadline) return fromFailure(`task ${taskId} still ${task.status} after 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async close() {}
}
