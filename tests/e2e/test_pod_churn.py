"""A long-lived agent under pod churn: deleted pods are kept for their containers'
late events, then forgotten (every index of the cache), and the memory is given back."""
import uuid

from conftest import Agent

NODE = "churn-node"  # a node of its own: other tests' pods are not counted


def metric(agent, name):
    return agent.scrape()[f"podtrail_{name}"]


def test_deleted_pods_are_forgotten_after_the_tombstone_time(api):
    api.add_node(NODE)
    a = Agent(api, args=["--node-name", NODE, "--pod-tombstone", "3"])
    try:
        live = []
        for i in range(20):
            uid = str(uuid.uuid4())
            api.add_pod(f"keep-{i}", namespace="churn", uid=uid, node_name=NODE,
                        containers=[("app", "containerd://" + uuid.uuid4().hex * 2)])
            live.append(uid)
        for i in range(600):
            api.add_pod(f"gone-{i}", namespace="churn", uid=str(uuid.uuid4()), node_name=NODE,
                        containers=[("app", "containerd://" + uuid.uuid4().hex * 2),
                                    ("sidecar", "containerd://" + uuid.uuid4().hex * 2)])
            api.delete_pod("churn", f"gone-{i}")
        # Deleted pods are tombstones for a while: late exits still find them ...
        assert api.wait_until(lambda: metric(a, "pods_tombstoned") >= 1, 10), a.stderr()[-2000:]
        # ... and not cached pods, once the watch has delivered every event (until then a pod
        # whose ADDED was applied and whose DELETED was not yet is still cached).
        assert api.wait_until(lambda: metric(a, "pod_watch_events_total") >= 20 + 2 * 600, 20), \
            (a.scrape(), a.stderr()[-2000:])
        assert metric(a, "pods_cached") == 20
        # ... then forgotten, all of them, and only the live pods remain.
        assert api.wait_until(lambda: metric(a, "pods_expired_total") == 600, 20), \
            (a.scrape(), a.stderr()[-2000:])
        assert metric(a, "pods_tombstoned") == 0
        assert metric(a, "pods_cached") == 20
        assert metric(a, "pod_watch_events_total") >= 20 + 2 * 600
    finally:
        assert a.stop() == 0, a.stderr()
    t = a.totals()
    assert t["pods"] == 20 and t["tombstones"] == 0 and t["expired"] == 600, t
