# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The user's ``where`` expression (JMESPath) over each target parent (PRIVATE to the collection).

Contract: ``compile_where(args, expression)`` returns None or a callable ``(host, facts, source,
parent) -> bool``. The record the expression sees: ``host``, ``parent`` (its name), ``type_id``,
``parent_facts`` (the parent's facts without its types, or the GPU's for a vendor-VFIO VF),
``type`` (the type's facts, for mdev) and ``kernel_release``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ansible_compat import to_plain
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import gpus_of
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import KIND_VENDOR_VFIO

try:
    import jmespath
    HAS_JMESPATH = True
except ImportError:  # pragma: no cover - reported when a where expression is used
    jmespath = None
    HAS_JMESPATH = False


def compile_where(args, expression):
    if expression is None:
        return None
    if not HAS_JMESPATH:
        args.fail("the where argument needs the Python library jmespath on the controller (pip install jmespath)")
    try:
        compiled = jmespath.compile(str(expression))
    except jmespath.exceptions.JMESPathError as exc:
        args.fail("where: invalid JMESPath expression %r: %s" % (str(expression), exc))

    def matches(host, facts, source, parent_name):
        if source["kind"] == KIND_VENDOR_VFIO:
            vfs = gpus_of(facts)[0].get(parent_name) or []
            parent_facts = dict(vfs[0][1]) if vfs else {}
            mtype = None
        else:
            parent = (facts.get("parents") or {}).get(parent_name) or {}
            parent_facts = dict((k, v) for k, v in parent.items() if k != "types")
            mtype = (parent.get("types") or {}).get(source["type_id"])
        record = to_plain({"host": host, "parent": parent_name, "type_id": source["type_id"],
                           "parent_facts": parent_facts, "type": mtype,
                           "kernel_release": facts.get("kernel_release")})
        try:
            return bool(compiled.search(record))
        except jmespath.exceptions.JMESPathError as exc:
            args.fail("where: %r failed on host %s: %s" % (str(expression), host, exc))
    return matches
