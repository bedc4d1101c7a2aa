# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin: build the fleet audit report on the controller and write its files atomically.

The report of a large fleet is large (one placement per host and type); building and writing
it here, in Python, avoids passing it through templating three times.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.vfio.mdev_migration.plugins.module_utils._report import (
    build_report,
    render_html,
    render_markdown,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._selection import fleet_and_accepts

FORMATS = {"json": "json", "markdown": "md", "html": "html"}


def _render(report, fmt):
    if fmt == "json":
        return json.dumps(report, indent=4, sort_keys=True) + "\n"
    return render_markdown(report) if fmt == "markdown" else render_html(report)


def write_atomically(path, text):
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``.

    A reader sees the old file or the new one, never half of one; a failure leaves the old one.
    Returns whether the content changed.
    """
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return False
    except OSError:
        pass
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        _spec, args = self.validate_argument_spec(argument_spec=dict(
            dest=dict(type="path", required=True),
            name=dict(type="str", default="mdev-audit"),
            formats=dict(type="list", elements="str", default=list(FORMATS), choices=list(FORMATS)),
            hosts=dict(type="list", elements="str"),
            probes=dict(type="raw"),
        ))
        if not args["name"] or "/" in args["name"] or args["name"].startswith("."):
            raise AnsibleError("fleet_audit_report: name %r must be a plain file name" % args["name"])
        hostvars = task_vars.get("hostvars")
        if hostvars is None:
            raise AnsibleError("fleet_audit_report: no hostvars available")
        fleet, accepts = fleet_and_accepts("fleet_audit_report", hostvars, args["hosts"], args["probes"])
        generated_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        report = build_report(fleet, accepts, generated_at, probed=args["probes"] is not None)
        dest = args["dest"]
        try:
            os.makedirs(dest, exist_ok=True)
            files, changed = [], False
            for fmt in args["formats"]:
                path = os.path.join(dest, "%s.%s" % (args["name"], FORMATS[fmt]))
                changed = write_atomically(path, _render(report, fmt)) or changed
                files.append(path)
        except OSError as exc:
            raise AnsibleError("fleet_audit_report: cannot write the report in %s: %s" % (dest, exc))
        result.update(changed=changed, files=files, summary=report["summary"], generated_at=generated_at)
        return result
