// `npm run build`: type-checks src/, bundles it (with the SDK) into one
// ES module, and turns that into {{name}}.wasm with componentize-js.
//
// Every path is absolute: componentize-js compares paths as strings and
// can build the wrong file when run from another folder.

import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { componentize } from '@bytecodealliance/componentize-js';
import { build } from 'esbuild';

const root = import.meta.dirname;
const out = join(root, '{{name}}.wasm');
const step = (what) => console.error(`==> ${what}`);

step('tsc --noEmit');
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], { stdio: 'inherit' });
} catch {
  console.error('build failed: fix the type errors above');
  process.exit(1);
}

step('esbuild src/plugin.ts -> dist/plugin.js');
mkdirSync(join(root, 'dist'), { recursive: true });
await build({
  entryPoints: [join(root, 'src/plugin.ts')],
  outfile: join(root, 'dist/plugin.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  // The host's interfaces are imports of the component, not modules.
  external: ['kube-mcp:plugin/*'],
  // Views are HTML documents the plugin carries as text.
  loader: { '.html': 'text' },
  logLevel: 'warning',
});

step('componentize-js dist/plugin.js -> {{name}}.wasm');
const started = Date.now();
const { component } = await componentize({
  sourcePath: join(root, 'dist/plugin.js'),
  witPath: join(root, 'wit'),
  // tool-plugin, and views (MCP Apps).
  worldName: 'app-plugin',
});
writeFileSync(out, component);
console.error(`    ${out}: ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
