export function get() { return undefined; }
