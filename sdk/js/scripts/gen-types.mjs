#!/usr/bin/env node
// Generates src/wit (TypeScript declarations of the kube-mcp:plugin WIT
// package, the guest's view) from the repository's wit/ with jco.
// `--check` fails when the committed files differ from what wit/ gives.
//
// jco 1.11.1: later versions (1.35) fail here with "failed to read path
// for WIT" from their WASI file-system shim.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const sdk = path.resolve(import.meta.dirname, '..');
const wit = path.resolve(sdk, '../../wit');
const target = path.join(sdk, 'src/wit');
const check = process.argv.includes('--check');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-mcp-sdk-types-'));
try {
  // jco reads paths relative to where it runs.
  fs.cpSync(wit, path.join(work, 'wit'), { recursive: true, filter: (f) => !f.endsWith('.md') });
  const jco = path.join(sdk, 'node_modules/@bytecodealliance/jco/src/jco.js');
  execFileSync(process.execPath, [jco, 'guest-types', 'wit', '--world-name', 'app-plugin', '-o', 'out', '-q'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  const generated = listFiles(path.join(work, 'out'));
  // jco 1.11.1 writes `declare function _delete` (for the WIT function
  // `delete`) inside a `declare module`, which TypeScript refuses.
  for (const [file, text] of generated) {
    const fixed = text.replaceAll('  declare function _', '  function _');
    if (fixed !== text) {
      generated.set(file, fixed);
      fs.writeFileSync(path.join(work, 'out', file), fixed);
    }
  }
  if (check) {
    const committed = fs.existsSync(target) ? listFiles(target) : new Map();
    const stale = [...new Set([...generated.keys(), ...committed.keys()])]
      .filter((f) => generated.get(f) !== committed.get(f));
    if (stale.length > 0) {
      console.error(`sdk/js/src/wit is stale (${stale.join(', ')}): run \`npm run types\` in sdk/js`);
      process.exit(1);
    }
    console.error(`sdk/js/src/wit matches wit/ (${generated.size} files)`);
  } else {
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(path.join(work, 'out'), target, { recursive: true });
    console.error(`wrote ${generated.size} files to ${path.relative(process.cwd(), target)}`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

function listFiles(dir) {
  const files = new Map();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, full), fs.readFileSync(full, 'utf8'));
  }
  return files;
}
