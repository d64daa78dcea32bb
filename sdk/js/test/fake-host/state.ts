// What the fake host recorded, and what its `kubernetes` answers next.
export const recorded = {
  logs: [] as { level: string; message: string }[],
  progress: [] as { progress: number; total?: number; message?: string }[],
  lists: [] as { type: unknown; options: unknown; page: unknown }[],
};
export const answers: { listPage: unknown } = { listPage: undefined };

export function reset(): void {
  recorded.logs.length = 0;
  recorded.progress.length = 0;
  recorded.lists.length = 0;
  answers.listPage = undefined;
}

/** An import's error, as componentize-js throws it. */
export class ComponentError extends Error {
  declare readonly payload: unknown;
  constructor(payload: unknown) {
    super(`${String(payload)} (see error.payload)`);
    Object.defineProperty(this, 'payload', { value: payload, enumerable: true });
  }
}
