"""`credbridge verify FILE`: verify a credential file locally and say whether it is verified."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from services.verification.report import INPUT, VERIFIED, build_report, failed
from services.verification.schemas import MAX_BODY_BYTES
from services.verification.verify import UNKNOWN, verify_credential
from shared.settings import Settings


def verify_file(path: str | Path, *, email: str | None = None) -> tuple[dict, int]:
    """(report, exit code): 0 only for a verified credential.

    The file holds a JSON credential (or {"jwt": ...}), a raw VC-JWT, or an http(s) URL. An OSError
    (missing file, ...) is the caller's to report. `email` is accepted for the recipient check, which
    is "not checked yet".
    """
    now = datetime.now(timezone.utc)
    with open(path, "rb") as fh:
        raw = fh.read(MAX_BODY_BYTES + 1)
    try:
        submission = _submission(raw)
    except ValueError as exc:
        report = build_report(format=UNKNOWN, now=now, checks=[failed(INPUT, str(exc))])
    else:
        report = verify_credential(**submission, now=now, settings=Settings.from_env())
    return report, 0 if report["verdict"] == VERIFIED else 1


def _submission(raw: bytes) -> dict:
    if len(raw) > MAX_BODY_BYTES:
        raise ValueError(f"the file is larger than {MAX_BODY_BYTES} bytes")
    text = raw.decode("utf-8-sig", errors="replace").strip()  # utf-8-sig: editors on Windows add a BOM
    if text.startswith(("{", "[")):
        try:
            return {"document": json.loads(text)}
        except json.JSONDecodeError:
            raise ValueError("the file looks like JSON but does not parse") from None
    if text.startswith(("https://", "http://")) and len(text.split()) == 1:
        return {"url": text}
    return {"jwt": text}
