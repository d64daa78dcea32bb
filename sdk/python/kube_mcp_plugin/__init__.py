"""Write kube-mcp tool plugins in Python.

A plugin is a WebAssembly component targeting the ``tool-plugin`` world of
the ``kube-mcp:plugin`` WIT package, built with componentize-py. This
package gives the world's exports a typed shape: describe the plugin once,
decorate one function per tool, and bind what :meth:`Plugin.exports`
returns to the names componentize-py looks for::

    from dataclasses import dataclass, field
    from kube_mcp_plugin import Plugin, text

    plugin = Plugin(name="hello", version="0.1.0", description="Greets.")

    @dataclass
    class GreetArgs:
        name: str = field(metadata={"description": "Who to greet."})

    @plugin.tool(description="Greets someone.", read_only=True)
    def greet(args: GreetArgs, caller) -> str:
        return f"Hello, {args.name}!"

    ToolProvider, ToolExecution = plugin.exports()

What the SDK hides:

- A tool's input schema comes from its arguments' dataclass (or is given
  as ``input=``), and arguments are checked against it before the tool
  runs; a mismatch names the field.
- A ``call-error`` must be raised as ``Err(...)`` of the WIT variant; the
  SDK does it for unknown tools, bad arguments and :class:`InvalidArguments`.
  A Kubernetes error (raised by the ``kubernetes`` functions as ``Err``)
  becomes a tool error result in the API's own words; any other exception
  becomes a tool error result and a log line with its traceback, instead of
  trapping the instance.
"""

from __future__ import annotations

import dataclasses
import json as _json
import traceback
import typing
from typing import Any, Callable, Iterable, Literal, Optional, Union

from componentize_py_types import Err
from wit_world.exports import tool_execution as _execution
from wit_world.imports import client, config, kubernetes, log, progress
from wit_world.imports import types as _types

from ._schema import check_value, from_json, schema_of

__all__ = [
    "Capability",
    "InvalidArguments",
    "Plugin",
    "check_value",
    "client",
    "config",
    "error",
    "json_result",
    "kube_error_message",
    "kubernetes",
    "list_options",
    "log",
    "page_options",
    "page_result",
    "patch_options",
    "exec_options",
    "proxy_options",
    "progress",
    "resource_type",
    "schema_of",
    "text",
]

Caller = _types.Caller
CallResult = _types.CallResult

#: What a tool function may return: a result, or text for a result.
RunResult = Union[_types.CallResult, str]


@dataclasses.dataclass
class Capability:
    """One Kubernetes capability a plugin requests (see ``types.wit``).

    ``namespaces`` lists namespaces (``*`` for any); empty means
    cluster-scoped resources only. ``api_groups`` defaults to the core
    group.
    """

    verbs: list[str]
    resources: list[str]
    namespaces: list[str]
    api_groups: list[str] = dataclasses.field(default_factory=lambda: [""])


class InvalidArguments(Exception):
    """Raised by a tool when its arguments are wrong in a way the schema
    cannot say; the client sees ``invalid arguments: <message>``."""


@dataclasses.dataclass
class _Tool:
    name: str
    description: str
    title: Optional[str]
    input: dict
    output: Optional[dict]
    annotations: _types.ToolAnnotations
    args_type: Optional[type]
    run: Callable[[Any, _types.Caller], RunResult]
    task_support: Optional[str]
    requires: list[str]
    view: Optional[str] = None
    visibility: Optional[list[str]] = None


@dataclasses.dataclass
class _View:
    uri: str
    name: str
    html: str
    title: Optional[str]
    description: Optional[str]
    connect_domains: list[str]
    resource_domains: list[str]
    prefers_border: Optional[bool]


class Plugin:
    """A plugin: what it says about itself and its tools."""

    def __init__(
        self,
        name: str,
        version: str,
        description: str,
        capabilities: Iterable[Capability] = (),
    ) -> None:
        self.info = _types.PluginInfo(
            name=name,
            version=version,
            description=description,
            capabilities=[
                _types.Capability(
                    verbs=list(c.verbs),
                    api_groups=list(c.api_groups),
                    resources=list(c.resources),
                    namespaces=list(c.namespaces),
                )
                for c in capabilities
            ],
        )
        self._tools: dict[str, _Tool] = {}
        self._views: dict[str, _View] = {}

    def view(
        self,
        uri: str,
        name: str,
        html: str,
        *,
        title: Optional[str] = None,
        description: Optional[str] = None,
        connect_domains: Iterable[str] = (),
        resource_domains: Iterable[str] = (),
        prefers_border: Optional[bool] = None,
    ) -> str:
        """Ships a view (MCP Apps): ``html`` is one self-contained document
        at ``uri`` (``ui://<plugin name>/<path>``). Tools name it with
        ``view=``; the server declares only the origins its operator granted
        (``plugins.overrides.<plugin>.apps.domains``). Returns ``uri``."""
        if uri in self._views:
            raise ValueError(f"view '{uri}' is declared twice")
        self._views[uri] = _View(
            uri, name, html, title, description, list(connect_domains), list(resource_domains), prefers_border
        )
        return uri

    def tool(
        self,
        description: str,
        *,
        name: Optional[str] = None,
        title: Optional[str] = None,
        input: Optional[dict] = None,
        output: Optional[dict] = None,
        read_only: bool = False,
        destructive: Optional[bool] = None,
        idempotent: Optional[bool] = None,
        task_support: Optional[Literal["forbidden", "optional", "required"]] = None,
        requires: Iterable[Literal["elicitation", "sampling", "roots"]] = (),
        view: Optional[str] = None,
        visibility: Optional[Iterable[Literal["model", "app"]]] = None,
    ) -> Callable[[Callable[..., RunResult]], Callable[..., RunResult]]:
        """Declares the decorated function ``f(args, caller)`` as a tool.

        The tool is named after the function unless ``name`` is given. Its
        input schema is ``input``, or derived from the dataclass that
        annotates ``args``; the function then receives an instance of it.

        MCP Apps: ``view`` names one of the plugin's views that renders the
        tool's results; ``visibility`` says who may call it (``["model"]`` by
        default, ``["model", "app"]`` with a view; ``["app"]`` hides it from
        the model and from clients without MCP Apps).
        """

        def register(function: Callable[..., RunResult]) -> Callable[..., RunResult]:
            tool_name = name or function.__name__
            if tool_name in self._tools:
                raise ValueError(f"tool '{tool_name}' is declared twice")
            args_type = _args_type(function)
            if input is not None:
                schema = input
            elif args_type is not None:
                schema = schema_of(args_type)
            else:
                raise ValueError(
                    f"tool '{tool_name}': give input= or annotate its first parameter with a dataclass"
                )
            if schema.get("type") != "object":
                raise ValueError(f"tool '{tool_name}': input must be a schema with type 'object'")
            annotations = _types.ToolAnnotations(None, None, None, None)
            if read_only:
                annotations = _types.ToolAnnotations(True, False, True, None)
            elif destructive is not None or idempotent is not None:
                annotations.read_only_hint = False
            if destructive is not None:
                annotations.destructive_hint = destructive
            if idempotent is not None:
                annotations.idempotent_hint = idempotent
            self._tools[tool_name] = _Tool(
                name=tool_name,
                description=description,
                title=title,
                input=schema,
                output=output,
                annotations=annotations,
                args_type=args_type if input is None else None,
                run=function,
                task_support=task_support,
                requires=list(requires),
                view=view,
                visibility=None if visibility is None else list(visibility),
            )
            if view is not None and view not in self._views:
                raise ValueError(f"tool '{tool_name}' shows view '{view}', which is not one of the plugin's views")
            if visibility is not None and not list(visibility):
                raise ValueError(f"tool '{tool_name}': visibility must name 'model', 'app' or both")
            return function

        return register

    def exports(self) -> tuple[type, type]:
        """The classes componentize-py looks for in the app module:
        ``ToolProvider, ToolExecution = plugin.exports()``."""
        plugin = self

        class ToolProvider:
            def describe(self) -> _types.PluginInfo:
                return plugin.info

            def tools(self) -> list[_types.Tool]:
                return [
                    _types.Tool(
                        name=t.name,
                        title=t.title,
                        description=t.description,
                        input_schema=_json.dumps(t.input),
                        output_schema=None if t.output is None else _json.dumps(t.output),
                        annotations=t.annotations,
                    )
                    for t in plugin._tools.values()
                ]

            def call_tool(self, name: str, arguments: str, caller: _types.Caller) -> _types.CallResult:
                return plugin.call(name, arguments, caller)

        class ToolExecution:
            def executions(self) -> list[_execution.Execution]:
                return [
                    _execution.Execution(
                        tool=t.name,
                        task_support=_execution.TaskSupport[(t.task_support or "forbidden").upper()],
                        requires=[_execution.ClientFeature[f.upper()] for f in t.requires],
                    )
                    for t in plugin._tools.values()
                    if t.task_support is not None or t.requires
                ]

        return ToolProvider, ToolExecution

    def app_provider(self) -> type:
        """The class componentize-py looks for when the plugin ships views
        (built for the ``app-plugin`` world): ``AppProvider =
        plugin.app_provider()``."""
        from wit_world.exports import app_provider as _apps

        plugin = self

        class AppProvider:
            def views(self) -> list[_apps.View]:
                return [
                    _apps.View(
                        uri=v.uri,
                        name=v.name,
                        title=v.title,
                        description=v.description,
                        html=v.html,
                        csp=_apps.ViewCsp(
                            connect_domains=v.connect_domains,
                            resource_domains=v.resource_domains,
                            frame_domains=[],
                            base_uri_domains=[],
                        ),
                        permissions=_apps.ViewPermissions(0),
                        prefers_border=v.prefers_border,
                    )
                    for v in plugin._views.values()
                ]

            def tool_views(self) -> list[_apps.ToolView]:
                links = []
                for t in plugin._tools.values():
                    if t.view is None and t.visibility is None:
                        continue
                    visibility = t.visibility or (["model", "app"] if t.view is not None else ["model"])
                    flags = _apps.Visibility(0)
                    if "model" in visibility:
                        flags |= _apps.Visibility.MODEL
                    if "app" in visibility:
                        flags |= _apps.Visibility.APP
                    links.append(_apps.ToolView(tool=t.name, view=t.view, visibility=flags))
                return links

        return AppProvider

    def call(self, name: str, arguments: str, caller: _types.Caller) -> _types.CallResult:
        """Runs tool ``name``; what the exported ``call_tool`` does."""
        tool = self._tools.get(name)
        if tool is None:
            raise Err(_types.CallError_UnknownTool(name))
        try:
            args = _json.loads(arguments) if arguments.strip() else {}
        except ValueError as e:
            raise Err(_types.CallError_InvalidArguments(f"not JSON: {e}"))
        problem = check_value(tool.input, args, "")
        if problem is not None:
            raise Err(_types.CallError_InvalidArguments(problem))
        try:
            value = from_json(tool.args_type, args) if tool.args_type is not None else args
            result = tool.run(value, caller)
        except InvalidArguments as e:
            raise Err(_types.CallError_InvalidArguments(str(e)))
        except Err as e:
            message = kube_error_message(e)
            if message is None:
                raise
            return error(message)
        except Exception as e:  # a bug in the tool: report it, keep the instance
            log.write(log.Level.ERROR, f"tool '{name}' failed: {traceback.format_exc()}")
            return error(f"{name} failed: {type(e).__name__}: {e}")
        return text(result) if isinstance(result, str) else result


def _args_type(function: Callable[..., Any]) -> Optional[type]:
    """The dataclass annotating the function's first parameter, if any."""
    try:
        hints = typing.get_type_hints(function)
    except Exception:
        return None
    parameters = [p for p in function.__code__.co_varnames[: function.__code__.co_argcount]]
    if not parameters:
        return None
    hint = hints.get(parameters[0])
    return hint if isinstance(hint, type) and dataclasses.is_dataclass(hint) else None


# ------------------------------------------------------------------ results


def text(value: str) -> _types.CallResult:
    """A successful result holding one text item."""
    return _types.CallResult([_types.Content_Text(_types.TextContent(value))], None, False)


def error(value: str) -> _types.CallResult:
    """A failed result the model sees (``isError: true``) with one text item."""
    return _types.CallResult([_types.Content_Text(_types.TextContent(value))], None, True)


def json_result(value: Any) -> _types.CallResult:
    """``value`` as structured content, and as JSON text for clients that
    read only text."""
    encoded = _json.dumps(value)
    return _types.CallResult([_types.Content_Text(_types.TextContent(encoded))], encoded, False)


def page_result(page: kubernetes.Page) -> _types.CallResult:
    """A page from ``kubernetes.list_page`` as a result: its text (with the
    line saying what follows, if more does) and its rows as structured
    content."""
    body = page.text if page.more is None else f"{page.text}\n{page.more}"
    return _types.CallResult([_types.Content_Text(_types.TextContent(body))], page.structured, False)


# --------------------------------------------------------------- kubernetes


def resource_type(api_version: str, resource: str) -> kubernetes.ResourceType:
    """``resource_type("apps/v1", "deployments")``; the core group has no
    ``group/`` part: ``resource_type("v1", "pods")``."""
    group, _, version = api_version.rpartition("/")
    return kubernetes.ResourceType(group=group, version=version, resource=resource)


def list_options(
    namespace: Optional[str] = None,
    label_selector: Optional[str] = None,
    field_selector: Optional[str] = None,
    limit: Optional[int] = None,
    continue_token: Optional[str] = None,
) -> kubernetes.ListOptions:
    """List options with only what you set (the bindings want every field)."""
    return kubernetes.ListOptions(namespace, label_selector, field_selector, limit, continue_token)


def page_options(
    format: Optional[kubernetes.ListFormat] = None,
    wide: bool = False,
    budget: Optional[int] = None,
) -> kubernetes.PageOptions:
    """Page options: the server's format and budget unless you set them."""
    return kubernetes.PageOptions(format, wide, budget)


def patch_options(dry_run: bool = False, subresource: Optional[str] = None) -> kubernetes.PatchOptions:
    """Patch options (package 0.1.1): a real patch of the object itself
    unless you set them."""
    return kubernetes.PatchOptions(dry_run, subresource)


def exec_options(
    container: Optional[str] = None,
    stdin: Optional[str] = None,
    timeout_seconds: Optional[int] = None,
    limit_bytes: Optional[int] = None,
) -> kubernetes.ExecOptions:
    """Exec options (package 0.1.1): the pod's only container, no stdin, the
    host's timeout and the plugin's output limit unless you set them."""
    return kubernetes.ExecOptions(container, stdin, timeout_seconds, limit_bytes)


def proxy_options(
    port: Optional[str] = None,
    query: Optional[str] = None,
    limit_bytes: Optional[int] = None,
    timeout_seconds: Optional[int] = None,
) -> kubernetes.ProxyOptions:
    """Proxy options (package 0.1.1): the target's default port, no query,
    the host's timeout and the plugin's output limit unless you set them."""
    return kubernetes.ProxyOptions(port, query, limit_bytes, timeout_seconds)


_STATUS_ERRORS = (
    kubernetes.Error_NotFound,
    kubernetes.Error_Forbidden,
    kubernetes.Error_Conflict,
    kubernetes.Error_Invalid,
    kubernetes.Error_Unauthorized,
    kubernetes.Error_Timeout,
    kubernetes.Error_Other,
)


def kube_error_message(e: BaseException) -> Optional[str]:
    """One line for a model or a user, if ``e`` is a Kubernetes error raised
    by a ``kubernetes`` function: the kind of failure and the API server's
    (or the host's) own words."""
    value = e.value if isinstance(e, Err) else None
    if isinstance(value, _STATUS_ERRORS):
        status = value.value
        return f"{status.reason} ({status.code}): {status.message}"
    if isinstance(value, kubernetes.Error_Unavailable):
        return f"the cluster is unavailable: {value.value}"
    if isinstance(value, kubernetes.Error_BadRequest):
        return f"bad request: {value.value}"
    if isinstance(value, kubernetes.Error_DeniedByGrant):
        d = value.value
        what = (f"{d.group}/" if d.group else "") + d.resource
        if d.namespace is not None:
            what += f" in namespace {d.namespace}"
        return f"denied by grant: {d.verb} on {what} is not allowed for this plugin ({d.reason})"
    return None
