"""The SDK's logic under CPython, with the host's functions replaced: what
a component would see is covered by the templates' end-to-end test
(tests/e2e/plugin-sdks.test.mjs)."""

from dataclasses import dataclass, field
from typing import Literal, Optional

import pytest
from componentize_py_types import Err
from wit_world.exports import tool_execution
from wit_world.imports import kubernetes, log, types

import kube_mcp_plugin as sdk
from kube_mcp_plugin import Capability, InvalidArguments, Plugin, schema_of

CALLER = types.Caller(subject="alice", username="alice", groups=[], scopes=[])


@dataclass
class PodsArgs:
    namespace: str = field(metadata={"description": "The namespace."})
    label_selector: Optional[str] = field(default=None, metadata={"alias": "labelSelector"})
    output: Literal["table", "yaml"] = "table"
    limit: Optional[int] = None


@pytest.fixture
def host(monkeypatch):
    recorded = {"logs": [], "lists": [], "answer": None}

    def list_page(type_, options, page):
        recorded["lists"].append((type_, options, page))
        if isinstance(recorded["answer"], BaseException):
            raise recorded["answer"]
        return recorded["answer"]

    monkeypatch.setattr(kubernetes, "list_page", list_page)
    monkeypatch.setattr(log, "write", lambda level, message: recorded["logs"].append((level, message)))
    return recorded


def make_plugin():
    plugin = Plugin(
        name="pods",
        version="1.2.3",
        description="Lists pods.",
        capabilities=[Capability(verbs=["list"], resources=["pods"], namespaces=["demo"])],
    )

    @plugin.tool(description="Lists pods.", read_only=True)
    def list_pods(args: PodsArgs, caller) -> types.CallResult:
        log.write(log.Level.INFO, f"{caller.subject} lists {args.namespace}")
        page = kubernetes.list_page(
            sdk.resource_type("v1", "pods"),
            sdk.list_options(namespace=args.namespace, label_selector=args.label_selector),
            sdk.page_options(),
        )
        return sdk.page_result(page)

    @plugin.tool(description="Restarts.", input={"type": "object"}, destructive=True,
                 task_support="optional", requires=["elicitation"])
    def restart(args, caller):
        raise InvalidArguments("nothing to restart")

    @plugin.tool(description="Fails.", input={"type": "object"})
    def broken(args, caller):
        return {}["missing"]

    @plugin.tool(description="Greets.", input={"type": "object"}, name="hello")
    def greet(args, caller):
        return f"hello {caller.subject}"

    return plugin


def test_describe_and_tools():
    provider_class, execution_class = make_plugin().exports()
    provider = provider_class()
    info = provider.describe()
    assert info.name == "pods" and info.version == "1.2.3"
    assert info.capabilities == [types.Capability(["list"], [""], ["pods"], ["demo"])]
    tools = {t.name: t for t in provider.tools()}
    assert sorted(tools) == ["broken", "hello", "list_pods", "restart"]
    assert tools["list_pods"].annotations == types.ToolAnnotations(True, False, True, None)
    assert tools["restart"].annotations == types.ToolAnnotations(False, True, None, None)
    assert execution_class().executions() == [
        tool_execution.Execution(
            "restart", tool_execution.TaskSupport.OPTIONAL, [tool_execution.ClientFeature.ELICITATION]
        )
    ]


def test_schema_from_the_dataclass():
    assert schema_of(PodsArgs) == {
        "type": "object",
        "properties": {
            "namespace": {"type": "string", "description": "The namespace."},
            "labelSelector": {"type": "string"},
            "output": {"enum": ["table", "yaml"]},
            "limit": {"type": "integer"},
        },
        "required": ["namespace"],
        "additionalProperties": False,
    }


def test_a_call_gets_its_dataclass_and_returns_the_page(host):
    host["answer"] = kubernetes.Page("NAME\nweb", '1 more: continue with "t"', '{"rows":[]}', 1, "t", 1)
    result = make_plugin().call("list_pods", '{"namespace": "demo", "labelSelector": "app=web"}', CALLER)
    assert result == types.CallResult(
        [types.Content_Text(types.TextContent('NAME\nweb\n1 more: continue with "t"'))], '{"rows":[]}', False
    )
    (resource, options, _page), = host["lists"]
    assert resource == kubernetes.ResourceType("", "v1", "pods")
    assert options.namespace == "demo" and options.label_selector == "app=web"
    assert host["logs"] == [(log.Level.INFO, "alice lists demo")]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ("{}", "namespace: missing (required)"),
        ('{"namespace": 5}', "namespace: expected a string, got number 5"),
        ('{"namespace": "a", "output": "json"}', 'output: must be one of "table", "yaml"'),
        ('{"namespace": "a", "extra": 1}', "extra: unknown field"),
        ('{"namespace": "a", "limit": true}', "limit: expected an integer, got boolean true"),
    ],
)
def test_bad_arguments_raise_the_invalid_arguments_variant(arguments, message):
    with pytest.raises(Err) as raised:
        make_plugin().call("list_pods", arguments, CALLER)
    assert raised.value.value == types.CallError_InvalidArguments(message)


def test_unknown_tools_and_invalid_arguments_from_the_tool():
    with pytest.raises(Err) as raised:
        make_plugin().call("nope", "{}", CALLER)
    assert raised.value.value == types.CallError_UnknownTool("nope")
    with pytest.raises(Err) as raised:
        make_plugin().call("restart", "{}", CALLER)
    assert raised.value.value == types.CallError_InvalidArguments("nothing to restart")


def test_a_kubernetes_error_is_a_tool_error_in_the_api_words(host):
    host["answer"] = Err(kubernetes.Error_DeniedByGrant(kubernetes.GrantDenial(
        "list", "", "pods", "kube-system", "the operator granted namespaces demo")))
    result = make_plugin().call("list_pods", '{"namespace": "kube-system"}', CALLER)
    assert result.is_error
    assert result.content[0].value.text == (
        "denied by grant: list on pods in namespace kube-system is not allowed for this plugin "
        "(the operator granted namespaces demo)"
    )
    not_found = Err(kubernetes.Error_NotFound(kubernetes.ApiStatus(404, "NotFound", 'pods "x" not found')))
    assert sdk.kube_error_message(not_found) == 'NotFound (404): pods "x" not found'
    assert sdk.kube_error_message(ValueError("plain")) is None


def test_any_other_exception_is_a_tool_error_with_its_traceback_logged(host):
    result = make_plugin().call("broken", "", CALLER)
    assert result == sdk.error("broken failed: KeyError: 'missing'")
    (level, message), = host["logs"]
    assert level == log.Level.ERROR
    assert message.startswith("tool 'broken' failed: Traceback (most recent call last):")


def test_text_results_and_names():
    assert make_plugin().call("hello", "{}", CALLER) == sdk.text("hello alice")


def test_declaration_mistakes_are_refused():
    plugin = Plugin(name="p", version="1", description="")
    with pytest.raises(ValueError, match="give input= or annotate"):
        plugin.tool(description="")(lambda args, caller: "")
    plugin.tool(description="", input={"type": "object"}, name="a")(lambda args, caller: "")
    with pytest.raises(ValueError, match="tool 'a' is declared twice"):
        plugin.tool(description="", input={"type": "object"}, name="a")(lambda args, caller: "")
    with pytest.raises(ValueError, match="input must be a schema with type 'object'"):
        plugin.tool(description="", input={"type": "string"}, name="b")(lambda args, caller: "")


def test_resource_type_splits_an_api_version():
    assert sdk.resource_type("apps/v1", "deployments") == kubernetes.ResourceType("apps", "v1", "deployments")
    assert sdk.resource_type("v1", "pods") == kubernetes.ResourceType("", "v1", "pods")


def test_views_ship_with_the_plugin_and_tools_name_theirs():
    from wit_world.exports import app_provider

    plugin = Plugin("viewer", "1.0.0", "Shows a view.")
    uri = plugin.view("ui://viewer/list", "list", "<!doctype html><p>hi", connect_domains=["https://api.example.com"])

    @plugin.tool("Lists.", view=uri)
    def list_things(args: PodsArgs, caller):
        return "x"

    @plugin.tool("Refreshes.", input={"type": "object"}, visibility=["app"])
    def refresh(args, caller):
        return "y"

    @plugin.tool("Plain.", input={"type": "object"})
    def plain(args, caller):
        return "z"

    provider = plugin.app_provider()()
    [view] = provider.views()
    assert view.uri == "ui://viewer/list"
    assert view.csp.connect_domains == ["https://api.example.com"]
    links = {link.tool: link for link in provider.tool_views()}
    assert set(links) == {"list_things", "refresh"}, "a plain tool has no link"
    assert links["list_things"].view == uri
    assert links["list_things"].visibility == app_provider.Visibility.MODEL | app_provider.Visibility.APP
    assert links["refresh"].visibility == app_provider.Visibility.APP
    with pytest.raises(ValueError, match="shows view 'ui://viewer/missing'"):
        plugin.tool("Broken.", input={"type": "object"}, view="ui://viewer/missing")(lambda a, c: "")
