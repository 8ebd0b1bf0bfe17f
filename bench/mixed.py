"""Mixed load: 60 s at 64 connections over every feed, page and embed URL, in every coding; errors counted.

`python -m bench.mixed` starts gunicorn (this repo's config) over the bundled content and runs wrk with
a Lua script that walks the URL list of /feeds.json (feeds in three formats, scope pages, discovery,
embeds), with Accept-Encoding rotating over identity, gzip and br, and every third request revalidating.
An error is a socket error, a timeout or a status that is not 2xx or 3xx.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bench.servers import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("MIXED_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("MIXED_CONNECTIONS", "64"))
LUA = """
local paths = {%s}
local codings = {"identity", "gzip", "br"}
local n = 0
request = function()
  n = n + 1
  local headers = {["Accept-Encoding"] = codings[(n %% 3) + 1]}
  if n %% 3 == 0 then headers["If-Modified-Since"] = "Sat, 01 Jan 2050 00:00:00 GMT" end
  return wrk.format("GET", paths[(n %% #paths) + 1], headers)
end
"""


def paths(base: str) -> list[str]:
    """Every feed, page and discovery URL the service lists, plus embeds, as request paths."""
    with urllib.request.urlopen(base + "/feeds.json", timeout=10) as response:
        listed = json.load(response)["feeds"]
    found = ["/", "/feeds.json", "/feeds.opml", "/embed.js", "/embed/latest.json", "/embed/latest.html?limit=3"]
    for feed in listed:
        found += [urlsplit(url).path for url in feed["urls"].values()]
        found.append(urlsplit(feed["page_url"]).path)
        if feed["scope"] == "tags":
            found.append(f"/embed/latest.json?tag={feed['slug']}&limit=10")
    return found


def run() -> dict[str, float]:
    """Run the load once; req/s, latency and the error counts."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian package wrk)")
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "ALLFORCES_CACHE_DIR": str(Path(work) / "cache"), "GUNICORN_ACCESSLOG": "off"}
        command = [str(Path(sys.executable).with_name("gunicorn")), "--config", "gunicorn.conf.py", "--bind",
                   f"127.0.0.1:{port}", "--no-control-socket", "app:create_app()"]  # fmt: skip
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_answers(process, base + "/healthz", 30)
            script = Path(work) / "mixed.lua"
            script.write_text(LUA % ", ".join(json.dumps(path) for path in paths(base)), encoding="utf-8")
            flags = ["-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "5s", "--latency", "-s", str(script)]
            result = subprocess.run([wrk, *flags, base], capture_output=True, text=True, check=True)
        finally:
            stop(process)
    out = result.stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests/s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "socket errors": float(sum(int(g) for g in errors.groups())) if errors else 0.0,
        "non-2xx/3xx": float(non2xx.group(1)) if non2xx else 0.0,
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
    }


def main() -> None:
    """Print the figures."""
    print(f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s over every URL and coding, bundled content", flush=True)
    for name, value in run().items():
        print(f"{name:>16}: {value:,.0f}")


if __name__ == "__main__":
    main()
