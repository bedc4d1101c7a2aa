# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Arguments of filter and test plugins, validated from the plugin's own DOCUMENTATION (PRIVATE).

Contract: ``PluginArgs(DOCUMENTATION)`` reads the options a plugin documents (and those of the
collection's doc fragments it extends), so the documentation is the only copy of the spec.
``validate(args, kwargs)`` maps positional arguments by the documented ``positional`` list and
returns the validated parameters; ``fail`` raises AnsibleFilterError prefixed with the plugin's
fully qualified name. An undocumented argument is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
from collections.abc import Mapping, Sequence

import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

COLLECTION = "vfio.mdev_migration"
_SPEC_KEYS = ("type", "elements", "default", "choices", "required")


def _fragment_options(name):
    """Options of one of this collection's doc fragments (``vfio.mdev_migration._fleet``)."""
    if not name.startswith(COLLECTION + "."):
        return {}
    module = importlib.import_module("ansible_collections.vfio.mdev_migration.plugins.doc_fragments."
                                     + name[len(COLLECTION) + 1:])
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION).get("options") or {}


def to_plain(value):
    """Deep copy into plain dict/list/str/int/float/bool/None.

    ansible-core 2.19+ hands out lazy and tagged containers: jmespath checks types by class
    name and rejects them, and deep-copying one (as argument validation does) copies the
    templar and its plugin loaders, which 2.21 reports as deprecated. Arguments and anything
    passed to jmespath go through here.
    """
    if isinstance(value, Mapping):
        return dict((str(k), to_plain(v)) for k, v in value.items())
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (Sequence, set, frozenset)) and not isinstance(value, bytes):
        return [to_plain(v) for v in value]
    return value


class PluginArgs:
    """The argument spec of one plugin, built from its DOCUMENTATION."""

    def __init__(self, documentation):
        doc = yaml.safe_load(documentation)
        self.name = "%s.%s" % (COLLECTION, doc["name"])
        options = {}
        for fragment in doc.get("extends_documentation_fragment") or []:
            options.update(_fragment_options(fragment))
        options.update(doc.get("options") or {})
        options.pop("_input", None)
        self.positional = [p.strip() for p in str(doc.get("positional") or "").split(",") if p.strip()]
        self.spec = dict((name, dict((k, opt[k]) for k in _SPEC_KEYS if k in opt)) for name, opt in options.items())

    def fail(self, message):
        raise AnsibleFilterError("%s: %s" % (self.name, message))

    def validate(self, args, kwargs):
        params = dict((name, to_plain(value)) for name, value in kwargs.items())
        if len(args) > len(self.positional):
            self.fail("takes at most %d positional argument(s) (%s), got %d"
                      % (len(self.positional), ", ".join(self.positional) or "none", len(args)))
        for name, value in zip(self.positional, args):
            if name in params:
                self.fail("%s given both by position and by name" % name)
            params[name] = to_plain(value)
        unknown = sorted(set(params) - set(self.spec))
        if unknown:
            self.fail("unknown argument(s) %s; documented are %s" % (", ".join(unknown), ", ".join(sorted(self.spec))))
        for name, value in params.items():
            # YAML and Jinja make True an int; an integer option never means a boolean.
            if self.spec[name].get("type") == "int" and isinstance(value, bool):
                self.fail("argument '%s' must be an integer, got a boolean" % name)
        result = ArgumentSpecValidator(self.spec).validate(params)
        if result.error_messages:
            self.fail("; ".join(result.error_messages))
        return result.validated_parameters
