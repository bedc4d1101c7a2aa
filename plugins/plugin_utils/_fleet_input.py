# -*- coding: utf-8 -*-
# Copyright (c) vfio.mdev_migration contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a fleet out of ``hostvars`` or a mapping of cached facts (PRIVATE to the collection).

Contract: a ``Fleet`` wraps the filter input and answers, per host name, its mdev facts (with a
reason when there are none), a registered variable, and a host variable by dotted path. Facts
and registered results are data returned by modules, read without templating
(``HostVars.raw_get``): templating every value of thousands of hosts costs seconds. Host
variables compared by ``match_vars`` are user data and are templated as Ansible would.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping, Sequence

from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._ansible_compat import host_raw_vars, is_hostvars
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._facts_shape import (
    HostProblems,
    host_problem,
    mdev_facts_of,
)
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._probe_evidence import outcome_of, task_status
from ansible_collections.vfio.mdev_migration.plugins.plugin_utils._vocabulary import NO_FACTS, PolicyInputError

NOT_IN_INPUT = "not in the inventory (or not in the input given to the filter)"


class Fleet:
    """The filter input: ``hostvars`` or ``{host: facts}``."""

    def __init__(self, args, data, fresh_facts=None):
        if not isinstance(data, Mapping):
            args.fail("the input must be hostvars or a mapping of host names to mdev facts, got %s"
                      % type(data).__name__)
        self.args = args
        self.data = data
        self.fresh_facts = fresh_facts
        self._hostvars = is_hostvars(data)
        # Every check of a host's facts during this call goes through here, so each host is checked once.
        self.host_problem = HostProblems()

    def __contains__(self, host):
        try:
            return host in self.data
        except TypeError:
            return False

    def raw(self, host):
        """The host's entry without templating, or None."""
        if host not in self:
            return None
        try:
            return host_raw_vars(self.data, host) if self._hostvars else self.data[host]
        except (KeyError, TypeError):
            return None

    def names(self, candidates=None):
        if candidates is None:
            try:
                return sorted(str(h) for h in self.data)
            except TypeError:
                self.args.fail("the input must be hostvars or a mapping of host names to mdev facts")
        if isinstance(candidates, str) or not isinstance(candidates, Sequence):
            self.args.fail("candidates must be a list of host names")
        return [str(h) for h in candidates]

    def registered(self, host, name):
        entry = self.raw(host)
        return entry.get(name) if isinstance(entry, Mapping) else None

    def facts(self, host):
        """``(facts, reason)``: the host's mdev facts, or None and why there are none."""
        if host not in self:
            return None, NOT_IN_INPUT
        if self.fresh_facts is None:
            facts = mdev_facts_of(self.raw(host))
            return facts, (None if facts is not None else NO_FACTS)
        result = self.registered(host, self.fresh_facts)
        if not isinstance(result, Mapping):
            return None, "mdev_facts did not run on this host in this run (no %s registered)" % self.fresh_facts
        status = task_status(result)
        if status is not None:
            return None, "facts were not gathered in this run: %s" % status[1]
        facts = mdev_facts_of(result.get("ansible_facts"))
        return facts, (None if facts is not None else "the registered %s holds no mdev facts" % self.fresh_facts)

    def host_var(self, host, dotted):
        """``(value,)`` of a dotted host variable, templated as Ansible would, or None when undefined."""
        try:
            current = self.data[host]
        except (KeyError, TypeError):
            return None
        for part in dotted.split("."):
            try:
                if not isinstance(current, Mapping) or part not in current:
                    return None
                current = current[part]
            except Exception:   # an undefined or failing template is "not defined" here
                return None
        return (current,)

    def probe_lookup(self, probes):
        """A callable host -> probe outcome for a ``probes`` argument, or None when none was given."""
        if probes is None:
            return None
        if not isinstance(probes, (str, Mapping)):
            self.args.fail("probes must be the name of a registered variable or a mapping of host to probe result")

        def lookup(host):
            registered = self.registered(host, probes) if isinstance(probes, str) else probes.get(host)
            try:
                return outcome_of(registered, host)
            except PolicyInputError as exc:
                self.args.fail(str(exc))
        return lookup

    def report_fleet(self, hosts=None, records=None):
        """``{host: facts or None}``: None for a host without usable facts (malformed count as none);
        ``records``: a ``_facts_sharing.SharedRecords`` that equal records of the facts are shared through."""
        usable, without = self.usable(hosts, records)
        return dict(usable, **dict((host, None) for host in without))

    def usable(self, hosts=None, records=None):
        """``({host: facts}, [hosts without usable facts])``: malformed facts count as none."""
        # Facts read to be shared are checked without the memo, which would hold every host's own copy.
        problem_of = self.host_problem if records is None else host_problem
        usable, without = {}, []
        for host in self.names(hosts):
            facts = self.facts(host)[0]
            if facts is None or problem_of(facts) is not None:
                without.append(host)
            else:
                usable[host] = facts if records is None else records.of(facts)
        return usable, sorted(without)
