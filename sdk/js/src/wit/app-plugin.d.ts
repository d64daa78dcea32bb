/// <reference path="./interfaces/kube-mcp-plugin-app-provider.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-client.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-config.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-kubernetes.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-log.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-progress.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-tool-execution.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-tool-provider.d.ts" />
/// <reference path="./interfaces/kube-mcp-plugin-types.d.ts" />
declare module 'kube-mcp:plugin/app-plugin@0.1.3' {
  export type * as KubeMcpPluginClient013 from 'kube-mcp:plugin/client@0.1.3'; // import kube-mcp:plugin/client@0.1.3
  export type * as KubeMcpPluginConfig013 from 'kube-mcp:plugin/config@0.1.3'; // import kube-mcp:plugin/config@0.1.3
  export type * as KubeMcpPluginKubernetes013 from 'kube-mcp:plugin/kubernetes@0.1.3'; // import kube-mcp:plugin/kubernetes@0.1.3
  export type * as KubeMcpPluginLog013 from 'kube-mcp:plugin/log@0.1.3'; // import kube-mcp:plugin/log@0.1.3
  export type * as KubeMcpPluginProgress013 from 'kube-mcp:plugin/progress@0.1.3'; // import kube-mcp:plugin/progress@0.1.3
  export type * as KubeMcpPluginTypes013 from 'kube-mcp:plugin/types@0.1.3'; // import kube-mcp:plugin/types@0.1.3
  export * as appProvider from 'kube-mcp:plugin/app-provider@0.1.3'; // export kube-mcp:plugin/app-provider@0.1.3
  export * as toolProvider from 'kube-mcp:plugin/tool-provider@0.1.3'; // export kube-mcp:plugin/tool-provider@0.1.3
  export * as toolExecution from 'kube-mcp:plugin/tool-execution@0.1.3'; // export kube-mcp:plugin/tool-execution@0.1.3
}
