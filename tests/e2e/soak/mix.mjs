// What one soak client does, call after call: a realistic mix of what
// people ask a Kubernetes MCP server, each operation checking its own answer.
// An operation resolves to `{ op, ok, result }`; `classify` in soak.mjs
// decides whether a failure was expected (a fault in progress, a limit, a
// policy) or not.

/** The bulk ConfigMaps the paged read walks through (soak.mjs creates them). */
export const BULK = { namespace: 'soak', label: 'soak=bulk', count: 300 };

const pick = (weights, random) => {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let at = random() * total;
  for (const [op, w] of weights) {
    if ((at -= w) < 0) return op;
  }
  return weights.at(-1)[0];
};

/** Weights per kind of client: writers may use kube-ops, viewers may not. */
export function weightsFor({ kind, writer }) {
  const weights = [
    ['tools/list', 8],
    ['read-small', 24],
    ['read-paged', 8],
    ['read-env-b', 10],
    ['greeter', 14],
  ];
  if (writer) weights.push(['dry-run-write', 10], ['round-trip-write', 5]);
  else weights.push(['denied-write', 4]);
  if (kind === 'stateless') weights.push(['task', 4], ['dropped', 4]);
  return weights;
}

export function nextOp(weights, random = Math.random) {
  return pick(weights, random);
}

/**
 * Runs `op` as `caller`; `expect` gives what a listing must contain
 * (`check(tools)` returns a complaint or null).
 */
export async function run(op, caller, { client, expect }) {
  switch (op) {
    case 'tools/list': {
      const listed = await caller.listTools();
      if (!listed.ok) return listed;
      const complaint = expect.listing(listed.tools);
      return complaint ? { ok: false, error: complaint } : { ok: true };
    }
    case 'read-small': {
      const r = await caller.call('list_pods', { namespace: 'demo' });
      return r.ok && !(r.structured?.rows?.length > 0) ? { ...r, ok: false, error: `no rows: ${r.text.slice(0, 200)}` } : r;
    }
    case 'read-paged': {
      // Every page within the budget, the continue tokens covering the
      // bulk ConfigMaps exactly once.
      const names = new Set();
      let token;
      for (let page = 0; page < 20; page++) {
        const r = await caller.call('list_config_maps', {
          namespace: BULK.namespace, labelSelector: BULK.label, limit: 50, ...(token ? { continue: token } : {}),
        });
        if (!r.ok) return r;
        for (const row of r.structured?.rows ?? []) names.add(row.Name ?? row.name);
        token = r.structured?.continue;
        if (!token) break;
      }
      return names.size === BULK.count ? { ok: true } : { ok: false, error: `paged read saw ${names.size} of ${BULK.count} ConfigMaps` };
    }
    case 'read-env-b': {
      const r = await caller.call('get_config_map', { namespace: 'east', name: 'cluster-identity', context: 'env-b' });
      return r.ok && !/cluster-b/.test(r.text) ? { ...r, ok: false, error: `not env-b's ConfigMap: ${r.text.slice(0, 200)}` } : r;
    }
    case 'greeter': {
      const r = await caller.call(Math.random() < 0.5 ? 'hello' : 'slow_greet');
      return r.ok && !/^hello from /.test(r.text) ? { ...r, ok: false, error: `unexpected greeting: ${r.text}` } : r;
    }
    case 'dry-run-write': {
      const r = await caller.call('resources_scale', { kind: 'Deployment', namespace: 'demo', name: 'web', replicas: 3, dryRun: true });
      return r.ok && !/web/.test(r.text) ? { ...r, ok: false, error: `not about demo/web: ${r.text.slice(0, 200)}` } : r;
    }
    case 'round-trip-write': {
      // Asks the user (elicitation in a session, `input_required` when
      // stateless); accepted, then applied.
      const manifest = JSON.stringify({
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: { name: `written-by-${client}`, namespace: BULK.namespace, labels: { soak: 'written' } },
        data: { at: new Date().toISOString() },
      });
      return caller.call('resources_apply', { manifest });
    }
    case 'denied-write': {
      const r = await caller.call('resources_scale', { kind: 'Deployment', namespace: 'demo', name: 'web', replicas: 3, dryRun: true });
      // Policy hides kube-ops from viewers: refused, never run.
      return r.ok ? { ok: false, error: `a viewer's kube-ops call ran: ${r.text.slice(0, 200)}` } : { ...r, denied: true };
    }
    case 'task': {
      const r = await caller.call('slow_compute', { seconds: 0.5, label: client });
      if (r.ok && !r.task) return { ...r, ok: false, error: 'slow_compute did not go on as a task' };
      return r.ok && !/^computed /.test(r.text) ? { ...r, ok: false, error: `unexpected task result: ${r.text}` } : r;
    }
    case 'dropped': {
      // The client gives up mid-request: the connection is closed under the
      // server. Nothing to check here; the server must not mind.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 1 + Math.random() * 30);
      const r = await caller.call('list_config_maps', { namespace: BULK.namespace, labelSelector: BULK.label, limit: 200 }, { signal: controller.signal });
      clearTimeout(timer);
      return { ...r, dropped: true };
    }
    default:
      throw new Error(`unknown operation ${op}`);
  }
}
