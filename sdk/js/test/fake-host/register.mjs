// Resolves the host's interfaces (`kube-mcp:plugin/<name>@<version>`), which
// only exist inside a component, to the fakes next to this file, so the
// SDK's logic can be tested under Node.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
