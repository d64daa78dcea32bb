export function capabilities() { return { elicitation: false, sampling: false, roots: false }; }
