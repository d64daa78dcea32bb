declare module 'kube-mcp:plugin/types@0.1.3' {
  /**
   * Hints to clients about what a tool does (MCP `ToolAnnotations`).
   * Hints are advice for clients and models, never a security boundary:
   * what a plugin can really do is decided by its grants.
   */
  export interface ToolAnnotations {
    /**
     * The tool does not modify its environment.
     */
    readOnlyHint?: boolean,
    /**
     * The tool may perform destructive updates (only meaningful when
     * it is not read-only).
     */
    destructiveHint?: boolean,
    /**
     * Calling the tool again with the same arguments has no further effect.
     */
    idempotentHint?: boolean,
    /**
     * The tool interacts with an open world of external entities.
     */
    openWorldHint?: boolean,
  }
  /**
   * A tool the plugin offers (MCP `Tool`).
   */
  export interface Tool {
    /**
     * Unique across every loaded plugin; `[a-zA-Z0-9_.-]`, at most 128
     * characters. The host refuses a plugin whose tool names collide with
     * another plugin's.
     */
    name: string,
    /**
     * A short human-readable title.
     */
    title?: string,
    /**
     * What the tool does and when to use it, written for a model to
     * choose well.
     */
    description: string,
    /**
     * JSON Schema (an object schema, as JSON text) of the arguments.
     */
    inputSchema: string,
    /**
     * JSON Schema of `call-result.structured-content`, when the tool
     * returns structured content.
     */
    outputSchema?: string,
    annotations: ToolAnnotations,
  }
  /**
   * One Kubernetes capability a plugin requests: every verb in `verbs` on
   * every resource in `resources` of every group in `api-groups`, in every
   * namespace in `namespaces`. `*` matches anything; the core group is
   * `""`; an empty `namespaces` list means cluster-scoped resources only.
   * The operator grants capabilities in the server's configuration; a
   * plugin gets what it requested and was granted, nothing more.
   */
  export interface Capability {
    /**
     * Kubernetes verbs: get, list, watch, create, update, patch, delete.
     */
    verbs: Array<string>,
    apiGroups: Array<string>,
    /**
     * Resource names (plural), optionally with a subresource:
     * `pods`, `pods/log`, `deployments/scale`.
     */
    resources: Array<string>,
    namespaces: Array<string>,
  }
  /**
   * What a plugin says about itself.
   */
  export interface PluginInfo {
    /**
     * Unique plugin name; the operator's grants refer to it.
     * Lowercase letters, digits and `-`.
     */
    name: string,
    /**
     * The plugin's own version (semver).
     */
    version: string,
    description: string,
    /**
     * The Kubernetes capabilities the plugin needs.
     */
    capabilities: Array<Capability>,
  }
  /**
   * Who is calling a tool, as the host authenticated them.
   */
  export interface Caller {
    /**
     * The token's subject (`sub`); empty when authentication is off.
     */
    subject: string,
    /**
     * The username claim, when the token has one.
     */
    username?: string,
    groups: Array<string>,
    /**
     * Scopes granted to the token.
     */
    scopes: Array<string>,
  }
  /**
   * Text content.
   */
  export interface TextContent {
    text: string,
  }
  /**
   * Image or audio content; the host encodes `data` as base64 for MCP.
   */
  export interface BinaryContent {
    data: Uint8Array,
    /**
     * e.g. `image/png`, `audio/wav`.
     */
    mimeType: string,
  }
  /**
   * The contents of a resource, embedded in a result.
   */
  export type ResourceContents = ResourceContentsText | ResourceContentsBlob;
  /**
   * Text contents.
   */
  export interface ResourceContentsText {
    tag: 'text',
    val: string,
  }
  /**
   * Binary contents.
   */
  export interface ResourceContentsBlob {
    tag: 'blob',
    val: Uint8Array,
  }
  /**
   * A resource embedded in a result (MCP `EmbeddedResource`).
   */
  export interface EmbeddedResource {
    uri: string,
    mimeType?: string,
    contents: ResourceContents,
  }
  /**
   * A link to a resource the client may read (MCP `ResourceLink`).
   */
  export interface ResourceLink {
    uri: string,
    name: string,
    title?: string,
    description?: string,
    mimeType?: string,
  }
  /**
   * One item of a tool result (MCP `ContentBlock`).
   */
  export type Content = ContentText | ContentImage | ContentAudio | ContentResource | ContentResourceLink;
  export interface ContentText {
    tag: 'text',
    val: TextContent,
  }
  export interface ContentImage {
    tag: 'image',
    val: BinaryContent,
  }
  export interface ContentAudio {
    tag: 'audio',
    val: BinaryContent,
  }
  export interface ContentResource {
    tag: 'resource',
    val: EmbeddedResource,
  }
  export interface ContentResourceLink {
    tag: 'resource-link',
    val: ResourceLink,
  }
  /**
   * The result of a tool call (MCP `CallToolResult`).
   * 
   * A failure the model should see and act on (a missing object, a
   * forbidden request) is a result with `is-error` set, not a trap.
   */
  export interface CallResult {
    content: Array<Content>,
    /**
     * A JSON value (as text) matching the tool's output schema.
     */
    structuredContent?: string,
    isError: boolean,
  }
  /**
   * Who said a message (of a prompt, or of sampling).
   * # Variants
   * 
   * ## `"user"`
   * 
   * ## `"assistant"`
   */
  export type Role = 'user' | 'assistant';
  /**
   * An argument a prompt takes (MCP `PromptArgument`).
   */
  export interface PromptArgument {
    name: string,
    title?: string,
    description?: string,
    required: boolean,
  }
  /**
   * A prompt template the plugin offers (MCP `Prompt`). Names are unique
   * across every loaded plugin, like tool names.
   */
  export interface Prompt {
    name: string,
    title?: string,
    description: string,
    arguments: Array<PromptArgument>,
  }
  /**
   * One message of a prompt.
   */
  export interface PromptMessage {
    role: Role,
    content: Content,
  }
  /**
   * A prompt filled in with its arguments (MCP `GetPromptResult`).
   */
  export interface PromptResult {
    description?: string,
    messages: Array<PromptMessage>,
  }
  /**
   * Why a prompt could not be produced.
   */
  export type PromptError = PromptErrorUnknownPrompt | PromptErrorInvalidArguments;
  /**
   * No prompt of this name in this plugin.
   */
  export interface PromptErrorUnknownPrompt {
    tag: 'unknown-prompt',
    val: string,
  }
  /**
   * A required argument is missing or one is invalid; says which.
   */
  export interface PromptErrorInvalidArguments {
    tag: 'invalid-arguments',
    val: string,
  }
  /**
   * A resource the plugin offers at a fixed URI (MCP `Resource`). URIs are
   * unique across every loaded plugin.
   */
  export interface ResourceInfo {
    uri: string,
    name: string,
    title?: string,
    description?: string,
    mimeType?: string,
    /**
     * Size in bytes, when known.
     */
    size?: bigint,
  }
  /**
   * A family of resources addressed by an RFC 6570 URI template
   * (MCP `ResourceTemplate`), such as `test://template/{id}/data`.
   */
  export interface ResourceTemplate {
    uriTemplate: string,
    name: string,
    title?: string,
    description?: string,
    mimeType?: string,
  }
  /**
   * Why a resource could not be read.
   */
  export type ResourceError = ResourceErrorNotFound | ResourceErrorFailed;
  /**
   * No such resource; says which.
   */
  export interface ResourceErrorNotFound {
    tag: 'not-found',
    val: string,
  }
  /**
   * Reading it failed; says why.
   */
  export interface ResourceErrorFailed {
    tag: 'failed',
    val: string,
  }
  /**
   * What a completion is for: an argument of a prompt, or a variable of a
   * resource template.
   */
  export type CompletionReference = CompletionReferencePrompt | CompletionReferenceResourceTemplate;
  /**
   * A prompt's name.
   */
  export interface CompletionReferencePrompt {
    tag: 'prompt',
    val: string,
  }
  /**
   * A resource template's URI template.
   */
  export interface CompletionReferenceResourceTemplate {
    tag: 'resource-template',
    val: string,
  }
  /**
   * Suggested values for an argument (MCP `CompleteResult.completion`).
   */
  export interface Completion {
    /**
     * At most 100 values, best first.
     */
    values: Array<string>,
    /**
     * How many values exist in all, when known.
     */
    total?: number,
    hasMore: boolean,
  }
  /**
   * Why a call could not run at all.
   */
  export type CallError = CallErrorUnknownTool | CallErrorInvalidArguments;
  /**
   * No tool of this name in this plugin. The client gets a protocol
   * error (JSON-RPC `-32602`, "unknown tool").
   */
  export interface CallErrorUnknownTool {
    tag: 'unknown-tool',
    val: string,
  }
  /**
   * The arguments do not match the tool's input schema; says which.
   * The client gets a tool error result (`isError: true`, text
   * `invalid arguments: <this>`), which a model reads and can
   * correct, as MCP asks of input validation errors.
   */
  export interface CallErrorInvalidArguments {
    tag: 'invalid-arguments',
    val: string,
  }
}
