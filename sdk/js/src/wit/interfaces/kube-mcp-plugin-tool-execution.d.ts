declare module 'kube-mcp:plugin/tool-execution@0.1.3' {
  /**
   * Called once, at load.
   */
  export function executions(): Array<Execution>;
  /**
   * Whether a call may run as a task (the MCP tasks extension): the
   * request returns at once with a task the client polls, and the call
   * goes on, reporting progress, until it finishes, fails or is cancelled.
   * # Variants
   * 
   * ## `"forbidden"`
   * 
   * Always runs while the request waits.
   * ## `"optional"`
   * 
   * Runs as a task when the client supports tasks, otherwise while
   * the request waits.
   * ## `"required"`
   * 
   * Only runs as a task; a client without tasks is refused.
   */
  export type TaskSupport = 'forbidden' | 'optional' | 'required';
  /**
   * Something a tool cannot work without.
   * # Variants
   * 
   * ## `"elicitation"`
   * 
   * ## `"sampling"`
   * 
   * ## `"roots"`
   */
  export type ClientFeature = 'elicitation' | 'sampling' | 'roots';
  export interface Execution {
    /**
     * One of the plugin's tools.
     */
    tool: string,
    taskSupport: TaskSupport,
    /**
     * The host refuses a call from a client that did not declare all of
     * these, before the plugin runs (MCP's missing-capability error).
     */
    requires: Array<ClientFeature>,
  }
}
