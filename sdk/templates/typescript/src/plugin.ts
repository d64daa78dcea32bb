// {{name}}: a kube-mcp plugin. One tool, `{{tool}}`, lists the pods of a
// namespace through the host's `kubernetes` interface, within the grant
// the operator gives this plugin. Clients that support MCP Apps show its
// answer in the plugin's view (src/view.html); others get the table as text.

import { definePlugin, kubernetes, log, pageResult, progress, resourceType, tool } from '@kube-mcp/plugin';

// The view's whole document, bundled in as text by build.mjs.
import viewHtml from './view.html';

const VIEW = 'ui://{{name}}/pods';

interface PodsArgs {
  /** The namespace to list pods in. */
  namespace: string;
  /** Only pods with these labels, e.g. `app=web`. */
  labelSelector?: string;
}

export const { toolProvider, toolExecution, appProvider } = definePlugin({
  name: '{{name}}',
  version: '0.1.0',
  description: 'Lists pods.',
  // What the plugin asks for. The operator grants it (or less) in the
  // server's `plugins.grants.{{name}}`.
  capabilities: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'], namespaces: ['*'] }],
  // Views (MCP Apps): self-contained HTML; no network unless the operator
  // grants origins (plugins.overrides.{{name}}.apps.domains).
  views: [{ uri: VIEW, name: 'pods', title: 'Pods', html: viewHtml, prefersBorder: true }],
  tools: [
    tool<PodsArgs>({
      name: '{{tool}}',
      description: 'Lists the pods of a namespace, as a table.',
      view: VIEW,
      input: {
        type: 'object',
        properties: {
          namespace: { type: 'string', description: 'The namespace to list pods in.' },
          labelSelector: { type: 'string', description: 'Only pods with these labels, e.g. `app=web`.' },
        },
        required: ['namespace'],
        additionalProperties: false,
      },
      readOnly: true,
      run(args, caller) {
        log.write('info', `${caller.subject} lists pods in ${args.namespace}`);
        progress.report(0, 1, 'listing pods');
        // Throws a Kubernetes error (denied by the grant, forbidden by
        // RBAC...); the SDK turns it into a tool error in the API's words.
        const page = kubernetes.listPage(
          resourceType('v1', 'pods'),
          { namespace: args.namespace, labelSelector: args.labelSelector },
          { wide: false },
        );
        progress.report(1, 1, undefined);
        return pageResult(page);
      },
    }),
  ],
});
