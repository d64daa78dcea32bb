declare module 'kube-mcp:plugin/kubernetes@0.1.3' {
  /**
   * Every resource type the API server offers (cached by the host).
   * Needs no grant: it reveals which types exist, not any object.
   */
  export function apiResources(): Array<ApiResource>;
  /**
   * The API server's version. Needs no grant.
   */
  export function version(): ServerVersion;
  /**
   * One object (`get`), as JSON.
   */
  export function get(object: ObjectRef): string;
  /**
   * A page of objects (`list`), as the API server's List JSON; the next
   * page's token is its `metadata.continue`.
   */
  export function list(type: ResourceType, options: ListOptions): string;
  /**
   * One object (`get`), written as YAML or compact JSON.
   */
  export function getAs(object: ObjectRef, format: ObjectFormat): string;
  /**
   * A page of objects (`list`, as many API requests as the page needs),
   * written for a model within the answer budget. `options.limit` caps
   * the items shown; `options.continue-token` takes this function's
   * tokens (which resume exactly after the last item shown, even inside
   * one of the API server's pages) or an API server's `metadata.continue`.
   */
  export function listPage(type: ResourceType, options: ListOptions, page: PageOptions): Page;
  /**
   * A container's log (`get` on `pods/log`), as text.
   */
  export function podLogs(namespace: string, pod: string, options: LogOptions): string;
  /**
   * Events in a namespace (or every namespace), optionally only those
   * about one object (`list` on `events`), as an EventList JSON, newest
   * last.
   */
  export function events(namespace: string | undefined, about: EventSubject | undefined): string;
  /**
   * Server-side apply of one object given as JSON or YAML (`patch` on its
   * resource). The host resolves its `apiVersion` and `kind` through
   * discovery and applies as field manager `kube-mcp-<plugin>`. Returns
   * the object as stored (or as it would be, on a dry run).
   */
  export function apply(manifest: string, options: ApplyOptions): string;
  /**
   * Deletes one object (`delete`). Returns the API server's answer: the
   * object (being deleted) or a `Status`.
   */
  export { _delete as delete };
  function _delete(object: ObjectRef, options: DeleteOptions): string;
  /**
   * Sets the replicas of a scalable object (`patch` on `<resource>/scale`).
   * Returns the resulting `Scale` object.
   */
  export function scale(object: ObjectRef, replicas: number, dryRun: boolean): string;
  /**
   * Restarts the pods of a Deployment, StatefulSet or DaemonSet the way
   * `kubectl rollout restart` does, by stamping its pod template
   * (`patch` on the workload). Returns the patched object.
   */
  export function rolloutRestart(object: ObjectRef, dryRun: boolean): string;
  /**
   * Patches one object (`patch` on its resource, or on
   * `<resource>/<subresource>`). `patch` is JSON (YAML is taken too).
   * Returns the object as stored (or as it would be, on a dry run).
   */
  export function patch(object: ObjectRef, type: PatchType, patch: string, options: PatchOptions): string;
  /**
   * Creates one object given as JSON or YAML (`create` on its resource;
   * no `patch` needed, unlike `apply`). The host resolves its kind
   * through discovery. Returns the object as stored; an object that
   * exists already is `error::conflict`.
   */
  export function create(manifest: string, dryRun: boolean): string;
  /**
   * Creates a subresource of one object (`create` on
   * `<resource>/<subresource>`), such as a pod's eviction
   * (`pods/eviction`, `body` a `policy/v1` Eviction): the API server
   * answers 429 `TooManyRequests` (as `error::other`) while a
   * PodDisruptionBudget forbids it. Returns the API server's answer.
   */
  export function createSubresource(object: ObjectRef, subresource: string, body: string, dryRun: boolean): string;
  /**
   * Runs `command` (the program and its arguments, as given: no shell
   * is added) in a container of a pod (`create` on `pods/exec`),
   * through the API server's exec subresource over WebSocket
   * (`v5.channel.k8s.io`, else `v4.channel.k8s.io`). A non-zero exit is
   * an `exec-output`, not an error; errors are the API server's
   * (no such pod or container) and the host's refusals.
   */
  export function exec(namespace: string, pod: string, command: Array<string>, options: ExecOptions): ExecOutput;
  /**
   * An HTTP GET of `path` on a pod, a service or a node (its kubelet),
   * through the API server's proxy subresource (`get` on `pods/proxy`,
   * `services/proxy` or `nodes/proxy`). `object` must be a core `v1`
   * pod, service or node. `path` starts with `/` and may not climb
   * (`..`) or carry a query or fragment. Whatever the endpoint answers
   * comes back as a `proxy-response`, error statuses included; the API
   * server's own refusals (no such pod, no endpoints, RBAC) are errors.
   */
  export function proxyGet(object: ObjectRef, path: string, options: ProxyOptions): ProxyResponse;
  /**
   * The clusters the caller may aim this tool at (the `context` values
   * its schema offers; with one cluster, that one), in the server's
   * order. With `probe`, each API server is asked for its version at
   * once, each for at most 3 seconds and never past the call's deadline.
   * Needs no grant: it sends no request on the plugin's behalf.
   */
  export function contexts(probe: boolean): Array<ClusterContext>;
  /**
   * A kind of resource, as the API server addresses it (group, version,
   * plural resource name). `api-resources` maps kinds to these.
   */
  export interface ResourceType {
    /**
     * API group; `""` is the core group (pods, services, ...).
     */
    group: string,
    /**
     * API version within the group: `v1`, `v1beta1`.
     */
    version: string,
    /**
     * Plural resource name: `pods`, `deployments`, `widgets`.
     */
    resource: string,
  }
  /**
   * One object.
   */
  export interface ObjectRef {
    type: ResourceType,
    /**
     * Required for namespaced resources; must be absent for
     * cluster-scoped ones.
     */
    namespace?: string,
    name: string,
  }
  /**
   * How to list.
   */
  export interface ListOptions {
    /**
     * Absent: cluster-scoped resources, or a namespaced resource in
     * every namespace (which needs a grant on namespace `*`).
     */
    namespace?: string,
    /**
     * `app=web,tier!=cache`
     */
    labelSelector?: string,
    /**
     * `status.phase=Running`
     */
    fieldSelector?: string,
    /**
     * At most this many items; the host caps it (500 by default), and
     * a list longer than that always carries a continue token.
     */
    limit?: number,
    /**
     * `metadata.continue` of the previous page.
     */
    continueToken?: string,
  }
  /**
   * What the API server offers for one resource type (discovery).
   */
  export interface ApiResource {
    type: ResourceType,
    /**
     * `Deployment`
     */
    kind: string,
    namespaced: boolean,
    /**
     * Verbs the resource supports.
     */
    verbs: Array<string>,
    shortNames: Array<string>,
    categories: Array<string>,
  }
  /**
   * The API server's version.
   */
  export interface ServerVersion {
    major: string,
    minor: string,
    /**
     * `v1.36.3`
     */
    gitVersion: string,
    /**
     * `linux/amd64`
     */
    platform: string,
  }
  /**
   * Which container log to read, and how much of it.
   */
  export interface LogOptions {
    /**
     * Required when the pod has more than one container.
     */
    container?: string,
    /**
     * The last N lines only.
     */
    tailLines?: number,
    /**
     * Only lines newer than this many seconds.
     */
    sinceSeconds?: number,
    /**
     * The previous, terminated container's log.
     */
    previous: boolean,
    /**
     * At most this many bytes; the host caps it at the plugin's output
     * limit either way.
     */
    limitBytes?: number,
  }
  /**
   * The object events are about.
   */
  export interface EventSubject {
    /**
     * `Pod`, `Deployment`, ...
     */
    kind: string,
    name: string,
  }
  /**
   * How to apply.
   */
  export interface ApplyOptions {
    /**
     * Validate and compute the result without persisting it.
     */
    dryRun: boolean,
    /**
     * Take ownership of fields another manager owns (resolves
     * conflicts in this plugin's favour).
     */
    force: boolean,
  }
  /**
   * How dependents of a deleted object are handled.
   * # Variants
   * 
   * ## `"background"`
   * 
   * Delete dependents in the background (the API's default).
   * ## `"foreground"`
   * 
   * Delete dependents before the object.
   * ## `"orphan"`
   * 
   * Leave dependents behind.
   */
  export type Propagation = 'background' | 'foreground' | 'orphan';
  /**
   * How to delete.
   */
  export interface DeleteOptions {
    dryRun: boolean,
    propagation?: Propagation,
    gracePeriodSeconds?: number,
  }
  /**
   * The API server's own account of a failed request (its `Status`).
   */
  export interface ApiStatus {
    /**
     * HTTP status code.
     */
    code: number,
    /**
     * The machine-readable reason: `NotFound`, `AlreadyExists`, ...
     */
    reason: string,
    /**
     * The API server's message, verbatim.
     */
    message: string,
  }
  /**
   * A request the host refused because the plugin's effective grant does
   * not cover it.
   */
  export interface GrantDenial {
    verb: string,
    group: string,
    resource: string,
    namespace?: string,
    /**
     * Whether the plugin did not request it or the operator did not
     * grant it, in words.
     */
    reason: string,
  }
  /**
   * Why a Kubernetes call failed. The API's reason and message are kept.
   */
  export type Error = ErrorNotFound | ErrorForbidden | ErrorConflict | ErrorInvalid | ErrorUnauthorized | ErrorTimeout | ErrorUnavailable | ErrorDeniedByGrant | ErrorBadRequest | ErrorOther;
  /**
   * 404: the object or resource type does not exist.
   */
  export interface ErrorNotFound {
    tag: 'not-found',
    val: ApiStatus,
  }
  /**
   * 403: the cluster's RBAC refused the identity in use.
   */
  export interface ErrorForbidden {
    tag: 'forbidden',
    val: ApiStatus,
  }
  /**
   * 409: a conflict (already exists, changed meanwhile, apply field
   * conflict).
   */
  export interface ErrorConflict {
    tag: 'conflict',
    val: ApiStatus,
  }
  /**
   * 422 (or 400): the object or request is invalid.
   */
  export interface ErrorInvalid {
    tag: 'invalid',
    val: ApiStatus,
  }
  /**
   * 401: the cluster did not accept the server's credentials.
   */
  export interface ErrorUnauthorized {
    tag: 'unauthorized',
    val: ApiStatus,
  }
  /**
   * 504 or a timeout: the API server did not answer in time.
   */
  export interface ErrorTimeout {
    tag: 'timeout',
    val: ApiStatus,
  }
  /**
   * The cluster could not be reached; says why.
   */
  export interface ErrorUnavailable {
    tag: 'unavailable',
    val: string,
  }
  /**
   * The host refused the request before sending it.
   */
  export interface ErrorDeniedByGrant {
    tag: 'denied-by-grant',
    val: GrantDenial,
  }
  /**
   * The host refused a malformed request before sending it (a
   * manifest that is not an object, an unknown kind); says what.
   */
  export interface ErrorBadRequest {
    tag: 'bad-request',
    val: string,
  }
  /**
   * Any other error status from the API server.
   */
  export interface ErrorOther {
    tag: 'other',
    val: ApiStatus,
  }
  /**
   * How a page of a list is written for a model.
   * # Variants
   * 
   * ## `"table"`
   * 
   * The API server's own table (the columns `kubectl get` shows;
   * a custom resource's `additionalPrinterColumns`), as aligned text.
   * ## `"yaml"`
   * 
   * The objects as YAML documents separated by `---`.
   * ## `"json"`
   * 
   * The API server's List as compact JSON (one line per object).
   */
  export type ListFormat = 'table' | 'yaml' | 'json';
  /**
   * How one object is written.
   * # Variants
   * 
   * ## `"yaml"`
   * 
   * ## `"json"`
   */
  export type ObjectFormat = 'yaml' | 'json';
  /**
   * How `list-page` writes its page.
   */
  export interface PageOptions {
    /**
     * Absent: the server's default (`kubernetes.listOutput`).
     */
    format?: ListFormat,
    /**
     * Tables only: also the columns `kubectl get -o wide` adds.
     */
    wide: boolean,
    /**
     * Keep the page within this many bytes of text. Absent, or above
     * the server's `kubernetes.answerBudget`: that budget.
     */
    budget?: number,
  }
  /**
   * One page of a list, written for a model, within the answer budget.
   */
  export interface Page {
    /**
     * The items in the requested format: an aligned table with a
     * header line, YAML documents, or the List as JSON. Never cut in
     * the middle of an item unless a single item exceeds the budget
     * (then it says so).
     */
    text: string,
    /**
     * When more items follow: one line saying how many (when known)
     * and the continue token that resumes exactly after this page.
     */
    more?: string,
    /**
     * The same page as JSON for `call-result.structured-content`:
     * `{"columns": [{"name", "type"}], "rows": [{column name: cell}],
     * "continue": token?, "remainingItemCount": n?}`. Columns are named
     * as the API server names them (`Name`, `Ready`, `Nominated Node`),
     * with `Namespace` first when listing across namespaces; in YAML
     * and JSON formats the rows carry only `Namespace` and `Name`. Its
     * JSON Schema is the SDKs' list output schema.
     */
    structured: string,
    /**
     * How many items this page shows.
     */
    items: number,
    /**
     * Give it as `list-options.continue-token` for the next page.
     */
    continueToken?: string,
    /**
     * How many items follow this page, when the API server knows.
     */
    remainingItemCount?: bigint,
  }
  /**
   * How `patch` reads its patch.
   * # Variants
   * 
   * ## `"merge"`
   * 
   * JSON merge patch (RFC 7386): objects merge, `null` removes a
   * field, lists are replaced whole.
   * ## `"strategic"`
   * 
   * Strategic merge patch: like `merge`, but the lists of built-in
   * kinds merge by their keys (containers by name). Not for custom
   * resources.
   * ## `"json"`
   * 
   * JSON Patch (RFC 6902): a list of operations (`add`, `remove`,
   * `replace`, `test`, ...).
   */
  export type PatchType = 'merge' | 'strategic' | 'json';
  /**
   * How to patch.
   */
  export interface PatchOptions {
    /**
     * Validate and compute the result without persisting it.
     */
    dryRun: boolean,
    /**
     * Patch this subresource of the object instead (`status`,
     * `scale`); the grant must then cover `<resource>/<subresource>`.
     */
    subresource?: string,
  }
  /**
   * How to run a command in a container.
   */
  export interface ExecOptions {
    /**
     * Required when the pod has more than one container.
     */
    container?: string,
    /**
     * Written to the command's standard input, which is then closed.
     * Absent: the command gets no standard input.
     */
    stdin?: string,
    /**
     * Stop waiting after this many seconds (the host also stops
     * before the call's own deadline). Absent: 10.
     */
    timeoutSeconds?: number,
    /**
     * At most this many bytes of standard output and of standard
     * error together; the host caps it at the plugin's output limit.
     */
    limitBytes?: number,
  }
  /**
   * What a command run in a container did.
   */
  export interface ExecOutput {
    stdout: string,
    stderr: string,
    /**
     * Its exit code, when it ended and the runtime said (`0` on
     * success). Absent when it was stopped (timeout, output cap) or
     * the runtime failed without one (then `message` says why).
     */
    exitCode?: number,
    /**
     * The runtime's words when the command failed: "command
     * terminated with non-zero exit code", "executable not found".
     */
    message?: string,
    /**
     * The output reached `limit-bytes`; the host stopped reading and
     * closed the stream.
     */
    truncated: boolean,
    /**
     * The timeout came first; the host closed the stream.
     */
    timedOut: boolean,
  }
  /**
   * How to make a proxied GET.
   */
  export interface ProxyOptions {
    /**
     * The target's port, by number or name (`8080`, `http`); a
     * service's may be `https:443`. Absent: the target's default.
     */
    port?: string,
    /**
     * The query, without `?`: `verbose=1&limit=10`.
     */
    query?: string,
    /**
     * At most this many bytes of the body; the host caps it at the
     * plugin's output limit.
     */
    limitBytes?: number,
    /**
     * Stop waiting after this many seconds (the host also stops before
     * the call's own deadline). Absent: 10.
     */
    timeoutSeconds?: number,
  }
  /**
   * What the proxied endpoint answered.
   */
  export interface ProxyResponse {
    /**
     * The endpoint's HTTP status.
     */
    status: number,
    contentType?: string,
    /**
     * The body as text (invalid UTF-8 replaced), at most `limit-bytes`.
     */
    body: string,
    /**
     * The body was longer than `limit-bytes`.
     */
    truncated: boolean,
  }
  /**
   * A cluster this server serves, as a caller may know it: never its
   * credentials.
   */
  export interface ClusterContext {
    /**
     * What tools take as `context` (a kubeconfig context's name).
     */
    name: string,
    /**
     * The API server's URL.
     */
    server: string,
    /**
     * Calls that give no `context` go to this cluster.
     */
    isDefault: boolean,
    /**
     * This call's Kubernetes requests go to this cluster.
     */
    current: boolean,
    /**
     * Whose identity its requests carry: `serviceAccount`,
     * `impersonate` (the caller, by impersonation) or `tokenExchange`
     * (the caller's own token for that cluster).
     */
    identity: string,
    /**
     * With `probe`: the API server's version, when it answered.
     */
    version?: string,
    /**
     * With `probe`: why it did not answer. Also set, probe or not,
     * for a cluster the server could not set up at all.
     */
    unreachable?: string,
  }
}
