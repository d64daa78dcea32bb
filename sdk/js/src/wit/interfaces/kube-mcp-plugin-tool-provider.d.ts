/// <reference path="./kube-mcp-plugin-types.d.ts" />
declare module 'kube-mcp:plugin/tool-provider@0.1.3' {
  /**
   * The plugin's name, version, description and requested capabilities.
   */
  export function describe(): PluginInfo;
  /**
   * Every tool the plugin offers.
   */
  export function tools(): Array<Tool>;
  /**
   * Runs the tool `name` with `arguments` (a JSON object, as text) on
   * behalf of `caller`.
   */
  export function callTool(name: string, arguments: string, caller: Caller): CallResult;
  export type PluginInfo = import('kube-mcp:plugin/types@0.1.3').PluginInfo;
  export type Tool = import('kube-mcp:plugin/types@0.1.3').Tool;
  export type Caller = import('kube-mcp:plugin/types@0.1.3').Caller;
  export type CallResult = import('kube-mcp:plugin/types@0.1.3').CallResult;
  export type CallError = import('kube-mcp:plugin/types@0.1.3').CallError;
}
