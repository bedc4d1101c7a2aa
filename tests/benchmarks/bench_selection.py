#!/usr/bin/env python
"""Selection at scale: migration_targets over N hosts x 16 types, against the Jinja a user would write.

Not a test: prints timings as ratios measured side by side in one run (median of several runs).
Run from a collections path that holds the collection:
    ANSIBLE_COLLECTIONS_PATH=... python tests/benchmarks/bench_selection.py 1000 5000 10000
"""
import statistics
import sys
import time

from ansible_collections.vfio.mdev_migration.plugins.filter.migration_targets import FilterModule

TYPES = 16
UUID = "6f2b1c52-8a31-4d0e-9f4e-2a7c3d9b1e01"
T4 = {"vendor_id": "10de", "device_id": "1eb8", "subsystem_vendor_id": "10de", "subsystem_device_id": "12a2",
      "revision": "a1"}


def fleet(hosts):
    data = {}
    for h in range(hosts):
        types = {}
        for t in range(TYPES):
            version = "10de-1eb8-nvidia-%d-550.54.%d" % (200 + t, 10 if h % 7 else 11)
            types["nvidia-%d" % (200 + t)] = {
                "name": "T4-%dQ" % t, "description": None, "device_api": "vfio-pci",
                "available_instances": (h * 7 + t) % 5, "devices": [],
                "migration": {"attribute": "migration_version", "version": version, "supported": True, "errno": None}}
        facts = {"schema_version": 1, "sysfs_root": "/sys", "kernel_release": "6.8.0",
                 "gather_subset": ["devices", "pci", "types", "vendor_vfio", "versions"],
                 "parents": {"0000:3b:00.0": {"bus": "pci", "driver": "nvidia", "driver_version": "550.54.10",
                                              "pci": T4, "numa_node": 0, "types": types}},
                 "devices": {}, "vendor_vfio": {}, "errors": []}
        data["host%05d" % h] = {"ansible_facts": {"mdev": facts}}
    src = data["host00001"]["ansible_facts"]["mdev"]
    src["devices"][UUID] = {"parent": "0000:3b:00.0", "type_id": "nvidia-205",
                            "migration": {"attribute": None, "version": None, "supported": None, "errno": None}}
    return data


BASELINE = (
    "{% set src = hostvars['host00001'].ansible_facts.mdev %}"
    "{% set want = src.parents['0000:3b:00.0'].types['nvidia-205'].migration.version %}"
    "{% set out = [] %}"
    "{% for item in hostvars | dict2items | rejectattr('key', 'eq', 'host00001') %}"
    "{% for p in item.value.ansible_facts.mdev.parents | dict2items %}"
    "{% if 'nvidia-205' in p.value.types and p.value.types['nvidia-205'].migration.version == want"
    " and p.value.types['nvidia-205'].available_instances >= 1 %}{% set _ = out.append(item.key) %}{% endif %}"
    "{% endfor %}{% endfor %}{{ out | length }}")


def jinja_baseline(data):
    """What a user writes without the collection (same type, same version, capacity >= 1),
    rendered by ansible-core's own templating, as a playbook would."""
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel
    from ansible.template import Templar, trust_as_template  # pylint: disable=import-outside-toplevel
    return Templar(loader=DataLoader(), variables={"hostvars": data}).template(trust_as_template(BASELINE))


def median_time(func, runs):
    times = []
    result = None
    for _run in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    targets = FilterModule().filters()["migration_targets"]
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000, 10000]
    print("| hosts x 16 types | migration_targets (s) | Jinja baseline (s) | baseline / filter | hosts selected |")
    print("|---|---|---|---|---|")
    for size in sizes:
        data = fleet(size)
        t_filter, chosen = median_time(lambda: targets(data, "host00001", UUID), 5)
        t_jinja, count = median_time(lambda: jinja_baseline(data), 3)
        row = (size, t_filter, t_jinja, t_jinja / t_filter, len(chosen), count)
        print("| %d | %.3f | %.3f | %.1fx | %d (baseline %s) |" % row)


if __name__ == "__main__":
    main()
