#!/usr/bin/env python
"""Open the HTML report in headless Chromium (Playwright) and check the page after scripted use.

    python check_html.py REPORT.html REPORT.json SCREENSHOT.png

The pictures are there with the right counts (one block and one capacity bar per migration
domain, one status cell per host by state); clicking a column header sorts the rows; typing in a
filter box hides rows; a folded host list opens; the page asks nothing from the network and logs
no script error. A screenshot of the page is kept.
"""
import json
import os
import shutil
import sys
import tempfile

from playwright.sync_api import sync_playwright

FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SLUG = {"ok": "ok", "errors": "err", "no facts": "nofacts"}


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("chromium is not installed")


def column(page, table, index):
    return page.eval_on_selector_all(
        "#table-%s tbody tr" % table, "(rows, i) => rows.map(r => r.children[i].textContent.trim())", index)


def fill(page, table, text, rows):
    """Type ``text`` in the filter box of ``table`` and wait until the table shows ``rows`` rows."""
    page.locator("#%s input.filter" % table).fill(text)
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n",
                           arg=["#table-%s tbody tr" % table, rows], timeout=10000)


def main():
    html_path, json_path, screenshot = sys.argv[1:4]
    with open(json_path) as handle:
        report = json.load(handle)
    problems, requests = [], []
    profile = tempfile.mkdtemp(prefix="report-chromium-")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                profile, executable_path=chromium(), headless=True, args=FLAGS, viewport={"width": 1400, "height": 900})
            page = browser.new_page()
            page.on("pageerror", lambda exc: problems.append("script error: %s" % exc))
            page.on("console", lambda msg: problems.append("console %s: %s" % (msg.type, msg.text))
                    if msg.type in ("error", "warning") else None)

            def no_network(route):
                if not route.request.url.startswith("file://"):
                    requests.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()
            page.route("**/*", no_network)
            page.goto("file://" + os.path.abspath(html_path))
            page.wait_for_selector("html[data-report-ready]", state="attached", timeout=60000)

            # Pictures.
            domains = report["domains"]
            assert page.locator("#pic-compat .dblock").count() == len(domains), "one block per migration domain"
            assert page.locator("#pic-compat .tlabel").count() == len(report["types"]), "one row per type"
            assert page.locator("#pic-capacity .bar").count() == len(domains), "one capacity bar per domain"
            assert page.locator("#pic-capacity .bar i").count() == 3 * len(domains), "used, free, reserved"
            for domain in domains:
                block = page.locator('#pic-compat .dblock[data-domain="%s"]' % domain["id"])
                assert block.get_attribute("data-hosts") == str(len(domain["hosts"])), domain["id"]
            drifting = set(d["type_id"] for d in report["version_drift"])
            assert page.locator("#pic-compat .dblock.drift").count() >= len(drifting) > 0, "version drift marked"
            assert page.locator("#pic-compat .oneway").count() == len(report["one_way"]) > 0, "one-way marked"
            for status, slug in SLUG.items():
                want = sum(1 for h in report["hosts"] if h["status"] == status)
                assert page.locator("#host-strip i.st-%s" % slug).count() == want, (status, want)
                assert page.locator('#pic-hosts b[data-state="%s"]' % slug).inner_text() == str(want)
            assert page.locator("#host-strip i").count() == len(report["hosts"])

            # Sorting: the host column, ascending then descending; a numeric column.
            hosts = [h["host"] for h in report["hosts"]]
            assert column(page, "hosts", 0) == hosts
            header = page.locator("#table-hosts thead th", has_text="host").first
            header.click()
            assert header.get_attribute("aria-sort") == "ascending"
            header.click()
            assert header.get_attribute("aria-sort") == "descending"
            assert column(page, "hosts", 0) == sorted(hosts, reverse=True), column(page, "hosts", 0)
            page.locator("#table-hosts thead th", has_text="devices in use").click()
            devices = [int(v) for v in column(page, "hosts", 4)]
            assert devices == sorted(devices), devices

            # Filtering hides rows; clearing it brings them back.
            fill(page, "hosts", "gpu-a", sum(1 for h in hosts if "gpu-a" in h))
            shown = column(page, "hosts", 0)
            assert shown and len(shown) < len(hosts) and all("gpu-a" in h for h in shown), shown
            assert "filtered from %d" % len(hosts) in page.locator("#hosts .tools .count").inner_text()
            fill(page, "hosts", "no facts", len(report["summary"]["hosts_without_facts"]))
            assert column(page, "hosts", 0) == report["summary"]["hosts_without_facts"]
            fill(page, "hosts", "no-such-host", 0)
            assert page.locator("#hosts .tools .count").inner_text() == "no rows match"
            fill(page, "hosts", "", len(hosts))

            # A folded host list opens with its hosts.
            summary = page.locator("#table-types tbody details summary").first
            summary.click()
            listed = page.locator("#table-types tbody details .list").first.inner_text()
            first_type = [t for t in report["types"] if len(t["hosts"]) > 1][0]
            assert all(h in listed for h in first_type["hosts"]), listed

            # The rest of the content.
            stranded = report["stranded"][0]["device"]
            assert stranded in page.locator("#table-stranded").inner_text()
            assert column(page, "stranded-vms", 0) == [v["vm"] for v in report["stranded_vms"]] == ["serial01"]
            assert sorted(column(page, "vms", 0)) == sorted(v["vm"] for v in report["vms"])
            page.locator("#table-hosts thead th", has_text="host").first.click()
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=screenshot, full_page=True)
            browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert not requests, "the page asked the network for %s" % requests
    assert not problems, problems
    print("rendered page ok: %d domain blocks, %d host cells, sorting and filtering work; screenshot %s" % (
        len(report["domains"]), len(report["hosts"]), screenshot))


if __name__ == "__main__":
    main()
