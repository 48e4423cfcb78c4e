"""deploy/monitoring: the PodMonitor scrapes the DaemonSet's metrics port and
labels series by node; the Grafana dashboard parses, uses only podtrail's
metrics (every one of them), and shows them per node."""

import json
import os

import deploy_helpers as h
from deploy_helpers import find
from deploy_fixtures import container, daemonset, dry_run, kubectl_version, objects, pod_spec, rendered  # noqa: F401

DASHBOARD = os.path.join(h.DEPLOY, "monitoring", "podtrail-dashboard.json")


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def panels(dash):
    for p in dash["panels"]:
        yield p
        yield from p.get("panels", [])


def exprs(dash):
    for p in panels(dash):
        for t in p.get("targets", []):
            yield p["title"], t["expr"]


def test_podmonitor_scrapes_the_daemonset(objects, daemonset, container):
    pm = find(objects, "PodMonitor", "podtrail")
    labels = daemonset["spec"]["template"]["metadata"]["labels"]
    assert pm["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert "namespaceSelector" not in pm["spec"], "its own namespace, whatever kustomize makes it"
    [ep] = pm["spec"]["podMetricsEndpoints"]
    assert ep["port"] in {p["name"] for p in container["ports"]}
    assert ep["path"] == "/metrics"
    assert {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"} \
        in ep["relabelings"]


def test_dashboard_is_a_grafana_dashboard():
    dash = load_dashboard()
    assert dash["uid"] == "podtrail" and dash["title"] == "podtrail"
    assert isinstance(dash["schemaVersion"], int)
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["node"]["includeAll"] and variables["node"]["multi"]
    ids, cells = set(), set()
    for p in panels(dash):
        assert p["id"] not in ids, f"duplicate panel id {p['id']}"
        ids.add(p["id"])
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"panel {p['title']!r} overlaps another"
                cells.add((x, y))
        if p["type"] != "row":
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
            assert p["targets"], p["title"]


def test_dashboard_uses_only_podtrail_metrics_and_all_of_them():
    dash = load_dashboard()
    used = set()
    queries = list(exprs(dash)) + [("variable " + v["name"], v["definition"])
                                   for v in dash["templating"]["list"] if v["type"] == "query"]
    for title, expr in queries:
        names = h.promql_metrics(expr)
        assert names, f"{title}: no metric in {expr!r}"
        for n in names:
            base = h.metric_base(n)
            assert base in h.METRICS, f"{title}: {n} is not one of podtrail's metrics"
            assert n == base or h.METRICS[base] == "histogram"
            used.add(base)
    assert used == set(h.METRICS), f"not on the dashboard: {sorted(set(h.METRICS) - used)}"


def test_metric_name_extraction():
    assert h.promql_metrics('histogram_quantile(0.99, sum by (node, le) (rate(x_bucket{node=~"$node"}[$__rate_interval])))') == ["x_bucket"]
    assert h.promql_metrics('sum(a{code!~"2.."}) / sum by (node) (b)') == ["a", "b"]
    assert h.promql_metrics("label_values(podtrail_pods_cached, node)") == ["podtrail_pods_cached"]


def test_every_query_is_per_node():
    """Each query honours the node selector, and every graph splits by node."""
    dash = load_dashboard()
    for title, expr in exprs(dash):
        assert 'node=~"$node"' in expr, f"{title}: {expr}"
    for p in panels(dash):
        if p["type"] == "timeseries":
            for t in p["targets"]:
                assert "{{node}}" in t["legendFormat"], p["title"]


def test_counters_are_rated_and_gauges_are_not():
    dash = load_dashboard()
    for title, expr in exprs(dash):
        for n in h.promql_metrics(expr):
            kind = h.METRICS[h.metric_base(n)]
            wrapped = any(f"{f}({n}" in expr.replace(" ", "") for f in ("rate", "increase"))
            assert wrapped == (kind != "gauge"), f"{title}: {n} is a {kind}"


def test_dashboard_configmap_carries_the_file(objects):
    cm = find(objects, "ConfigMap", "podtrail-grafana-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    with open(DASHBOARD) as f:
        assert cm["data"] == {"podtrail-dashboard.json": f.read()}
