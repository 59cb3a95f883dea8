"""The admin API (`[admin] listen`, 127.0.0.1:8025 by default) as the tests
reach it: HTTP from inside the gateway namespace, and /metrics parsed with
Prometheus' own text-format parser (python3-prometheus-client), so a
malformed exposition fails the test rather than a scrape in production."""
import http.client
import json

from prometheus_client.parser import text_string_to_metric_families

ADMIN_PORT = 8025


def admin_request(ns, path, method="GET", port=ADMIN_PORT, timeout=10):
    """(status, content type, body text) of one request made inside `ns`."""
    with ns.entered():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.connect()
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        conn.close()


def admin_json(ns, path, port=ADMIN_PORT):
    status, _, body = admin_request(ns, path, port=port)
    if status != 200:
        raise AssertionError(f"GET {path}: {status} {body}")
    return json.loads(body)


def scrape(ns, port=ADMIN_PORT):
    """{family name: {"type": t, "samples": {(sample name, frozenset(labels)): value}}}.
    Raises (from the parser) on anything that is not valid text format."""
    status, content_type, body = admin_request(ns, "/metrics", port=port)
    if status != 200:
        raise AssertionError(f"GET /metrics: {status} {body}")
    if not content_type.startswith("text/plain; version=0.0.4"):
        raise AssertionError(f"/metrics content type {content_type!r}")
    families = {}
    for family in text_string_to_metric_families(body):
        samples = {(s.name, frozenset(s.labels.items())): s.value for s in family.samples}
        families[family.name] = {"type": family.type, "samples": samples}
    return families


def value(families, family, sample=None, **labels):
    """One sample's value, or None when absent. `family` as the parser names
    it (counters lose their _total); `sample` defaults to the family name plus
    _total for counters."""
    entry = families.get(family)
    if entry is None:
        return None
    name = sample or (family + "_total" if entry["type"] == "counter" else family)
    return entry["samples"].get((name, frozenset(labels.items())))
