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

import yaml
from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ansible_compat import is_hostvars, plain_args

COLLECTION = "vfio.mdev_migration"
_SPEC_KEYS = ("type", "elements", "default", "choices", "required")


def _fragment_options(name):
    """Options of one of this collection's doc fragments (``vfio.mdev_migration._fleet``)."""
    if not name.startswith(COLLECTION + "."):
        return {}
    module = importlib.import_module("ansible_collections.vfio.mdev_migration.plugins.doc_fragments."
                                     + name[len(COLLECTION) + 1:])
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION).get("options") or {}


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
        """The validated parameters. A ``hostvars`` argument (the test plugin's ``facts``) is
        checked to be a mapping and passed as it is: copying it would template every host."""
        params = dict(kwargs)
        if len(args) > len(self.positional):
            self.fail("takes at most %d positional argument(s) (%s), got %d"
                      % (len(self.positional), ", ".join(self.positional) or "none", len(args)))
        for name, value in zip(self.positional, args):
            if name in params:
                self.fail("%s given both by position and by name" % name)
            params[name] = value
        unknown = sorted(set(params) - set(self.spec))
        if unknown:
            self.fail("unknown argument(s) %s; documented are %s" % (", ".join(unknown), ", ".join(sorted(self.spec))))
        for name, value in params.items():
            # YAML and Jinja make True an int; an integer option never means a boolean.
            if self.spec[name].get("type") == "int" and isinstance(value, bool):
                self.fail("argument '%s' must be an integer, got a boolean" % name)
        kept = dict((name, params.pop(name)) for name in list(params) if is_hostvars(params[name]))
        for name in kept:
            if self.spec[name].get("type") not in ("dict", "raw"):
                self.fail("argument '%s' must not be hostvars" % name)
        result = ArgumentSpecValidator(self.spec).validate(plain_args(params))
        if result.error_messages:
            self.fail("; ".join(result.error_messages))
        validated = result.validated_parameters
        validated.update(kept)
        return validated
