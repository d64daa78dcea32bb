// The environment tests/env/up exported, with clear errors when it is missing.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`make test\` (or eval "$(tests/env/up)")`);
  return value;
}

const run = promisify(execFile);

/** Runs kubectl with a kubeconfig; resolves to {code, stdout, stderr}. */
export async function kubectl(kubeconfig, ...args) {
  try {
    const { stdout, stderr } = await run('kubectl', ['--kubeconfig', kubeconfig, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    return { code: error.code ?? 1, stdout: error.stdout ?? '', stderr: error.stderr ?? String(error) };
  }
}
