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
# By VM: every running VM with devices, the one no other host takes named with its host and device.
vms = dict((v["vm"], v) for v in report["vms"])
assert sorted(vms) == ["cad01", "ml01", "serial01", "vdi07", "web01"], sorted(vms)
assert [(v["vm"], v["host"], v["devices"], v["evacuable"]) for v in report["stranded_vms"]] == [
    ("serial01", "gpu-b1", ["0b8a5b52-6e1f-4d5c-8f33-3c1e7e0a2b01"], False)], report["stranded_vms"]
assert all(vms[name]["evacuable"] for name in ("cad01", "ml01", "vdi07", "web01")), report["vms"]
assert summary["vms"] == 5 and summary["stranded_vms"] == 1 and summary["hosts_vms_unknown"] == [], summary
assert domains["nvidia-222#2"]["vms"] == ["web01@gpu-a1"] and domains["1428#1"]["vms"] == ["ml01@gpu-h1"]
hosts = dict((h["host"], h) for h in report["hosts"])
assert (hosts["gpu-a1"]["vms"], hosts["gpu-a1"]["persistent_devices"], hosts["gpu-a1"]["transient_devices"]) == (2, 1, 1)
assert hosts["gpu-x9"]["vms"] is None and hosts["gpu-x9"]["vms_unknown"] == "no facts"
with open(sys.argv[3]) as handle:
    markdown = handle.read()
for heading in ("## Summary", "## Types", "## Version drift", "## Migration domains", "## Devices that cannot be evacuated",
                "## VMs that cannot be evacuated", "## VMs"):
    assert heading in markdown, heading
print("report ok: %d types, %d domains" % (len(report["types"]), len(report["domains"])))
