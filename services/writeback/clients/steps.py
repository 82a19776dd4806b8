"""Write steps several ATS clients share, each resumable from the ids already checkpointed in `remote`.

- `set_value`: one field that always shows the current score (written only when it differs).
- `append_note`: notes that are history (Greenhouse, Workable, Ashby): a changed text adds one; the same text none.
- `replace_note`: notes credbridge owns (Lever, SmartRecruiters, Teamtailor): the new one is added first, then the
  previous ones deleted, so the record never shows none and an attempt cut short never leaves two behind.
"""
from __future__ import annotations

import base64
from typing import Callable

from services.writeback.clients import Checkpoint
from services.writeback.policy import Permanent


def set_value(remote: dict, key: str, value: object, *, write: Callable[[], object], checkpoint: Checkpoint) -> dict:
    if remote.get("field_key") == key and remote.get("field_value") == value:
        return remote
    write()
    remote = {**remote, "field_key": key, "field_value": value}
    checkpoint(remote)
    return remote


def append_note(remote: dict, text: str, *, create: Callable[[str], str | None], checkpoint: Checkpoint) -> dict:
    if remote.get("note_text") == text:
        return remote
    remote = {**remote, "note_id": create(text), "note_text": text}
    checkpoint(remote)
    return remote


def replace_note(remote: dict, text: str, *, create: Callable[[str], str], delete: Callable[[str], None],
                 checkpoint: Checkpoint) -> dict:
    if remote.get("note_text") != text or not remote.get("note_id"):
        stale = [n for n in [*remote.get("stale_notes", []), remote.get("note_id")] if n]
        remote = {**remote, "note_id": create(text), "note_text": text, "stale_notes": stale}
        checkpoint(remote)
    for old in list(remote.get("stale_notes", [])):
        delete(old)   # the client treats "already gone" (404) as done
        remote = {**remote, "stale_notes": [n for n in remote["stale_notes"] if n != old]}
        checkpoint(remote)
    return remote


def required_id(value: object, what: str) -> str:
    """An id the ATS must have answered with; its absence is a refusal, not something to guess around."""
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
        return str(value)
    raise Permanent("rejected", f"{what}: the ATS answered without an id")


def where_of(remote: dict) -> list[dict]:
    """What `GET …/score` shows under `writeback.where`: the field, note, rating and tags, with the ATS's ids."""
    where: list[dict] = []
    if remote.get("field_key"):
        where.append({"kind": "custom_field", "key": remote["field_key"], "value": remote.get("field_value")})
    if remote.get("note_text") is not None:
        where.append({"kind": "note", "id": remote.get("note_id")})
    if remote.get("rating"):
        where.append({"kind": "rating", "value": remote["rating"]})
    where += [{"kind": "tag", "name": name, "id": tag_id} for name, tag_id in sorted(remote.get("tag_ids", {}).items())]
    where += [{"kind": "tag", "name": name} for name in remote.get("tags", [])]
    return where


def basic_auth(user: str, password: str = "") -> dict[str, str]:
    """HTTP Basic (RFC 7617), as Lever and Ashby take their API keys: the key as user name, no password."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
