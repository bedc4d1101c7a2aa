# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process and return its exit_json or fail_json arguments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    # ansible-core 2.19+: module arguments carry a serialization profile.
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.16 to 2.18
    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture(autouse=True)
def patch_exit(monkeypatch):
    def exit_json(self, **kw):
        raise ExitJson(kw)

    def fail_json(self, **kw):
        raise FailJson(kw)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_module(module, args):
    """exit_json's arguments; they must be plain JSON like a real module's output."""
    with patch_module_args(args):
        with pytest.raises(ExitJson) as exc:
            module.main()
    result = exc.value.args[0]
    json.dumps(result)
    return result


def fail_module(module, args):
    with patch_module_args(args):
        with pytest.raises(FailJson) as exc:
            module.main()
    return exc.value.args[0]
