#!/usr/bin/env python
"""Check the DOM that headless Chromium rendered from the HTML report."""
import re
import sys

with open(sys.argv[1]) as handle:
    dom = handle.read()
for table in ("summary", "hosts", "types", "drift", "domains", "stranded"):
    assert 'id="table-%s"' % table in dom, "table %s missing from the rendered page" % table
rows = re.findall(r"<tr>(.*?)</tr>", dom, re.S)
assert any("gpu-x9" in row and "no facts" in row for row in rows), "unreachable host missing"
assert any("0b8a5b52-6e1f-4d5c-8f33-3c1e7e0a2b01" in row for row in rows), "stranded device missing"
assert not re.search(r'(src|href)="(https?:)?//', dom), "the page refers to the network"
print("rendered page ok: %d table rows" % len(rows))
