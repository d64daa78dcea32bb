"""{{name}}: a kube-mcp plugin. One tool, ``{{tool}}``, lists the pods of a
namespace through the host's ``kubernetes`` interface, within the grant the
operator gives this plugin."""

from dataclasses import dataclass, field
from typing import Optional

from kube_mcp_plugin import (
    Capability,
    Plugin,
    kubernetes,
    list_options,
    log,
    page_options,
    page_result,
    progress,
    resource_type,
)

plugin = Plugin(
    name="{{name}}",
    version="0.1.0",
    description="Lists pods.",
    # What the plugin asks for. The operator grants it (or less) in the
    # server's `plugins.grants.{{name}}`.
    capabilities=[Capability(verbs=["list"], resources=["pods"], namespaces=["*"])],
)


@dataclass
class PodsArgs:
    namespace: str = field(metadata={"description": "The namespace to list pods in."})
    label_selector: Optional[str] = field(
        default=None,
        metadata={"alias": "labelSelector", "description": "Only pods with these labels, e.g. `app=web`."},
    )


@plugin.tool(description="Lists the pods of a namespace, as a table.", read_only=True)
def {{tool}}(args: PodsArgs, caller):
    log.write(log.Level.INFO, f"{caller.subject} lists pods in {args.namespace}")
    progress.report(0, 1, "listing pods")
    # Raises a Kubernetes error (denied by the grant, forbidden by RBAC...);
    # the SDK turns it into a tool error in the API's words.
    page = kubernetes.list_page(
        resource_type("v1", "pods"),
        list_options(namespace=args.namespace, label_selector=args.label_selector),
        page_options(),
    )
    progress.report(1, 1, None)
    return page_result(page)


# The names componentize-py looks for.
ToolProvider, ToolExecution = plugin.exports()
