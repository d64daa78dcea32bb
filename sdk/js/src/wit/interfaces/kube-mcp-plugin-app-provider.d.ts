declare module 'kube-mcp:plugin/app-provider@0.1.3' {
  /**
   * The plugin's views.
   */
  export function views(): Array<View>;
  /**
   * Which tools show which view, and who may call them.
   */
  export function toolViews(): Array<ToolView>;
  /**
   * Origins a view asks to reach beyond its own document, as CSP source
   * expressions: `https://api.example.com`, `wss://example.com:8443`,
   * `https://*.example.com`. Each list is empty by default, which is the
   * extension's restrictive policy (no network, no external scripts,
   * styles, fonts or frames). The host declares to clients only the
   * origins the operator granted the plugin (`apps.domains`), so a view
   * ships everything it needs inside its HTML.
   */
  export interface ViewCsp {
    /**
     * `connect-src`: fetch, XHR, WebSocket.
     */
    connectDomains: Array<string>,
    /**
     * `script-src`, `style-src`, `img-src`, `font-src`, `media-src`.
     */
    resourceDomains: Array<string>,
    /**
     * `frame-src`: nested iframes.
     */
    frameDomains: Array<string>,
    /**
     * `base-uri`.
     */
    baseUriDomains: Array<string>,
  }
  /**
   * Browser features a view asks for; a client may grant them.
   */
  export interface ViewPermissions {
    camera?: boolean,
    microphone?: boolean,
    geolocation?: boolean,
    clipboardWrite?: boolean,
  }
  /**
   * A view (MCP Apps `UIResource`).
   */
  export interface View {
    /**
     * `ui://<plugin name>/<path>`, unique to the plugin.
     */
    uri: string,
    /**
     * A short name for listings.
     */
    name: string,
    title?: string,
    description?: string,
    /**
     * The whole HTML5 document, scripts and styles inline.
     */
    html: string,
    csp: ViewCsp,
    permissions: ViewPermissions,
    /**
     * Whether the client should draw a border and background around
     * the view; `none` leaves it to the client.
     */
    prefersBorder?: boolean,
  }
  /**
   * Who may call a tool (MCP Apps `visibility`).
   */
  export interface Visibility {
    /**
     * The model sees the tool in `tools/list` and may call it.
     */
    model?: boolean,
    /**
     * A view of this plugin's server may call it.
     */
    app?: boolean,
  }
  /**
   * How a tool relates to views. A tool not named here shows no view and
   * is visible to the model only, as without this interface.
   */
  export interface ToolView {
    /**
     * One of the plugin's tools.
     */
    tool: string,
    /**
     * The view that renders this tool's results: one of the plugin's
     * own views.
     */
    view?: string,
    /**
     * At least one of `model` and `app`. A tool only for `app` is left
     * out of `tools/list` for clients without the extension, and they
     * cannot call it.
     */
    visibility: Visibility,
  }
}
