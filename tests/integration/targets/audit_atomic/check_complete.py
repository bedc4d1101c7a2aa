#!/usr/bin/env python
"""Every report file in a directory is complete and readable; no temporary file is left looking like one."""
import json
import os
import sys

import jsonschema

directory, schema_path = sys.argv[1], sys.argv[2]
with open(schema_path) as handle:
    schema = json.load(handle)
with open(os.path.join(directory, "mdev-audit.json")) as handle:
    report = json.load(handle)
jsonschema.validate(report, schema, cls=jsonschema.Draft202012Validator)
with open(os.path.join(directory, "mdev-audit.md")) as handle:
    markdown = handle.read()
assert markdown.startswith("# mdev migration audit") and "## Read errors" in markdown, "markdown cut short"
with open(os.path.join(directory, "mdev-audit.html")) as handle:
    html = handle.read()
assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>"), "html cut short"
print("complete report from %s" % report["generated_at"])
