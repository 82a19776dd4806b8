"""The write APIs of Workable, Ashby, SmartRecruiters and Teamtailor, as FakeAtsWrites serves them on loopback.

Built from each ATS's documentation (sources in services/writeback/clients/<ats>.py):
- Workable: `Authorization: Bearer <token>`; POST /spi/v3/candidates/{id}/comments {"member_id", "comment": {"body"}}
  and POST …/ratings {"member_id", "score": negative|positive|definitely, "comment"}; X-Rate-Limit-* on answers.
- Ashby: HTTP Basic (key as user name); POST /customField.setValue and /candidate.createNote answer
  {"success": true, "results": …}; a request Ashby refuses answers HTTP 200 {"success": false, "errors": [...]}, as
  Ashby does (an unknown field id, a value of the wrong type, HTML outside the note subset).
- SmartRecruiters: `X-SmartToken`; GET / PUT /candidates/{id}/tags {"tags"}; POST /messages/shares {"content",
  "shareWith"} (the candidate tagged as #[CANDIDATE:id]) -> 201 {"id"}; DELETE /messages/{id}.
- Teamtailor: `Authorization: Token token=<key>` and `X-Api-Version` on every call, JSON:API bodies
  (`application/vnd.api+json`); POST / PATCH /v1/custom-field-values (one value per field and owner: a second POST
  is 422), POST /v1/notes, DELETE /v1/notes/{id}; errors as {"errors": [{"status", "title", "detail"}]}.
Each class answers the paths it owns (`answer` returns None for any other).
"""
from __future__ import annotations

import base64
import itertools
import re
import uuid

Reply = tuple[int, dict, object]

WORKABLE_LIMIT, TEAMTAILOR_LIMIT = 10, 50
ASHBY_NUMBER_FIELD = "cf-score-0001"      # the id of the Number custom field the fake knows
ASHBY_HTML_TAGS = {"p", "b", "i", "u", "a", "ul", "ol", "li", "code", "pre", "br"}
TEAMTAILOR_FIELD = "77"


class FakeWorkable:
    def __init__(self, token: str = "wk-token"):
        self.token = token
        self.comments: dict[str, list[dict]] = {}   # candidate id -> comments
        self.ratings: dict[str, list[dict]] = {}
        self.spent_until: int | None = None     # set: answers say the interval's budget is spent until this unix time
        self._ids = itertools.count(501)

    def answer(self, method: str, parts: list[str], headers, doc) -> Reply | None:
        if parts[:3] != ["spi", "v3", "candidates"] or len(parts) != 5 or method != "POST":
            return None
        limits = {"X-Rate-Limit-Limit": str(WORKABLE_LIMIT), "X-Rate-Limit-Remaining": str(WORKABLE_LIMIT - 1)}
        if self.spent_until is not None:
            limits.update({"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(self.spent_until)})
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, limits, {"error": "Not authorized"}
        cand, what = parts[3], parts[4]
        doc = doc if isinstance(doc, dict) else {}
        if not doc.get("member_id"):
            return 422, limits, {"error": "member_id is required"}
        if what == "comments":
            body = (doc.get("comment") or {}).get("body") if isinstance(doc.get("comment"), dict) else None
            if not isinstance(body, str) or not body:
                return 422, limits, {"error": "comment.body is required"}
            comment = {"id": str(next(self._ids)), "member_id": doc["member_id"], "body": body}
            self.comments.setdefault(cand, []).append(comment)
            return 201, limits, {"id": comment["id"]}
        if what == "ratings":
            if doc.get("score") not in ("negative", "positive", "definitely"):
                return 422, limits, {"error": "score must be one of negative, positive, definitely"}
            self.ratings.setdefault(cand, []).append({k: doc.get(k) for k in ("member_id", "score", "comment")})
            return 201, limits, {}
        return 404, limits, {"error": "Not found"}


class FakeAshby:
    def __init__(self, key: str = "ashby-key"):
        self.key = key
        self.fields: dict[str, dict] = {}           # application id -> {field id: value}
        self.notes: dict[str, list[dict]] = {}      # candidate id -> notes

    def answer(self, method: str, parts: list[str], headers, doc) -> Reply | None:
        if method != "POST" or parts not in (["customField.setValue"], ["candidate.createNote"]):
            return None
        if headers.get("Authorization") != "Basic " + base64.b64encode(f"{self.key}:".encode()).decode():
            return 401, {}, {"success": False, "errors": ["invalid_api_key"]}
        doc = doc if isinstance(doc, dict) else {}
        if parts == ["customField.setValue"]:
            if doc.get("objectType") != "Application" or not doc.get("objectId"):
                return 200, {}, {"success": False, "errors": ["invalid_object"]}
            if doc.get("fieldId") != ASHBY_NUMBER_FIELD:
                return 200, {}, {"success": False, "errors": ["invalid_field_id"]}
            value = doc.get("fieldValue")
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return 200, {}, {"success": False, "errors": ["Number fields take a number"]}
            self.fields.setdefault(doc["objectId"], {})[doc["fieldId"]] = value
            return 200, {}, {"success": True, "results": {"id": doc["objectId"]}}
        note = doc.get("note") if isinstance(doc.get("note"), dict) else {}
        html = note.get("value")
        if not doc.get("candidateId") or note.get("type") != "text/html" or not isinstance(html, str):
            return 200, {}, {"success": False, "errors": ["candidateId and note {type, value} are required"]}
        if set(re.findall(r"</?\s*([a-zA-Z0-9]+)", html)) - ASHBY_HTML_TAGS:
            return 200, {}, {"success": False, "errors": ["the note uses HTML outside the supported subset"]}
        created = {"id": str(uuid.uuid4()), "content": html, "sendNotifications": doc.get("sendNotifications")}
        self.notes.setdefault(doc["candidateId"], []).append(created)
        return 200, {}, {"success": True, "results": created}


class FakeSmartRecruiters:
    def __init__(self, token: str = "sr-token"):
        self.token = token
        self.tags: dict[str, set[str]] = {}         # candidate id -> tags (the recruiter's and ours)
        self.notes: dict[str, dict] = {}            # message id -> {"candidate", "content"}

    def answer(self, method: str, parts: list[str], headers, doc) -> Reply | None:
        mine = (parts[:1] == ["candidates"] and parts[2:] == ["tags"]) or parts[:1] == ["messages"]
        if not mine:
            return None
        if headers.get("X-SmartToken") != self.token:
            return 401, {}, {"code": "UNAUTHORIZED", "message": "invalid token"}
        doc = doc if isinstance(doc, dict) else {}
        if parts[:1] == ["candidates"]:
            held = self.tags.setdefault(parts[1], set())
            if method == "GET":
                return 200, {}, {"tags": sorted(held)}
            if method == "PUT" and isinstance(doc.get("tags"), list):
                self.tags[parts[1]] = set(doc["tags"])
                return 200, {}, {"tags": sorted(self.tags[parts[1]])}
            return 400, {}, {"errors": [{"code": "INVALID", "message": "tags must be a list"}]}
        if method == "POST" and parts == ["messages", "shares"]:
            found = re.search(r"#\[CANDIDATE:([^\]]+)\]", str(doc.get("content") or ""))
            if found is None or not isinstance(doc.get("shareWith"), dict):
                return 400, {}, {"errors": [{"code": "INVALID", "message": "tag a candidate and say whom to share with"}]}
            message_id = str(uuid.uuid4())
            self.notes[message_id] = {"candidate": found.group(1), "content": doc["content"]}
            return 201, {}, {"id": message_id}
        if method == "DELETE" and len(parts) == 2:
            if self.notes.pop(parts[1], None) is None:
                return 404, {}, {"errors": [{"code": "NOT_FOUND", "message": "no such message"}]}
            return 204, {}, None
        return 404, {}, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]}

    def notes_of(self, candidate_id: str) -> list[str]:
        return [n["content"] for n in self.notes.values() if n["candidate"] == candidate_id]


class FakeTeamtailor:
    def __init__(self, key: str = "tt-key"):
        self.key = key
        self.values: dict[str, dict] = {}           # custom-field-value id -> {"field", "owner", "value"}
        self.notes: dict[str, dict] = {}            # note id -> {"candidate", "user", "note"}
        self._ids = itertools.count(9001)

    def answer(self, method: str, parts: list[str], headers, doc) -> Reply | None:
        if parts[:2] not in (["v1", "custom-field-values"], ["v1", "notes"]):
            return None
        limits = {"X-Rate-Limit-Limit": str(TEAMTAILOR_LIMIT), "X-Rate-Limit-Remaining": str(TEAMTAILOR_LIMIT - 1)}
        if headers.get("Authorization") != f"Token token={self.key}":
            return 401, limits, _errors(401, "Unauthorized", "invalid API key")
        if not headers.get("X-Api-Version"):
            return 406, limits, _errors(406, "Not Acceptable", "X-Api-Version is required")
        if method in ("POST", "PATCH") and headers.get("Content-Type") != "application/vnd.api+json":
            return 415, limits, _errors(415, "Unsupported Media Type", "use application/vnd.api+json")
        data = doc.get("data") if isinstance(doc, dict) and isinstance(doc.get("data"), dict) else {}
        status, out = (self._values if parts[1] == "custom-field-values" else self._notes)(method, parts[2:], data)
        return status, limits, out

    def _values(self, method: str, rest: list[str], data: dict) -> tuple[int, object]:
        attrs, rel = data.get("attributes") or {}, data.get("relationships") or {}
        if method == "POST" and not rest:
            field = ((rel.get("custom-field") or {}).get("data") or {}).get("id")
            owner = ((rel.get("owner") or {}).get("data") or {}).get("id")
            if field != TEAMTAILOR_FIELD or not owner or "value" not in attrs:
                return 422, _errors(422, "Unprocessable Entity", "custom-field, owner and value are required")
            if any(v["field"] == field and v["owner"] == owner for v in self.values.values()):
                return 422, _errors(422, "Unprocessable Entity", "owner has already been taken")
            value_id = str(next(self._ids))
            self.values[value_id] = {"field": field, "owner": owner, "value": attrs["value"]}
            return 201, {"data": {"id": value_id, "type": "custom-field-values", "attributes": {"value": attrs["value"]}}}
        if method == "PATCH" and len(rest) == 1:
            if rest[0] not in self.values:
                return 404, _errors(404, "Not Found", "no such custom field value")
            self.values[rest[0]]["value"] = attrs.get("value")
            return 200, {"data": {"id": rest[0], "type": "custom-field-values", "attributes": {"value": attrs.get("value")}}}
        return 404, _errors(404, "Not Found", "not found")

    def _notes(self, method: str, rest: list[str], data: dict) -> tuple[int, object]:
        if method == "POST" and not rest:
            rel = data.get("relationships") or {}
            cand = ((rel.get("candidate") or {}).get("data") or {}).get("id")
            user = ((rel.get("user") or {}).get("data") or {}).get("id")
            text = (data.get("attributes") or {}).get("note")
            if not cand or not user or not isinstance(text, str):
                return 422, _errors(422, "Unprocessable Entity", "note, candidate and user are required")
            note_id = str(next(self._ids))
            self.notes[note_id] = {"candidate": cand, "user": user, "note": text}
            return 201, {"data": {"id": note_id, "type": "notes", "attributes": {"note": text}}}
        if method == "DELETE" and len(rest) == 1:
            if self.notes.pop(rest[0], None) is None:
                return 404, _errors(404, "Not Found", "no such note")
            return 204, None
        return 404, _errors(404, "Not Found", "not found")

    def value_of(self, candidate_id: str) -> object:
        return next((v["value"] for v in self.values.values() if v["owner"] == candidate_id), None)

    def notes_of(self, candidate_id: str) -> list[str]:
        return [n["note"] for n in self.notes.values() if n["candidate"] == candidate_id]


def _errors(status: int, title: str, detail: str) -> dict:
    return {"errors": [{"status": str(status), "title": title, "detail": detail}]}
