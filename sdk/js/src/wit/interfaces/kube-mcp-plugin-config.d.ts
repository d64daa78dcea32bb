declare module 'kube-mcp:plugin/config@0.1.3' {
  /**
   * The value of `key`, if the operator set one.
   */
  export function get(key: string): string | undefined;
}
