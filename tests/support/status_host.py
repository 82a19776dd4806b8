"""A real HTTP server on 127.0.0.1 serving status lists (and anything else a verifier fetches) for tests."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
from loopback import LoopbackHost  # noqa: E402


class StatusHost(LoopbackHost):
    """The shared loopback host, serving VC-JWT status lists unless told otherwise; `hits` counts fetches."""

    def serve(self, path: str, body: str | bytes, *, content_type: str = "application/vc+jwt", status: int = 200) -> str:
        return super().serve(path, body, content_type=content_type, status=status)
