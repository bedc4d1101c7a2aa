#!/usr/bin/env python
"""The merged report equals the single run's in every format, apart from generated_at."""
import json
import os
import sys

single, merged = sys.argv[1], sys.argv[2]
one = json.load(open(os.path.join(single, "mdev-audit.json")))
other = json.load(open(os.path.join(merged, "mdev-audit.json")))
stamps = [one.pop("generated_at"), other.pop("generated_at")]
assert all(stamps)
assert one == other, "the merged JSON report differs from the single run's"
# The fleet has hosts with facts, one without (unreachable), domains and stranded devices: a
# comparison of two empty reports would prove nothing.
assert one["summary"]["hosts_with_facts"] >= 9 and one["summary"]["hosts_without_facts"], one["summary"]
assert one["domains"] and one["stranded"], "the example fleet should have domains and stranded devices"
for ext in ("md", "html"):
    texts = [open(os.path.join(d, "mdev-audit." + ext)).read().replace(at, "") for d, at in zip((single, merged), stamps)]
    assert texts[0] == texts[1], "the merged %s report differs from the single run's" % ext
print("merged report = single run's report: %d hosts, %d domains, %d stranded devices"
      % (one["summary"]["hosts"], len(one["domains"]), len(one["stranded"])))
