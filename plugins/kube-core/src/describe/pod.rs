//! A pod: where it runs, and each container's state, last termination,
//! restarts, probes and resources; its volumes.

use serde_json::Value;

use super::text::{Doc, one_line, scalar, str_at, trim};
use super::{Subject, conditions};

pub fn describe(doc: &mut Doc, s: &Subject) {
    let pod = &s.object;
    doc.field("Node", str_at(pod, "/spec/nodeName").unwrap_or("<none>"));
    let mut status = str_at(pod, "/status/phase").unwrap_or("Unknown").to_owned();
    if let Some(reason) = str_at(pod, "/status/reason") {
        status.push_str(&format!(" ({reason})"));
    }
    doc.field("Status", status);
    doc.field_opt("Message", str_at(pod, "/status/message"));
    doc.field_opt("IP", str_at(pod, "/status/podIP"));
    doc.field_opt("QoS Class", str_at(pod, "/status/qosClass"));
    doc.field_opt(
        "Service Account",
        str_at(pod, "/spec/serviceAccountName").filter(|a| *a != "default"),
    );
    let statuses = |key: &str| -> Vec<Value> {
        pod.pointer(&format!("/status/{key}"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (title, spec, status) in [
        ("Init Containers", "initContainers", "initContainerStatuses"),
        ("Containers", "containers", "containerStatuses"),
    ] {
        let Some(specs) = pod
            .pointer(&format!("/spec/{spec}"))
            .and_then(Value::as_array)
        else {
            continue;
        };
        doc.section(title);
        let statuses = statuses(status);
        for spec in specs {
            let name = str_at(spec, "/name").unwrap_or("?");
            let status = statuses.iter().find(|c| str_at(c, "/name") == Some(name));
            container(doc, s, spec, status);
        }
    }
    conditions(doc, s, pod.pointer("/status/conditions"));
    volumes(doc, pod);
    if let Some(selector) = pod
        .pointer("/spec/nodeSelector")
        .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
    {
        doc.map("Node Selector", Some(selector));
    }
    if let Some(tolerations) = pod.pointer("/spec/tolerations").and_then(Value::as_array) {
        let list: Vec<String> = tolerations.iter().map(toleration).collect();
        if !list.is_empty() {
            doc.field("Tolerations", list.join(", "));
        }
    }
}

/// One container: image, state, last termination, restarts, readiness,
/// ports, resources and probes.
fn container(doc: &mut Doc, s: &Subject, spec: &Value, status: Option<&Value>) {
    doc.line(1, &format!("{}:", str_at(spec, "/name").unwrap_or("?")));
    doc.line(
        2,
        &format!("Image: {}", str_at(spec, "/image").unwrap_or("?")),
    );
    if let Some(command) = spec.get("command") {
        doc.line(2, &format!("Command: {}", scalar(command)));
    }
    if let Some(status) = status {
        if let Some(state) = status.get("state") {
            doc.line(2, &format!("State: {}", state_text(s, state)));
        }
        if let Some(last) = status
            .get("lastState")
            .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        {
            doc.line(2, &format!("Last State: {}", state_text(s, last)));
        }
        doc.line(
            2,
            &format!(
                "Ready: {}  Restarts: {}",
                status
                    .get("ready")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                status
                    .get("restartCount")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            ),
        );
    } else {
        doc.line(2, "State: <no status reported yet>");
    }
    if let Some(ports) = spec.get("ports").and_then(Value::as_array) {
        let ports: Vec<String> = ports
            .iter()
            .map(|p| {
                format!(
                    "{}/{}",
                    p.get("containerPort").map(scalar).unwrap_or_default(),
                    str_at(p, "/protocol").unwrap_or("TCP")
                )
            })
            .collect();
        doc.line(2, &format!("Ports: {}", ports.join(", ")));
    }
    for (label, key) in [("Requests", "requests"), ("Limits", "limits")] {
        if let Some(values) = spec
            .pointer(&format!("/resources/{key}"))
            .and_then(Value::as_object)
        {
            let values: Vec<String> = values
                .iter()
                .map(|(k, v)| format!("{k}={}", scalar(v)))
                .collect();
            doc.line(2, &format!("{label}: {}", values.join(", ")));
        }
    }
    for (label, key) in [
        ("Liveness", "livenessProbe"),
        ("Readiness", "readinessProbe"),
        ("Startup", "startupProbe"),
    ] {
        if let Some(probe) = spec.get(key) {
            doc.line(2, &format!("{label}: {}", probe_text(probe)));
        }
    }
    if let Some(mounts) = spec.get("volumeMounts").and_then(Value::as_array) {
        let mounts: Vec<String> = mounts
            .iter()
            .map(|m| {
                format!(
                    "{} from {}{}",
                    str_at(m, "/mountPath").unwrap_or("?"),
                    str_at(m, "/name").unwrap_or("?"),
                    if m.get("readOnly").and_then(Value::as_bool) == Some(true) {
                        " (ro)"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        doc.line(2, &format!("Mounts: {}", mounts.join(", ")));
    }
}

/// `Running (since 5m)`, `Waiting (CrashLoopBackOff: back-off 5m0s ...)`,
/// `Terminated (Error, exit code 1, 3m ago)`.
fn state_text(s: &Subject, state: &Value) -> String {
    if let Some(running) = state.get("running") {
        return format!(
            "Running (started {} ago)",
            s.age(str_at(running, "/startedAt"))
        );
    }
    if let Some(waiting) = state.get("waiting") {
        let reason = str_at(waiting, "/reason").unwrap_or("Waiting");
        return match str_at(waiting, "/message") {
            Some(m) => format!("Waiting ({reason}: {})", trim(&one_line(m), 160)),
            None => format!("Waiting ({reason})"),
        };
    }
    if let Some(t) = state.get("terminated") {
        let mut text = format!(
            "Terminated ({}, exit code {}",
            str_at(t, "/reason").unwrap_or("?"),
            t.get("exitCode").map(scalar).unwrap_or_else(|| "?".into())
        );
        if let Some(signal) = t.get("signal") {
            text.push_str(&format!(", signal {}", scalar(signal)));
        }
        if let Some(finished) = str_at(t, "/finishedAt") {
            text.push_str(&format!(", finished {} ago", s.age(Some(finished))));
        }
        if let Some(message) = str_at(t, "/message") {
            text.push_str(&format!(": {}", trim(&one_line(message), 160)));
        }
        text.push(')');
        return text;
    }
    "unknown".into()
}

/// `http-get :8080/healthz delay=10s period=10s #failure=3`.
fn probe_text(probe: &Value) -> String {
    let action = if let Some(http) = probe.get("httpGet") {
        format!(
            "http-get {}://:{}{}",
            str_at(http, "/scheme").unwrap_or("HTTP").to_lowercase(),
            http.get("port").map(scalar).unwrap_or_default(),
            str_at(http, "/path").unwrap_or("/")
        )
    } else if let Some(tcp) = probe.get("tcpSocket") {
        format!(
            "tcp-socket :{}",
            tcp.get("port").map(scalar).unwrap_or_default()
        )
    } else if let Some(exec) = probe.pointer("/exec/command") {
        format!("exec [{}]", scalar(exec))
    } else if let Some(grpc) = probe.get("grpc") {
        format!("grpc :{}", grpc.get("port").map(scalar).unwrap_or_default())
    } else {
        "?".into()
    };
    let n = |key: &str, default: u64| probe.get(key).and_then(Value::as_u64).unwrap_or(default);
    format!(
        "{action} delay={}s timeout={}s period={}s #success={} #failure={}",
        n("initialDelaySeconds", 0),
        n("timeoutSeconds", 1),
        n("periodSeconds", 10),
        n("successThreshold", 1),
        n("failureThreshold", 3)
    )
}

/// Each volume with its source: `data (PersistentVolumeClaim data)`.
fn volumes(doc: &mut Doc, pod: &Value) {
    let Some(volumes) = pod.pointer("/spec/volumes").and_then(Value::as_array) else {
        return;
    };
    doc.section("Volumes");
    for v in volumes {
        let name = str_at(v, "/name").unwrap_or("?");
        let source = v
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.as_str() != "name"))
            .map(|(kind, spec)| {
                let target = ["claimName", "name", "secretName", "path", "medium"]
                    .iter()
                    .find_map(|k| spec.get(*k).and_then(Value::as_str))
                    .filter(|t| !t.is_empty());
                match target {
                    Some(t) => format!("{kind} {t}"),
                    None => kind.clone(),
                }
            })
            .unwrap_or_else(|| "?".into());
        doc.line(1, &format!("{name}: {source}"));
    }
}

/// `node.kubernetes.io/not-ready:NoExecute for 300s`.
fn toleration(t: &Value) -> String {
    let mut text = str_at(t, "/key").unwrap_or("*").to_owned();
    if let Some(value) = str_at(t, "/value") {
        text.push_str(&format!("={value}"));
    }
    if let Some(effect) = str_at(t, "/effect") {
        text.push_str(&format!(":{effect}"));
    }
    if let Some(seconds) = t.get("tolerationSeconds") {
        text.push_str(&format!(" for {}s", scalar(seconds)));
    }
    text
}
