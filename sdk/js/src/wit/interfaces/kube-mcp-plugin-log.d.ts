declare module 'kube-mcp:plugin/log@0.1.3' {
  /**
   * Writes one log line. Never fails, never blocks; lines over the rate
   * limit are dropped and counted.
   */
  export function write(level: Level, message: string): void;
  /**
   * Severity of a log line.
   * # Variants
   * 
   * ## `"trace"`
   * 
   * ## `"debug"`
   * 
   * ## `"info"`
   * 
   * ## `"warn"`
   * 
   * ## `"error"`
   */
  export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
}
