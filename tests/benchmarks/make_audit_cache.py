#!/usr/bin/env python
"""Write a jsonfile fact cache and an inventory for N generated hosts, shaped like a real fleet.

    python tests/benchmarks/make_audit_cache.py 10000 /tmp/audit10000

Each host: 2 parents x 16 types; a device on one type in ten; half the types publish a version
(one host in 50 publishes another driver's version, which is drift); one host in 500 has
malformed facts (a parent that is not a mapping), one in 250 has no facts at all. Writes
<out>/facts/<host> (ansible-core's jsonfile layout) and <out>/inventory.ini.
"""
import sys

from make_fact_cache import write_cache  # pylint: disable=import-error

TYPES = 16
PARENTS = ("0000:3b:00.0", "0000:af:00.0")
T4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2",
      "revision": "a1"}


def host_facts(h):
    if h % 500 == 499:
        return {"schema_version": 1, "sysfs_root": "/sys", "kernel_release": "6.8.0", "parents": {"bad": 7},
                "devices": {}, "errors": []}
    driver = "550.54.%d" % (10 if h % 50 else 11)
    parents, devices = {}, {}
    for p, bdf in enumerate(PARENTS):
        types = {}
        for t in range(TYPES):
            type_id = "nvidia-%d" % (200 + t)
            versioned = t % 2 == 0
            uuids = []
            if (h * 2 + p + t) % 10 == 0:
                uuid = "%08x-0000-4000-8000-%04x%08x" % (h, p, t)
                uuids.append(uuid)
                devices[uuid] = {"parent": bdf, "type_id": type_id,
                                 "migration": {"attribute": None, "version": None, "supported": None, "errno": None}}
            types[type_id] = {
                "name": "GRID T4-%dQ" % t, "description": "num_heads=4, framebuffer=%dM" % (512 * (t + 1)),
                "device_api": "vfio-pci", "available_instances": (h * 7 + t) % 5, "devices": uuids,
                "migration": ({"attribute": "migration_version", "supported": True, "errno": None,
                               "version": "10de-1eb8-%s-%s" % (type_id, driver)} if versioned else
                              {"attribute": None, "version": None, "supported": None, "errno": None})}
        parents[bdf] = {"bus": "pci", "driver": "nvidia", "driver_version": driver, "pci": T4,
                        "numa_node": p, "types": types}
    return {"schema_version": 1, "sysfs_root": "/sys", "kernel_release": "6.8.0",
            "gather_subset": ["devices", "pci", "types", "versions"],
            "parents": parents, "devices": devices, "errors": []}


def main():
    hosts, out = int(sys.argv[1]), sys.argv[2]
    write_cache(out, ["audit%06d" % h for h in range(hosts)],
                lambda host: None if int(host[5:]) % 250 == 249 else host_facts(int(host[5:])))


if __name__ == "__main__":
    main()
