#!/usr/bin/env bash
# Starts, for one Playwright run: a real Prometheus and Alertmanager (when installed), the test
# stand-ins for Kubernetes and Loki, and the built
# server on a fresh SQLite database. Writes where they listen to $state/stack.json for the tests.
set -euo pipefail
port=${1:-3210}
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GEMSCOPE_BIN:-$here/target/debug/gemscope}
testkit=${TESTKIT_BIN:-$here/target/debug/testkit}
state=/tmp/gemscope-e2e-$port
rm -rf "$state" && mkdir -p "$state/data" "$state/rules" "$state/prom" "$state/am" "$state/data-rules" "$state/data-prom" \
  "$state/alert-rules" "$state/alert-prom" "$state/alert-am"
cd "$state"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

am_port=$((port + 1)); prom_port=$((port + 2)); kube_port=$((port + 3)); loki_port=$((port + 4))
data_prom_port=$((port + 5)); sink_port=$((port + 6)); smtp_port=$((port + 7)); live_kube_port=$((port + 8))
alert_am_port=$((port + 9)); alert_prom_port=$((port + 10))
kube_token=e2e-kube-token
kube_json='"kube_url":null,"loki_url":null'
if [ -x "$testkit" ]; then
  # The fake Kubernetes API server (test-only stand-in; see end2end/testkit).
  "$testkit" kube --addr 127.0.0.1:$kube_port --token $kube_token >kube.log 2>&1 &
  kube_pid=$!
  pids+=($kube_pid)
  # The Loki stand-in, reading rules like Loki's local rule store (tenant `fake`).
  mkdir -p "$state/loki-rules/fake"
  "$testkit" loki --addr 127.0.0.1:$loki_port --rules-dir "$state/loki-rules" >loki.log 2>&1 &
  pids+=($!)
  # A second fake API server that no test stops (the clusters test stops the first one).
  "$testkit" kube --addr 127.0.0.1:$live_kube_port --token $kube_token >live-kube.log 2>&1 &
  pids+=($!)
  # Notification vendor stand-ins; the DingTalk one checks signatures with this secret.
  "$testkit" sinks --addr 127.0.0.1:$sink_port --smtp-addr 127.0.0.1:$smtp_port --dingtalk-secret SECe2e-ding >sinks.log 2>&1 &
  pids+=($!)
  kube_json=$(printf '"kube_url":"http://127.0.0.1:%s","kube_token":"%s","kube_pid":%s,"loki_url":"http://127.0.0.1:%s","loki_rules_dir":"%s/loki-rules/fake","sink_url":"http://127.0.0.1:%s","smtp_port":%s,"dingtalk_secret":"SECe2e-ding","live_kube_url":"http://127.0.0.1:%s"' \
    "$kube_port" "$kube_token" "$kube_pid" "$loki_port" "$state" "$sink_port" "$smtp_port" "$live_kube_port")
fi
if [ -x /usr/bin/prometheus ] && [ -x /usr/bin/prometheus-alertmanager ]; then
  printf 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n' > am.yml
  printf 'global:\n  scrape_interval: 15s\nrule_files:\n  - %s/rules/*.yml\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:%s"]\n' "$state" "$am_port" > prom.yml
  /usr/bin/prometheus-alertmanager --config.file=am.yml --storage.path=am \
    --web.listen-address=127.0.0.1:$am_port --cluster.listen-address= >am.log 2>&1 &
  pids+=($!)
  /usr/bin/prometheus --config.file=prom.yml --storage.tsdb.path=prom --web.enable-lifecycle \
    --web.listen-address=127.0.0.1:$prom_port --rules.alert.resend-delay=2s >prom.log 2>&1 &
  prom_pid=$!
  pids+=($prom_pid)
  # A second Prometheus that no test stops, for the tests that read metrics (explorer, dashboards);
  # they record their series with rules in data-rules/.
  printf 'global:\n  scrape_interval: 15s\nrule_files:\n  - %s/data-rules/*.yml\n' "$state" > data-prom.yml
  /usr/bin/prometheus --config.file=data-prom.yml --storage.tsdb.path=data-prom --web.enable-lifecycle \
    --web.listen-address=127.0.0.1:$data_prom_port >data-prom.log 2>&1 &
  pids+=($!)
  # A Prometheus and Alertmanager pair for alert rules that no test stops: rules evaluated every
  # second, and an Alertmanager whose configuration Gemscope writes (alert-am.yml).
  printf 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n' > alert-am.yml
  printf 'global:\n  scrape_interval: 15s\n  evaluation_interval: 1s\nrule_files:\n  - %s/alert-rules/*.yml\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["127.0.0.1:%s"]\n' "$state" "$alert_am_port" > alert-prom.yml
  /usr/bin/prometheus-alertmanager --config.file=alert-am.yml --storage.path=alert-am \
    --web.listen-address=127.0.0.1:$alert_am_port --cluster.listen-address= >alert-am.log 2>&1 &
  pids+=($!)
  /usr/bin/prometheus --config.file=alert-prom.yml --storage.tsdb.path=alert-prom --web.enable-lifecycle \
    --web.listen-address=127.0.0.1:$alert_prom_port --rules.alert.resend-delay=2s >alert-prom.log 2>&1 &
  pids+=($!)
  printf '{"prometheus_url":"http://127.0.0.1:%s","alertmanager_url":"http://127.0.0.1:%s","prometheus_pid":%s,"rules_dir":"%s/rules","data_prometheus_url":"http://127.0.0.1:%s","data_rules_dir":"%s/data-rules","alert_prometheus_url":"http://127.0.0.1:%s","alert_alertmanager_url":"http://127.0.0.1:%s","alert_rules_dir":"%s/alert-rules","alert_am_config":"%s/alert-am.yml","gemscope_url":"http://127.0.0.1:%s",%s}\n' \
    "$prom_port" "$am_port" "$prom_pid" "$state" "$data_prom_port" "$state" "$alert_prom_port" "$alert_am_port" "$state" "$state" "$port" "$kube_json" > stack.json
fi

export GEMSCOPE_LISTEN=127.0.0.1:$port
export GEMSCOPE_SITE_ROOT=${GEMSCOPE_SITE_ROOT:-$here/site}
export GEMSCOPE_DATA_DIR=$state/data
export GEMSCOPE_DATABASE_URL="sqlite://$state/data/gemscope.db?mode=rwc"
export GEMSCOPE_ADMIN_PASSWORD=${GEMSCOPE_ADMIN_PASSWORD:-e2e-admin-password}
export GEMSCOPE_LOG=${GEMSCOPE_LOG:-warn}
# The vendor stand-ins listen on loopback, which notifications may not reach otherwise.
export GEMSCOPE_NOTIFY_ALLOW=127.0.0.1/32
"$bin" serve &
pids+=($!)
wait "${pids[-1]}"
