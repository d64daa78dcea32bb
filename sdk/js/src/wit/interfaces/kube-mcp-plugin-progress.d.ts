declare module 'kube-mcp:plugin/progress@0.1.3' {
  /**
   * Reports that the call has got to `progress` (out of `total`, when
   * known). `progress` should increase with every report.
   */
  export function report(progress: number, total: number | undefined, message: string | undefined): void;
  /**
   * Lets the call go on after its request returns, as a task the client
   * polls (the MCP tasks extension): for the long part of a long
   * operation, once the questions that must come first are answered.
   * 
   * Returns true when the call now runs as a task: its deadline becomes
   * the server's task timeout, its reports become the task's status, its
   * questions make the task wait for input, and its result is the task's.
   * A task the client cancels stops at once. Returns false, and nothing
   * changes, when the tool does not declare task support
   * (`tool-execution`), the client did not opt into tasks, or the call
   * already runs as one; the call then goes on under the request's
   * deadline.
   */
  export function detach(): boolean;
}
