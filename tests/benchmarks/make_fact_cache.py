#!/usr/bin/env python
"""Write a jsonfile fact cache and an inventory for N simulated hosts x 16 mdev types.

    python tests/benchmarks/make_fact_cache.py 5000 /tmp/cache5000
writes /tmp/cache5000/facts/<host> (Ansible's jsonfile cache layout) and /tmp/cache5000/inventory.ini.
"""
import os
import sys

from bench_selection import fleet  # pylint: disable=import-error


def main():
    hosts, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(os.path.join(out, "facts"), exist_ok=True)
    # Through ansible-core's own fact cache, so the files have the layout of this core version.
    os.environ["ANSIBLE_CACHE_PLUGIN"] = "jsonfile"
    os.environ["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = os.path.join(out, "facts")
    from ansible.plugins.loader import cache_loader  # pylint: disable=import-outside-toplevel
    cache = cache_loader.get("jsonfile")
    data = fleet(hosts)
    for host, entry in data.items():
        cache.set(host, {"mdev": entry["ansible_facts"]["mdev"]})
    with open(os.path.join(out, "inventory.ini"), "w") as handle:
        handle.write("[mdev_hosts]\n" + "\n".join(sorted(data)) + "\n")


if __name__ == "__main__":
    main()
