"""axe-core (Deque's accessibility engine, MPL-2.0) for the browser tests: fetched from npm at test time, never committed.

`npm pack` downloads the pinned version's tarball (npm checks it against the registry's integrity); the tarball is
checked again here against the pinned sha512, then `axe.min.js` (~550 kB) is cached under .local/vendor/.
"""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

AXE_VERSION = "4.11.1"
# `npm view axe-core@4.11.1 dist.integrity`
AXE_INTEGRITY = "sha512-BASOg+YwO2C+346x3LZOeoovTIoTrRqEsqMa6fmfAV0P+U9mFr9NsyOEpiYvFjbc64NMrSswhV50WdXzdb/Z5A=="
CACHE = Path(__file__).resolve().parents[2] / ".local" / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"


class Unavailable(Exception):
    """npm is missing or the registry cannot be reached: the accessibility checks cannot run."""


def axe_source() -> str:
    if not CACHE.exists():
        _fetch()
    return CACHE.read_text(encoding="utf-8")


def _fetch() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", tmp, "--silent"],
                              capture_output=True, text=True, timeout=180)
        tarball = Path(tmp) / f"axe-core-{AXE_VERSION}.tgz"
        if done.returncode != 0 or not tarball.exists():
            raise Unavailable(f"npm pack axe-core@{AXE_VERSION} failed: {done.stderr.strip()[-300:]}")
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != AXE_INTEGRITY:
            raise AssertionError(f"axe-core {AXE_VERSION} tarball does not match its pinned integrity: {digest}")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise AssertionError("the axe-core tarball has no package/axe.min.js")
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_bytes(member.read())


SERIOUS = ("serious", "critical")
RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))
  .catch(e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));
"""


def violations(driver) -> list[dict]:
    """Every serious or critical WCAG 2.1 A/AA (and best-practice) violation axe finds on the page now."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(axe_source())
    found = driver.execute_async_script(RUN)
    return [v for v in found if v.get("impact") in SERIOUS]
