"""Property tests: every parser that meets strangers' bytes answers in its documented way, whatever the bytes.

Each property names the only outcomes allowed (a value, or the parser's own error, which its caller turns into a
4xx, a verdict or an unavailable credential); any other exception is a 500 or a dead-lettered application.
Examples per property are bounded (EXAMPLES) so the unit suite stays fast; the seeds are hypothesis's own.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from marshmallow import ValidationError

from services.ingest import baked, discovery, providers
from services.ingest.providers import Ack, Delivery
from services.ingest.signatures import AuthError
from services.matching import recruiter
from services.verification.status import ListProblem, decode_bits
from services.verification.verify import verify_credential
from shared import events, safejson
from shared.problems import Problem
from shared.settings import Settings

EXAMPLES = 150
FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=20)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]


@st.composite
def mutated(draw, docs: list[dict]):
    """A real provider document with one part (possibly the whole) replaced by arbitrary JSON: the shapes an ATS
    sends, broken in every place one at a time, reach deeper than arbitrary JSON alone would."""
    doc = draw(st.sampled_from(docs))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        doc = _replace(doc, path, draw(json_values))
    return doc


PROVIDER_DOCS = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))]
ADAPTERS = providers.registry()
HEADER_NAMES = ["Signature", "Greenhouse-Event-ID", "X-Workable-Signature", "Ashby-Signature", "TT-Signature",
                "smartrecruiters-signature", "smartrecruiters-timestamp", "event-id", "event-name", "link",
                "X-Credbridge-Timestamp", "X-Credbridge-Signature", "X-Hook-Secret"]


@fuzz
@given(name=st.sampled_from(sorted(ADAPTERS)), doc=mutated(PROVIDER_DOCS) | json_values,
       headers=st.dictionaries(st.sampled_from(HEADER_NAMES), st.text(max_size=80), max_size=5))
def test_each_provider_adapter_authenticates_or_refuses_and_normalises_or_reports_bad_fields(name, doc, headers):
    adapter = ADAPTERS[name]
    body = json.dumps(doc).encode()
    delivery = Delivery(tenant="t1", headers=headers, body=body, now=1_800_000_000)
    doc = doc if isinstance(doc, dict) else {}
    try:
        adapter.authenticate(delivery, doc, secrets=("s",), options={}, settings=Settings())
    except AuthError:
        pass
    try:
        out = adapter.normalise(delivery, doc)
        assert isinstance(out, (Ack, providers.Application))
    except ValidationError:
        pass  # 422 with field errors
    if adapter.replay_key is not None and "token" in doc and "triggeredAt" in doc:
        assert isinstance(adapter.replay_key(delivery, doc), str)


content_types = st.sampled_from(list(discovery.PULL_TYPES) + ["application/octet-stream", ""])


@fuzz
@given(content_type=content_types, body=st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()))
def test_discovery_classifies_any_fetched_body_without_raising(content_type, body):
    found = discovery.classify(content_type, body)
    assert (found.document is not None) + (found.jwt is not None) + bool(found.follow) <= 1 or found.problem is None


@fuzz
@given(text=st.text(max_size=600))
def test_leads_in_any_text_are_bounded_and_well_formed(text):
    leads = discovery.leads_in_text(text, "p")
    assert len(leads) <= discovery.MAX_LEADS_PER_TEXT and all((lead.url is None) != (lead.jwt is None) for lead in leads)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@fuzz
@given(tail=st.binary(max_size=400), png=st.booleans())
def test_a_baked_png_or_svg_either_yields_its_text_or_a_baked_error(tail, png):
    data = (PNG_SIGNATURE if png else b"") + tail
    for unbake in (baked.unbake_png, baked.unbake_svg):
        try:
            unbake(data)
        except baked.BakedError:
            pass


segments = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.", max_size=60)


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@fuzz
@given(token=segments | st.tuples(json_values, json_values, segments).map(lambda p: f"{_b64(p[0])}.{_b64(p[1])}.{p[2]}"))
def test_any_jwt_string_gets_a_report_with_a_verdict_never_an_exception(token):
    report = verify_credential(jwt=token, now=NOW, settings=Settings())
    assert report["verdict"] in events.VERDICTS and report["verdict"] != "verified"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated([{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                     "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                     "credentialSubject": {"id": "did:example:1", "name": "x"},
                     "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                               "proofPurpose": "assertionMethod", "proofValue": "z1111",
                               "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}}]))
def test_any_json_ld_document_gets_a_report_with_a_verdict_never_an_exception(doc):
    if not isinstance(doc, dict):
        return  # the API and the worker only hand the verifier JSON objects
    report = verify_credential(document=doc, now=NOW, settings=Settings())
    assert report["verdict"] in events.VERDICTS and report["verdict"] != "verified"


@fuzz
@given(encoded=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: "u" + base64.urlsafe_b64encode(b).decode()),
       kind=st.sampled_from(["bitstring", "statuslist2021"]))
def test_any_encoded_status_list_decodes_or_is_a_list_problem(encoded, kind):
    try:
        decode_bits(encoded, kind=kind)
    except ListProblem:
        pass


@fuzz
@given(cursor=st.text(max_size=200) | json_values.map(_b64))
def test_any_cursor_decodes_to_a_position_or_is_a_400(cursor):
    try:
        position = recruiter.decode_cursor(cursor, filters={"min_score": None, "status": None})
        assert -1 <= position["score"] <= 100
    except Problem as exc:
        assert exc.status == 400


@fuzz
@given(raw=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_on_a_topic_are_an_event_or_a_validation_error(raw):
    try:
        events.decode(raw)
    except ValidationError:
        pass  # dead-lettered


@fuzz
@given(depth=st.integers(min_value=0, max_value=3000), opener=st.sampled_from(["[", '{"a":']))
def test_json_of_any_depth_parses_or_is_too_deep_never_a_recursion_error(depth, opener):
    closer = "]" if opener == "[" else "}"
    raw = opener * depth + "1" + closer * depth
    try:
        assert safejson.depth(safejson.loads(raw)) <= safejson.MAX_DEPTH
    except safejson.TooDeep:
        assert depth > safejson.MAX_DEPTH


def test_a_teamtailor_signature_header_that_is_not_ascii_is_refused_not_a_500():
    # Found by the adapter property above: base64 refuses a non-ASCII str with ValueError, not binascii.Error.
    adapter = ADAPTERS["teamtailor"]
    delivery = Delivery(tenant="t1", headers={"TT-Signature": "\x80"}, body=b"{}", now=1_800_000_000)
    try:
        adapter.authenticate(delivery, {}, secrets=("s",), options={}, settings=Settings())
    except AuthError:
        return
    raise AssertionError("accepted a signature that is not Base64")
