"""`credbridge verify FILE`: verify a credential file locally and say whether it is verified."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from services.verification.fetching import Fetcher
from services.verification.report import INPUT, VERIFIED, build_report, failed
from services.verification.schemas import MAX_BODY_BYTES
from services.verification.trust import TrustRepository
from services.verification.verifier import Verifier
from services.verification.verify import UNKNOWN
from shared import mongo, safejson
from shared.settings import Settings


def verify_file(path: str | Path, *, email: str | None = None, tenant: str | None = None,
                settings: Settings | None = None) -> tuple[dict, int]:
    """(report, exit code): 0 only for a verified credential.

    The file holds a JSON credential (or {"jwt": ...}), a raw VC-JWT, or an http(s) URL. An OSError
    (missing file, ...) is the caller's to report. `email` is the applicant's, for the recipient
    check; `tenant` names whose trust registry judges the issuer (none: the issuer is only flagged).
    """
    settings = settings or Settings.from_env()
    now = datetime.now(timezone.utc)
    with open(path, "rb") as fh:
        raw = fh.read(MAX_BODY_BYTES + 1)
    try:
        submission = _submission(raw)
    except ValueError as exc:
        report = build_report(format=UNKNOWN, now=now, checks=[failed(INPUT, str(exc))])
    else:
        report = _verify(submission, email=email, tenant=tenant, settings=settings, now=now)
    return report, 0 if report["verdict"] == VERIFIED else 1


def _verify(submission: dict, *, email: str | None, tenant: str | None, settings: Settings, now: datetime) -> dict:
    fetcher = Fetcher(settings)
    db = mongo.connect(settings) if tenant else None
    try:
        # An unreachable database makes the registry UNREACHABLE (indeterminate), never an empty registry.
        registries = TrustRepository(db).registry if db is not None else None
        verifier = Verifier(settings, fetch=fetcher.get, registries=registries)
        return verifier(submission, tenant=tenant, emails=[email] if email else [], now=now)
    finally:
        fetcher.close()
        if db is not None:
            db.client.close()


def _submission(raw: bytes) -> dict:
    if len(raw) > MAX_BODY_BYTES:
        raise ValueError(f"the file is larger than {MAX_BODY_BYTES} bytes")
    text = raw.decode("utf-8-sig", errors="replace").strip()  # utf-8-sig: editors on Windows add a BOM
    if text.startswith(("{", "[")):
        try:
            return {"document": safejson.loads(text)}
        except json.JSONDecodeError:
            raise ValueError("the file looks like JSON but does not parse") from None
    if text.startswith(("https://", "http://")) and len(text.split()) == 1:
        return {"url": text}
    return {"jwt": text}
