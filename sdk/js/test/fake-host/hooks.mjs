const HOST = /^kube-mcp:plugin\/([a-z-]+)@\d+\.\d+\.\d+$/;

export async function resolve(specifier, context, next) {
  const match = HOST.exec(specifier);
  if (match) return { url: new URL(`./${match[1]}.mjs`, import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
