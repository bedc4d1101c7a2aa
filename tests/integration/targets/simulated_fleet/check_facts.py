#!/usr/bin/env python
"""Compare gathered mdev facts with the fleet description they were simulated from."""
import json
import os
import sys

import yaml
from mdev_sim.model import boot_id_of, domain_uuid_of, machine_id_of   # tools/ on PYTHONPATH (runme.sh)


def expect_migration(mig):
    if not mig or mig.get("attribute", "migration_version") in (None, "none"):
        return {"attribute": None, "version": None, "supported": None, "errno": None}
    attribute = mig.get("attribute", "migration_version")
    if mig.get("supported", True):
        return {"attribute": attribute, "version": str(mig["version"]), "supported": True, "errno": None}
    return {"attribute": attribute, "version": None, "supported": False, "errno": "ENODEV"}


def expect_pci(ident):
    return {k: str(ident.get(k, "00" if k == "revision" else "0000")).lower()
            for k in ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id", "revision")}


def expect_in_tree(parent):
    """A driver with a declared version is out-of-tree (taint O) unless driver_in_tree says otherwise."""
    return parent.get("driver_in_tree", parent.get("driver_version") is None)


def expected_facts(host, spec):
    parents = {}
    devices = spec.get("devices") or {}
    for pname, parent in (spec.get("parents") or {}).items():
        pci = parent.get("bus", "pci") == "pci"
        types = {}
        for tid, t in parent["types"].items():
            created = sorted(u for u, d in devices.items() if d["parent"] == pname and d["type"] == tid)
            types[tid] = {"name": t.get("name", tid), "description": t.get("description"),
                          "device_api": t.get("device_api", "vfio-pci"), "available_instances": t["available_instances"],
                          "devices": created, "migration": expect_migration(t.get("migration"))}
        driver = parent.get("driver") if pci else None
        parents[pname] = {"bus": "pci" if pci else None, "subsystem": "pci" if pci else parent.get("class", pname),
                          "driver": driver, "driver_module": driver,
                          "driver_version": parent.get("driver_version"),
                          "driver_in_tree": expect_in_tree(parent) if driver else None,
                          "pci": expect_pci(parent["pci"]) if pci else None,
                          "numa_node": parent.get("numa_node", -1) if pci else None, "types": types}
    vfs = {}
    for gpu, g in ((spec.get("vendor_vfio") or {}).get("gpus") or {}).items():
        for vf, v in g["vfs"].items():
            vfs[vf] = {"physfn": gpu, "current_type": v["current_type"],
                       "creatable_types": {} if v["current_type"] else {str(k): n for k, n in v["creatable_types"].items()},
                       "pci": expect_pci(g["pci"]), "numa_node": g.get("numa_node", -1), "subsystem": "pci",
                       "driver": g.get("driver", "nvidia"), "driver_module": g.get("driver", "nvidia"),
                       "driver_version": g.get("driver_version"), "driver_in_tree": expect_in_tree(g)}
    domains, holder = {}, {}
    for name, domain in (spec.get("domains") or {}).items():
        domain = domain or {}
        state = domain.get("state", "running")
        listed = domain.get("devices") or []
        domains[name] = {"uuid": domain_uuid_of(host, name, domain), "state": {"shutoff": "shut off"}.get(state, state),
                         "active": state != "shutoff", "persistent": domain.get("persistent", True),
                         "mdevs": [d for d in listed if ":" not in d],   # a PCI address has colons
                         "vfs": [d for d in listed if d in vfs], "other_hostdevs": []}
        if state != "shutoff":
            holder.update((d, name) for d in listed)
    definitions = dict((u, {"parent": d["parent"], "type_id": d["type"], "start": d.get("start", "manual"),
                            "active": u in devices and (devices[u]["parent"], devices[u]["type"]) == (d["parent"], d["type"]),
                            "attrs": d.get("attrs", []), "error": None})
                       for u, d in (spec.get("defined") or {}).items())
    return {
        "schema_version": 2,
        "kernel_release": spec["kernel_release"],
        "boot_id": boot_id_of(host, spec),
        "machine_id": machine_id_of(host, spec),
        "parents": parents,
        "devices": {u: {"parent": d["parent"], "type_id": d["type"], "migration": expect_migration(d.get("migration")),
                        "domain": holder.get(u)}
                    for u, d in devices.items()},
        "vendor_vfio": vfs,
        "domains": domains,
        "defined": definitions,
        "errors": [],
    }


def compare(path, want, got, problems):
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got)):
            if key not in got:
                problems.append("%s.%s: missing" % (path, key))
            elif key not in want:
                problems.append("%s.%s: unexpected %r" % (path, key, got[key]))
            else:
                compare("%s.%s" % (path, key), want[key], got[key], problems)
    elif want != got:
        problems.append("%s: expected %r, got %r" % (path, want, got))


def main():
    with open(sys.argv[1]) as handle:
        fleet = yaml.safe_load(handle)["hosts"]
    problems = []
    for host, spec in sorted(fleet.items()):
        path = os.path.join(sys.argv[2], host + ".json")
        if spec.get("unreachable"):
            if os.path.exists(path):
                problems.append("%s: unreachable host has facts" % host)
            continue
        with open(path) as handle:
            got = json.load(handle)
        want = expected_facts(host, spec)
        root = os.path.join(sys.argv[3], host)
        if (got["host_root"], got["sysfs_root"]) != (root, os.path.join(root, "sys")):
            problems.append("%s: read %s and %s, not the mount %s" % (host, got["host_root"], got["sysfs_root"], root))
        if got["sources"]["machine_id"] != os.path.join(root, "etc", "machine-id"):
            problems.append("%s: machine_id read from %s" % (host, got["sources"]["machine_id"]))
        got = {k: got[k] for k in want}
        before = len(problems)
        compare(host, want, got, problems)
        print("%s: %s" % (host, "ok" if len(problems) == before else "MISMATCH"))
    for problem in problems:
        print(problem)
    print("compared %d hosts, %d mismatches" % (len([h for h in fleet if not fleet[h].get("unreachable")]), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
