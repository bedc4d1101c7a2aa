#!/usr/bin/env python
"""Check the audit report of the example fleet: schema and content."""
import json
import sys

import jsonschema

with open(sys.argv[1]) as handle:
    report = json.load(handle)
with open(sys.argv[2]) as handle:
    schema = json.load(handle)
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)

summary = report["summary"]
assert summary["hosts"] == 11 and summary["hosts_with_facts"] == 10, summary
assert summary["hosts_without_facts"] == ["gpu-x9"], summary
assert report["probed"] is True
assert sorted((d["type_id"], d["host"]) for d in report["version_drift"]) == [
    ("nvidia-222", "gpu-a4"), ("nvidia-223", "gpu-a4")], report["version_drift"]
assert [(s["host"], s["device"]) for s in report["stranded"]] == [
    ("gpu-b1", "0b8a5b52-6e1f-4d5c-8f33-3c1e7e0a2b01")], report["stranded"]
assert report["one_way"] == [{"type_id": "nvidia-222", "from_version": "10de-1eb8-nvidia-222-550.54.10",
                              "to_version": "10de-1eb8-nvidia-222-550.90.07", "to_hosts": ["gpu-a4"],
                              "all": True}], report["one_way"]
types = {t["type_id"]: t for t in report["types"]}
assert types["nvidia-222"]["hosts"] == ["gpu-a1", "gpu-a2", "gpu-a3", "gpu-a4", "gpu-c1", "gpu-c2"]
assert types["nvidia-222"]["capacity"] == 7 + 2 + 0 + 8 + 8 + 7
assert types["1428"]["kind"] == "vendor_vfio" and types["1428"]["capacity"] == 3
domains = {d["id"]: d for d in report["domains"]}
assert domains["nvidia-222#1"]["hosts"] == ["gpu-c1", "gpu-c2"] and domains["nvidia-222#1"]["evidence"] == "policy"
assert domains["nvidia-222#2"]["hosts"] == ["gpu-a1", "gpu-a2", "gpu-a3"] and domains["nvidia-222#2"]["evidence"] == "probe"
assert domains["nvidia-222#3"]["hosts"] == ["gpu-a4"]
assert [u["type_id"] for u in report["unsupported"]] == ["mdpy-vga"]
assert all(d["reserved"] == 0 for d in report["domains"]) and isinstance(report["accepted"], list)
with open(sys.argv[3]) as handle:
    markdown = handle.read()
for heading in ("## Summary", "## Types", "## Version drift", "## Migration domains", "## Devices that cannot be evacuated"):
    assert heading in markdown, heading
print("report ok: %d types, %d domains" % (len(report["types"]), len(report["domains"])))
