#!/usr/bin/env python
"""Turn the EXAMPLES of the collection's modules and plugins into one playbook that runs them."""
import ast
import os
import sys

import yaml

PLUGINS = [
    ("modules/mdev_facts.py", "gpu-a1"),
    ("modules/mdev_version_probe.py", "gpu-a2"),
    # Creates a vGPU on gpu-a4 and removes it again: the later plays find the fleet as it was.
    ("modules/mdev_device.py", "gpu-a4"),
    ("modules/fleet_audit_report.py", "localhost"),
    ("filter/migration_targets.py", "localhost"),
    ("filter/mdev_version_parse.py", "localhost"),
    ("filter/migration_domains.py", "localhost"),
    ("filter/probe_requests.py", "gpu-a2"),
    ("filter/fleet_report.py", "localhost"),
    ("filter/fleet_report_render.py", "localhost"),
    ("test/mdev_compatible.py", "localhost"),
]


def examples(path):
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise SystemExit("%s has no EXAMPLES" % path)


def main():
    root, out = sys.argv[1], sys.argv[2]
    plays = [{
        "name": "Gather facts on the simulated fleet first",
        "hosts": "mdev_hosts",
        "gather_facts": False,
        "tasks": [{"name": "Gather", "vfio.mdev_migration.mdev_facts": {"host_root": "{{ host_root }}"},
                   "ignore_unreachable": True}],
    }]
    for rel, host in PLUGINS:
        tasks = examples(os.path.join(root, "plugins", rel))
        play = {
            "name": "EXAMPLES of %s" % rel,
            "hosts": host,
            "gather_facts": False,
            # Examples that do not name host_root read the host's simulated tree; become runs as
            # root through su, which needs no sudo on the test machine.
            "module_defaults": {"vfio.mdev_migration.mdev_facts": {"host_root": "{{ host_root }}"},
                                "vfio.mdev_migration.mdev_version_probe": {"host_root": "{{ host_root }}"},
                                "vfio.mdev_migration.mdev_device": {"host_root": "{{ host_root }}"}},
            "vars": {"ansible_become_method": "ansible.builtin.su"},
            "tasks": tasks,
        }
        if host == "localhost":
            # localhost has no host_root, and ansible-core before 2.19 templates every entry of
            # module_defaults for every task, not only the entry of the task's module.
            del play["module_defaults"]
        plays.append(play)
    with open(out, "w") as handle:
        yaml.safe_dump(plays, handle, sort_keys=False)
    print("%d plays, %d example tasks" % (len(plays) - 1, sum(len(p["tasks"]) for p in plays[1:])))


if __name__ == "__main__":
    main()
