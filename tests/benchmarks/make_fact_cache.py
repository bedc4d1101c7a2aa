#!/usr/bin/env python
"""Write a jsonfile fact cache and an inventory for N simulated hosts x 16 mdev types.

    python tests/benchmarks/make_fact_cache.py 5000 /tmp/cache5000
writes /tmp/cache5000/facts/<host> (Ansible's jsonfile cache layout) and /tmp/cache5000/inventory.ini.
"""
import os
import sys

from bench_selection import fleet  # pylint: disable=import-error


def _close_leaked(directory):
    """ansible-core's file cache leaves open the descriptor of each file it writes (``mkstemp``'s):
    100,000 hosts would run out of descriptors. Close those that point into the cache."""
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/%s" % name)
        except OSError:
            continue
        if target.startswith(directory + os.sep):
            os.close(int(name))


def write_cache(out, names, mdev_facts_of):
    """The cache and inventory of hosts ``names``; ``mdev_facts_of(host)`` None leaves a host out of the cache."""
    os.makedirs(os.path.join(out, "facts"), exist_ok=True)
    # Through ansible-core's own fact cache, so the files have the layout of this core version.
    os.environ["ANSIBLE_CACHE_PLUGIN"] = "jsonfile"
    os.environ["ANSIBLE_CACHE_PLUGIN_CONNECTION"] = os.path.join(out, "facts")
    from ansible.plugins.loader import cache_loader  # pylint: disable=import-outside-toplevel
    cache = cache_loader.get("jsonfile")
    for host in names:
        facts = mdev_facts_of(host)
        if facts is not None:
            cache.set(host, {"mdev": facts})
            _close_leaked(os.path.realpath(os.path.join(out, "facts")))
    with open(os.path.join(out, "inventory.ini"), "w") as handle:
        handle.write("[mdev_hosts]\n" + "\n".join(names) + "\n")


def main():
    hosts, out = int(sys.argv[1]), sys.argv[2]
    data = fleet(hosts)
    write_cache(out, sorted(data), lambda host: data[host]["ansible_facts"]["mdev"])


if __name__ == "__main__":
    main()
