// A server with some plugins and the grants an operator gave them, and a
// client of it that answers every confirmation with `answers.next` (accept,
// unless a test changes it) and records the questions. Shared by the tests
// of the first-party plugins that change the cluster.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { required } from './env.mjs';
import { builtPlugin, pluginsDir, startServer } from './server.mjs';

/** `yaml` in a file of its own; its path. */
export function configFile(yaml) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-config-')), 'config.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/**
 * `plugins` (names, or `[name, kind]` for test plugins) under `grants` (the
 * YAML below `plugins.grants`, starting with a newline) and `more` (further
 * YAML under `plugins`), without authentication, on the environment's cluster.
 */
export async function serveGranted(plugins, grants, more = '') {
  const server = await startServer({
    plugins: pluginsDir(...plugins.map((p) => (Array.isArray(p) ? builtPlugin(...p) : builtPlugin(p)))),
    args: ['--no-auth', '--kubeconfig', required('KUBECONFIG'), '--config', configFile(`
plugins:
  grants:${grants}
${more}`)],
  });
  const asked = [];
  const answers = { next: { action: 'accept', content: { confirm: true } } };
  const client = new Client({ name: 'e2e', version: '1' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, (request) => { asked.push(request.params.message); return answers.next; });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  const call = async (name, args = {}) => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    return { isError: result.isError === true, text: result.content[0]?.text ?? '', structured: result.structuredContent };
  };
  return { server, client, asked, answers, call };
}
