/// <reference path="./kube-mcp-plugin-types.d.ts" />
declare module 'kube-mcp:plugin/client@0.1.3' {
  /**
   * What the calling client supports. Check before asking.
   */
  export function capabilities(): ClientCapabilities;
  /**
   * Asks the user to fill in a form described by `requested-schema` (a
   * JSON Schema object of primitive properties, as text), explaining why
   * with `message`.
   */
  export function elicit(message: string, requestedSchema: string): Elicitation;
  /**
   * Asks the client's model to write a message.
   */
  export function createMessage(request: SamplingRequest): SamplingResponse;
  /**
   * The roots the client exposes; `unsupported` when it declared none.
   */
  export function listRoots(): Array<Root>;
  /**
   * Asks several questions at once; answers come back in the same order.
   * 
   * Each question has a key, unique within the call, that a stateless
   * client sees in `inputRequests` (`elicit`, `create-message` and
   * `list-roots` pick keys themselves). All are asked together: a stateless
   * client answers them in one round trip, a task reports all of them
   * pending at once. Fails with `unsupported` when the client did not
   * declare support for one of them, and asks nothing then.
   */
  export function ask(questions: Array<[string, Question]>): Array<Answer>;
  export type BinaryContent = import('kube-mcp:plugin/types@0.1.3').BinaryContent;
  export type Role = import('kube-mcp:plugin/types@0.1.3').Role;
  /**
   * What the calling client declared it supports.
   */
  export interface ClientCapabilities {
    elicitation: boolean,
    sampling: boolean,
  }
  /**
   * The user's answer to an elicitation.
   */
  export type Elicitation = ElicitationAccept | ElicitationDecline | ElicitationCancel;
  /**
   * The user submitted the form: a JSON object (as text) matching the
   * requested schema.
   */
  export interface ElicitationAccept {
    tag: 'accept',
    val: string,
  }
  /**
   * The user explicitly declined.
   */
  export interface ElicitationDecline {
    tag: 'decline',
  }
  /**
   * The user dismissed the request without choosing.
   */
  export interface ElicitationCancel {
    tag: 'cancel',
  }
  /**
   * The content of a sampling message.
   */
  export type SamplingContent = SamplingContentText | SamplingContentImage | SamplingContentAudio;
  export interface SamplingContentText {
    tag: 'text',
    val: string,
  }
  export interface SamplingContentImage {
    tag: 'image',
    val: BinaryContent,
  }
  export interface SamplingContentAudio {
    tag: 'audio',
    val: BinaryContent,
  }
  export interface SamplingMessage {
    role: Role,
    content: SamplingContent,
  }
  /**
   * A request for the client's model to write a message.
   */
  export interface SamplingRequest {
    messages: Array<SamplingMessage>,
    systemPrompt?: string,
    maxTokens: number,
    temperature?: number,
    stopSequences: Array<string>,
    /**
     * Model names the plugin would prefer, best first; the client
     * decides.
     */
    modelHints: Array<string>,
  }
  /**
   * The message the client's model wrote.
   */
  export interface SamplingResponse {
    role: Role,
    content: SamplingContent,
    /**
     * The model that wrote it.
     */
    model: string,
    /**
     * `endTurn`, `stopSequence`, `maxTokens`, ...
     */
    stopReason?: string,
  }
  /**
   * Why a request to the client failed.
   */
  export type ClientError = ClientErrorUnsupported | ClientErrorFailed;
  /**
   * The client did not declare support for this, or the call has no
   * client to ask (a test harness, `plugin` subcommands).
   */
  export interface ClientErrorUnsupported {
    tag: 'unsupported',
  }
  /**
   * The client answered with an error, disconnected, or the call's
   * deadline passed first; says which.
   */
  export interface ClientErrorFailed {
    tag: 'failed',
    val: string,
  }
  /**
   * A root the client exposes (a directory or project it works in).
   */
  export interface Root {
    /**
     * A `file://` URI.
     */
    uri: string,
    name?: string,
  }
  /**
   * A form for the user (see `elicit`).
   */
  export interface Form {
    message: string,
    /**
     * A JSON Schema object of primitive properties, as text.
     */
    requestedSchema: string,
  }
  /**
   * One question for the client.
   */
  export type Question = QuestionElicit | QuestionCreateMessage | QuestionListRoots;
  export interface QuestionElicit {
    tag: 'elicit',
    val: Form,
  }
  export interface QuestionCreateMessage {
    tag: 'create-message',
    val: SamplingRequest,
  }
  export interface QuestionListRoots {
    tag: 'list-roots',
  }
  /**
   * The answer to a `question`, of the same case.
   */
  export type Answer = AnswerElicitation | AnswerMessage | AnswerRoots;
  export interface AnswerElicitation {
    tag: 'elicitation',
    val: Elicitation,
  }
  export interface AnswerMessage {
    tag: 'message',
    val: SamplingResponse,
  }
  export interface AnswerRoots {
    tag: 'roots',
    val: Array<Root>,
  }
}
