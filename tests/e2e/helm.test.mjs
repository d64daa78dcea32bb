// The Helm chart: lint and template with Helm v3 and v4, schema refusals,
// and install/uninstall of every values file into the environment's
// cluster, with the RBAC the values imply.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

import { kubectl, required } from './lib/env.mjs';

const run = promisify(execFile);
const chart = path.resolve(import.meta.dirname, '../../charts/kube-mcp');
const valuesFiles = fs.readdirSync(path.join(chart, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();
const helms = ['helm', 'helm4'];

async function helm(binary, ...args) {
  try {
    const { stdout, stderr } = await run(binary, args, { maxBuffer: 16 << 20, env: { ...process.env, KUBECONFIG: required('KUBECONFIG') } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? String(error) };
  }
}

/** The rendered manifests, split into objects (kind, name, and the text). */
function objects(rendered) {
  return rendered.split(/^---$/m).map((doc) => doc.trim()).filter(Boolean).map((doc) => ({
    kind: doc.match(/^kind: (\S+)/m)?.[1],
    name: doc.match(/^metadata:\n\s+name: (\S+)/m)?.[1],
    text: doc,
  }));
}

describe('chart lint and template', () => {
  for (const binary of helms) {
    test(`${binary}: lint and template the defaults and every values file`, async () => {
      const version = await helm(binary, 'version', '--short');
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, binary === 'helm' ? /^v3\./ : /^v4\./);
      for (const values of [null, ...valuesFiles]) {
        const extra = values ? ['-f', path.join(chart, 'ci', values)] : [];
        const lint = await helm(binary, 'lint', '--strict', chart, ...extra);
        assert.equal(lint.code, 0, `${values ?? 'defaults'}: ${lint.stdout}${lint.stderr}`);
        const template = await helm(binary, 'template', 'kube-mcp', chart, ...extra);
        assert.equal(template.code, 0, `${values ?? 'defaults'}: ${template.stderr}`);
        const kinds = objects(template.stdout).map((o) => o.kind);
        for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'PodDisruptionBudget']) {
          assert.ok(kinds.includes(kind), `${values ?? 'defaults'} renders a ${kind}`);
        }
      }
    });
  }

  test('allowed tools alone work: the default deny-list is not rendered beside them', async () => {
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, '-f', path.join(chart, 'ci/allowed-tools-values.yaml'));
    const config = objects(stdout).find((o) => o.kind === 'ConfigMap').text;
    assert.match(config, /allowed: \["list_pods","get_pod","pods_log"\]/);
    assert.doesNotMatch(config, /disallowed/);
  });

  test('impersonate mode grants the server the impersonate verb and nothing broader', async () => {
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, '-f', path.join(chart, 'ci/impersonate-values.yaml'));
    const role = objects(stdout).find((o) => o.kind === 'ClusterRole').text;
    const rules = role.slice(role.indexOf('rules:'));
    assert.match(rules, /verbs: \[impersonate\]/);
    assert.doesNotMatch(rules, /\b(get|list|watch|create|update|patch|delete)\b/);
  });

  test('every replica mounts one request-state key: a generated Secret, or the operator\'s', async () => {
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart);
    const secret = objects(stdout).find((o) => o.kind === 'Secret');
    assert.equal(secret?.name, 'kube-mcp-state-key', stdout);
    const key = secret.text.match(/^\s+state-key: (\S+)$/m)?.[1];
    assert.ok(Buffer.from(key, 'base64').length >= 32, `a key of 32 bytes or more: ${secret.text}`);
    const deployment = objects(stdout).find((o) => o.kind === 'Deployment').text;
    assert.match(deployment, /secretName: kube-mcp-state-key/);
    const config = objects(stdout).find((o) => o.kind === 'ConfigMap').text;
    assert.match(config, /stateKeyFile: \/etc\/kube-mcp\/state\/state-key/);
    const own = await helm('helm', 'template', 'kube-mcp', chart, '--set', 'mcp.stateKey.existingSecret=ops-key', '--set', 'mcp.stateKey.key=k');
    assert.equal(objects(own.stdout).filter((o) => o.kind === 'Secret').length, 0, 'no Secret is made beside the operator\'s');
    assert.match(objects(own.stdout).find((o) => o.kind === 'Deployment').text, /secretName: ops-key[\s\S]*key: k/);
  });

  test('the hardened pod and the config checksum', async () => {
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart);
    const deployment = objects(stdout).find((o) => o.kind === 'Deployment').text;
    for (const needle of ['runAsNonRoot: true', 'readOnlyRootFilesystem: true', 'allowPrivilegeEscalation: false',
      'type: RuntimeDefault', '- ALL', 'checksum/config:', 'path: /health', 'path: /readyz']) {
      assert.ok(deployment.includes(needle), needle);
    }
    const other = await helm('helm', 'template', 'kube-mcp', chart, '--set', 'mcp.logging.level=debug');
    const checksum = (t) => t.match(/checksum\/config: (\S+)/)[1];
    assert.notEqual(checksum(deployment), checksum(objects(other.stdout).find((o) => o.kind === 'Deployment').text));
  });

  test('SIGTERM: the pod waits for the shutdown delay and timeout, which the config carries', async () => {
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, '--set', 'mcp.shutdownDelaySeconds=10', '--set', 'mcp.shutdownTimeoutSeconds=40');
    assert.match(objects(stdout).find((o) => o.kind === 'Deployment').text, /terminationGracePeriodSeconds: 55\n/);
    const config = stdout.split('config.yaml: |\n')[1];
    assert.match(config, /shutdownDelay: "10s"\n/);
    assert.match(config, /shutdownTimeout: "40s"\n/);
    const defaults = await helm('helm', 'template', 'kube-mcp', chart);
    assert.match(objects(defaults.stdout).find((o) => o.kind === 'Deployment').text, /terminationGracePeriodSeconds: 35\n/);
  });

  test('traces: off by default; an OTLP endpoint renders the tracing section', async () => {
    const defaults = await helm('helm', 'template', 'kube-mcp', chart);
    assert.doesNotMatch(defaults.stdout.split('config.yaml: |\n')[1], /tracing:/);
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, '--set', 'mcp.tracing.otlpEndpoint=http://otel:4318', '--set', 'mcp.tracing.sampleRatio=0.5');
    const config = stdout.split('config.yaml: |\n')[1];
    assert.match(config, /tracing:\n\s+otlpEndpoint: "http:\/\/otel:4318"\n\s+serviceName: "kube-mcp"\n\s+sampleRatio: 0.5\n/);
  });

  test('the README lists every value (scripts/chart-readme --check)', async () => {
    await run('python3', [path.resolve(chart, '../../scripts/chart-readme'), '--check']);
  });
});

describe('bad values are refused by the schema, naming the value', () => {
  const cases = [
    [['--set', 'replicaCount=two'], /replicaCount/],
    [['--set', 'mcp.oidc.signingMethod=none'], /signingMethod/],
    [['--set', 'mcp.identity=root'], /identity/],
    [['--set', 'mcp.logging.level=verbose'], /level/],
    [['--set', 'service.port=70000'], /port/],
    [['--set', 'mcp.unknownSetting=1'], /unknownSetting/],
    [['--set', 'plugins.limits.timeout=forever'], /timeout/],
    [['--set', 'mcp.clusters[0].name=a', '--set', 'mcp.clusters[0].identity=root'], /identity/],
    [['--set', 'mcp.clusters[0].name=a', '--set', 'mcp.clusters[0].server=x'], /server/],
    [['--set', 'mcp.shutdownDelaySeconds=-1'], /shutdownDelaySeconds/],
    [['--set', 'mcp.tracing.otlpEndpoint=otel:4318'], /otlpEndpoint/],
    [['--set', 'mcp.tracing.sampleRatio=2'], /sampleRatio/],
  ];
  for (const binary of helms) {
    test(`${binary}: ${cases.length} bad values`, async () => {
      for (const [args, names] of cases) {
        const result = await helm(binary, 'template', 'kube-mcp', chart, ...args);
        assert.notEqual(result.code, 0, `${args.join(' ')} was accepted`);
        assert.match(result.stderr, /values don't meet the specifications of the schema|schema/i, args.join(' '));
        assert.match(result.stderr, names, `${args.join(' ')}: ${result.stderr}`);
      }
    });
  }
});

describe('install into the cluster of the environment', () => {
  for (const values of valuesFiles) {
    test(`helm install and uninstall with ${values}`, async () => {
      const release = `km-${values.replace('-values.yaml', '').slice(0, 20)}`;
      const namespace = release;
      const install = await helm('helm', 'install', release, chart, '-n', namespace, '--create-namespace',
        '-f', path.join(chart, 'ci', values), '--wait', '--timeout', '120s');
      assert.equal(install.code, 0, install.stderr);
      try {
        const name = `${release}-kube-mcp`;
        for (const [kind, ns] of [['deployment', namespace], ['service', namespace], ['serviceaccount', namespace],
          ['configmap', namespace], ['clusterrole', null], ['clusterrolebinding', null]]) {
          const got = await kubectl(required('KUBECONFIG'), 'get', kind, name, ...(ns ? ['-n', ns] : []));
          assert.equal(got.code, 0, `${kind} ${name}: ${got.stderr}`);
        }
        const can = async (...args) => (await kubectl(required('KUBECONFIG'), 'auth', 'can-i', ...args,
          `--as=system:serviceaccount:${namespace}:${name}`)).stdout.trim();
        if (values.startsWith('impersonate')) {
          assert.equal(await can('impersonate', 'users'), 'yes');
          assert.equal(await can('impersonate', 'groups'), 'yes');
          assert.equal(await can('list', 'pods'), 'no', 'impersonate mode grants nothing else');
          assert.equal(await can('impersonate', 'serviceaccounts'), 'no');
        } else {
          assert.equal(await can('list', 'pods', '-A'), 'yes');
          assert.equal(await can('get', 'pods/log', '-n', 'demo'), 'yes');
          assert.equal(await can('list', 'deployments.apps', '-A'), 'yes');
          assert.equal(await can('get', 'secrets', '-A'), 'no', 'no Secrets');
          assert.equal(await can('list', 'configmaps', '-A'), 'no', 'no ConfigMaps');
          assert.equal(await can('delete', 'pods', '-A'), 'no', 'read-only');
          assert.equal(await can('impersonate', 'users'), 'no');
        }
      } finally {
        const uninstall = await helm('helm', 'uninstall', release, '-n', namespace, '--wait');
        assert.equal(uninstall.code, 0, uninstall.stderr);
      }
      const gone = await kubectl(required('KUBECONFIG'), 'get', 'clusterrole', `${release}-kube-mcp`);
      assert.notEqual(gone.code, 0, 'uninstall removes the ClusterRole');
      const left = await kubectl(required('KUBECONFIG'), 'get', 'all,configmap,serviceaccount,pdb', '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`, '-o', 'name');
      assert.equal(left.stdout.trim(), '', `left behind: ${left.stdout}`);
      await kubectl(required('KUBECONFIG'), 'delete', 'namespace', namespace, '--wait=false');
    });
  }
});

describe('the rendered configuration is one the server accepts', () => {
  for (const values of [null, ...valuesFiles]) {
    test(`kube-mcp starts with the config of ${values ?? 'the defaults'}`, async () => {
      const { startServer, pluginsDir, builtPlugin } = await import('./lib/server.mjs');
      const extra = values ? ['-f', path.join(chart, 'ci', values)] : [];
      const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, ...extra, '--show-only', 'templates/configmap.yaml');
      const config = stdout.split('config.yaml: |\n')[1].split('\n').map((l) => l.slice(4)).join('\n');
      const dir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'kube-mcp-e2e-chart-'));
      const secret = path.join(dir, 'hs256.secret');
      fs.writeFileSync(secret, 'x'.repeat(48));
      // Only the paths the pod mounts differ on this machine.
      const mounted = (name) => { const d = path.join(dir, name); fs.mkdirSync(d, { recursive: true }); return d; };
      const local = config
        .replaceAll(/\/etc\/kube-mcp\/(hs256|state|token-exchange)\/[^\s"]+/g, secret)
        .replaceAll(/\/etc\/kube-mcp\/kubeconfig\/[^\s"]+/g, required('KUBECONFIG'))
        .replaceAll(/\/var\/lib\/kube-mcp\/(plugins-[a-z]+)/g, (_, name) => mounted(name));
      fs.writeFileSync(path.join(dir, 'config.yaml'), local);
      const server = await startServer({
        plugins: pluginsDir(builtPlugin('kube-core')),
        args: ['--config', path.join(dir, 'config.yaml'), '--host', '127.0.0.1', '--metrics-listen', '127.0.0.1:0',
          '--plugin-cache-dir', path.join(dir, 'cache'),
          // Clusters listed in the values come with their own kubeconfig.
          ...(local.includes('  clusters:') ? [] : ['--kubeconfig', required('KUBECONFIG_SERVER_SA')])],
      });
      if (local.includes('  clusters:')) {
        // Outside a pod, `inCluster` and contexts this kubeconfig lacks are
        // clusters that fail their own calls; the server serves all the same.
        const ready = await server.waitForLog((e) => /cluster '.*' cannot be used/.test(e.message ?? ''));
        assert.match(ready.message, /cluster '(home|staging|prod)' cannot be used/);
      }
      await server.stop();
    });
  }
});

describe('the precompile step fills the cache the server then loads from', () => {
  test('its rendered command compiles every plugin directory; the server compiles nothing', async () => {
    const { startServer, builtPlugin, binary } = await import('./lib/server.mjs');
    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, '--set', 'plugins.extra.configMap.name=more',
      '--show-only', 'templates/deployment.yaml');
    const init = stdout.split('- name: precompile\n')[1];
    assert.ok(init, 'an init container named precompile');
    assert.match(init, /image: "ghcr\.io\/kube-mcp\/kube-mcp:/, 'the server image');
    assert.match(init, /limits:\n\s+memory: 1Gi/, 'its own memory limit');
    const args = JSON.parse(init.match(/args: (\[.*\])/)[1]);
    assert.deepEqual(args.slice(0, 4), ['plugin', 'compile', '--plugin-cache-dir', '/var/cache/kube-mcp/compiled']);
    assert.deepEqual(args.slice(4), ['/usr/lib/kube-mcp/plugins', '/var/lib/kube-mcp/plugins-configmap']);
    assert.match(init, /mountPath: \/var\/lib\/kube-mcp\/plugins-configmap/, 'the extra directory is mounted');

    // The same command here, with the pod's paths mapped to local ones.
    const dir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'kube-mcp-e2e-precompile-'));
    const local = (p) => path.join(dir, p.replaceAll('/', '_'));
    for (const [d, plugin] of [[args[4], 'kube-core'], [args[5], 'kube-ops']]) {
      fs.mkdirSync(local(d));
      fs.copyFileSync(builtPlugin(plugin), path.join(local(d), `${plugin}.wasm`));
    }
    const cache = local(args[3]);
    const compiled = await run(binary, [...args.slice(0, 3), cache, local(args[4]), local(args[5])]);
    assert.match(compiled.stdout, /compiled 'kube-core'/);
    assert.match(compiled.stdout, /compiled 'kube-ops'/);

    const server = await startServer({
      plugins: local(args[4]),
      args: ['--no-auth', '--plugins-extra-dirs', local(args[5]), '--plugin-cache-dir', cache],
    });
    try {
      const loaded = await server.waitForLog((e) => e.message === 'plugins loaded');
      assert.equal(loaded.plugins, 2);
      assert.equal(loaded.compiled, 0, JSON.stringify(loaded));
      assert.equal(loaded.from_cache, 2, JSON.stringify(loaded));
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('plugins from a registry through the chart', () => {
  test('sources, trust keys from a Secret and registry credentials render to a server that pulls and verifies', async () => {
    const { startServer, builtPlugin, binary } = await import('./lib/server.mjs');
    const os = await import('node:os');
    const registry = required('OCI_REGISTRY');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-e2e-chart-registry-'));
    const repo = `chart-${process.pid}-${Date.now()}`;
    await run(binary, ['plugin', 'keygen', '--output', path.join(dir, 'release')]);
    const { stdout: pushed } = await run(binary, ['plugin', 'push', builtPlugin('kube-core'), `oci://${registry}/${repo}/kube-core:1`]);
    await run(binary, ['plugin', 'sign', pushed.trim(), '--key', path.join(dir, 'release.key')]);

    const set = [
      '--set-json', `plugins.sources=[{"name":"kube-core","ref":"oci://${registry}/${repo}/kube-core:1"}]`,
      '--set-json', 'plugins.trust.keys=[{"name":"release","publicKeyFile":"/etc/kube-mcp/trust/release.pub","plugins":["kube-core"]}]',
      '--set', 'plugins.trust.secret=plugin-keys', '--set', 'plugins.registry.authSecret=registry-pull',
      '--set', 'plugins.registry.pollInterval=1s',
    ];
    const { stdout: deployment } = await helm('helm', 'template', 'kube-mcp', chart, ...set, '--show-only', 'templates/deployment.yaml');
    const [initPart, serverPart] = deployment.split('      containers:\n');
    assert.match(serverPart, /- name: trust\n\s+mountPath: \/etc\/kube-mcp\/trust\n\s+readOnly: true/);
    assert.match(serverPart, /- name: registry-auth\n\s+mountPath: \/etc\/kube-mcp\/registry\n\s+readOnly: true/);
    assert.doesNotMatch(initPart, /registry-auth|\/etc\/kube-mcp\/trust/, 'the precompile step gets no keys or credentials');
    assert.match(deployment, /- name: trust\n\s+secret:\n\s+secretName: plugin-keys/);
    assert.match(deployment, /- name: registry-auth\n\s+secret:\n\s+secretName: registry-pull\n\s+items:\n\s+- key: \.dockerconfigjson/);

    const { stdout } = await helm('helm', 'template', 'kube-mcp', chart, ...set, '--show-only', 'templates/configmap.yaml');
    const config = stdout.split('config.yaml: |\n')[1].split('\n').map((l) => l.slice(4)).join('\n');
    const secret = path.join(dir, 'state.secret');
    fs.writeFileSync(secret, 'x'.repeat(48));
    fs.mkdirSync(path.join(dir, 'trust'));
    fs.copyFileSync(path.join(dir, 'release.pub'), path.join(dir, 'trust', 'release.pub'));
    fs.writeFileSync(path.join(dir, 'dockerconfig.json'), JSON.stringify({ auths: { [registry]: { auth: Buffer.from('robot:token').toString('base64') } } }));
    const local = config
      .replaceAll(/\/etc\/kube-mcp\/(hs256|state)\/[^\s"]+/g, secret)
      .replaceAll('/etc/kube-mcp/trust', path.join(dir, 'trust'))
      .replaceAll('/etc/kube-mcp/registry/.dockerconfigjson', path.join(dir, 'dockerconfig.json'))
      .replaceAll('/var/cache/kube-mcp/oci', path.join(dir, 'oci'))
      .replaceAll('/usr/lib/kube-mcp/plugins', path.join(dir, 'no-folder'));
    fs.mkdirSync(path.join(dir, 'no-folder'));
    fs.writeFileSync(path.join(dir, 'config.yaml'), local);
    const server = await startServer({
      plugins: path.join(dir, 'no-folder'),
      args: ['--config', path.join(dir, 'config.yaml'), '--host', '127.0.0.1', '--no-auth',
        '--plugin-cache-dir', path.join(dir, 'cache'), '--kubeconfig', required('KUBECONFIG_SERVER_SA')],
    });
    try {
      const serving = await server.waitForLog((e) => e.message === 'plugin from registry is serving');
      assert.equal(serving.plugin, 'kube-core');
      assert.equal(serving.trust, "signed by 'release'");
      // Verified content is kept by digest in the store the chart names.
      const stored = fs.readdirSync(path.join(dir, 'oci', 'sha256'));
      assert.ok(stored.includes(serving.digest.slice(7)), `${serving.digest} in ${stored}`);
      assert.ok(!server.log.some((e) => JSON.stringify(e).includes('robot:token') || JSON.stringify(e).includes(Buffer.from('robot:token').toString('base64'))), 'credentials never logged');
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
