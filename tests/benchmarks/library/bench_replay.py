"""Benchmark module (not shipped): returns the facts of a JSON file, unchanged.

The floor of a task that returns what mdev_facts returns: the same AnsibleModule, the same
result through exit_json and the controller, without the gathering. mdev_facts' own share of
its task is the difference.
"""
import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(path=dict(type="path", required=True)), supports_check_mode=True)
    with open(module.params["path"]) as handle:
        facts = json.load(handle)["ansible_facts"]
    module.exit_json(changed=False, ansible_facts=facts)


if __name__ == "__main__":
    main()
