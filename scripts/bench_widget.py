"""Benchmark: the widget's weight and how soon it is usable on a slow phone connection.

Starts the assistant (``python -m bot.run``) on its own ports and database, then:
- prints the transfer size (gzip, as served) of every file the widget loads, ours and
  the socket.io client's;
- opens the demo page in Debian's chromium on a throttled connection (Chrome's
  "Slow 3G" and "Fast 3G" profiles) and prints, over several runs, the median time
  until the text box can be typed in (interactive) and until the greeting arrives.
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from bot.launcher import AssistantProcess

PORTS = {"RASA_PORT": "26005", "ACTIONS_PORT": "26055", "WEB_PORT": "29000"}
WEB = f"http://127.0.0.1:{PORTS['WEB_PORT']}"
FILES = {
    "widget.js (ours)": "/widget.js",
    "widget.css (ours)": "/static/widget.css",
    "socket.io client (npm)": "/vendor/socket.io/socket.io.min.js",
}
# Chrome DevTools' network presets: latency in ms, throughput in bytes per second.
PROFILES = {
    "Slow 3G": {
        "latency": 2000,
        "downloadThroughput": 50_000,
        "uploadThroughput": 50_000,
    },
    "Fast 3G": {
        "latency": 563,
        "downloadThroughput": 180_000,
        "uploadThroughput": 84_000,
    },
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def transfer_size(path: str) -> tuple[int, int]:
    """(bytes on the wire with gzip, bytes uncompressed)."""
    request = urllib.request.Request(WEB + path, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        compressed = response.headers.get("Content-Encoding") == "gzip"
    return len(body), len(gzip.decompress(body) if compressed else body)


def page_timings(profile: dict[str, int], runs: int) -> tuple[list[float], list[float]]:
    """Seconds until the text box is usable, and until the greeting is shown."""
    interactive, greeted = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 360, "height": 740})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
            start = time.perf_counter()
            page.goto(WEB + "/?open=1", wait_until="commit")
            page.locator("textarea").wait_for(state="visible", timeout=120_000)
            interactive.append(time.perf_counter() - start)
            page.locator("li.message.bot").first.wait_for(timeout=120_000)
            greeted.append(time.perf_counter() - start)
            context.close()
        browser.close()
    return interactive, greeted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="page loads per profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with AssistantProcess(PORTS, Path(tmp) / "bench.db"):
            print(f"{'file':30} {'gzip bytes':>10} {'raw bytes':>10}")
            ours = 0
            for name, path in FILES.items():
                wire, raw = transfer_size(path)
                ours += wire if "ours" in name else 0
                print(f"{name:30} {wire:10,} {raw:10,}")
            print(f"{'our own code, gzip':30} {ours:10,}")
            print(f"\n{'connection':10} {'interactive s':>14} {'greeting s':>11}")
            for name, profile in PROFILES.items():
                interactive, greeted = page_timings(profile, args.runs)
                print(
                    f"{name:10} {statistics.median(interactive):14.2f} "
                    f"{statistics.median(greeted):11.2f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
