"""`make demo`: with `make run` going, seed a tenant, a role and twelve applicants through real signed webhooks, then print the ranking.

Every credential is a real Ed25519-signed Open Badges 3.0 VC-JWT (services/demo_issuer.py): most are
genuine, one is forged (payload edited after signing), one was issued to someone else, and one is
revoked. The revoked one carries a BitstringStatusListEntry (W3C Bitstring Status List v1.0 §2.1); its
list, a BitstringStatusListCredential signed by the same demo issuer with that entry's bit set, is
served by this process on 127.0.0.1 while the demo runs, and the verification worker fetches it. So
the services must be allowed to fetch from loopback (`make run` sets CREDBRIDGE_FETCH_ALLOW_LOOPBACK=1).
What the output says about each credential is what verification decided, read back from matching.

URLs come from flags or the environment, so tests can aim the demo at services on other ports:
  --ingest   (CREDBRIDGE_PUBLIC_URL,   default http://127.0.0.1:8001)
  --matching (CREDBRIDGE_MATCHING_URL, default http://127.0.0.1:8003)
MongoDB (where the demo creates its tenant) is the usual MONGO_URI / MONGO_DB.
"""
from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from pymongo.errors import ConnectionFailure  # noqa: E402

from loopback import LoopbackHost  # noqa: E402 - beside this script
from services.demo_issuer import VC_V2_CONTEXT, Issuer, tamper  # noqa: E402
from services.ingest.signatures import sign_generic  # noqa: E402
from shared import mongo  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.tenants import TenantRepository  # noqa: E402

ROLE_ID = "demo-backend-engineer"
ROLE = {"title": "Backend engineer", "requirements": [
    {"id": "python", "competency": "Python programming", "importance": "essential", "weight": 3,
     "concept": {"framework": "ESCO", "uri": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"}},
    {"id": "sql", "competency": "SQL", "aliases": ["relational databases"], "importance": "essential", "weight": 2},
    {"id": "agile", "competency": "Agile development", "importance": "preferred", "weight": 1},
    {"id": "cloud", "competency": "Cloud platforms", "importance": "preferred", "weight": 2,
     "any_of": {"count": 2, "of": [{"label": "AWS Cloud Practitioner"}, {"label": "Google Cloud Digital Leader"},
                                   {"label": "Azure Fundamentals"}]}},
]}
GENUINE, FORGED, SOMEONE_ELSE, REVOKED = "genuine", "forged", "someone-else", "revoked"
# (name, achievements, kind): fictional applicants.
APPLICANTS = [
    ("Ada Byron", ["Python (computer programming)", "SQL", "Agile", "AWS Cloud Practitioner", "Azure Fundamentals"], GENUINE),
    ("Grace Hopper", ["Python Programming", "Relational Databases", "AWS Cloud Practitioner"], GENUINE),
    ("Alan Turing", ["Python 3", "SQL", "Agile software development"], GENUINE),
    ("Katherine Johnson", ["Python", "SQL"], GENUINE),
    ("Edsger Dijkstra", ["Python programming", "Scrum Master"], GENUINE),
    ("Barbara Liskov", ["SQL", "Agile", "Google Cloud Digital Leader", "Azure Fundamentals"], GENUINE),
    ("Donald Knuth", ["Python (computer programming)", "SQL", "Agile"], REVOKED),
    ("Margaret Hamilton", ["SQL", "Python programming"], FORGED),
    ("Linus Torvalds", ["Python programming", "SQL", "Agile"], SOMEONE_ELSE),
    ("Frances Allen", ["Agile development"], GENUINE),
    ("John Backus", ["Python (computer programming)"], GENUINE),
    ("Radia Perlman", [], GENUINE),
]
REVOKED_ACHIEVEMENT = "SQL"
STATUS_LIST_PATH, STATUS_INDEX = "/status/1", 2417  # any index works; the list holds 131072 entries
STATUS_LIST_BYTES = 16 * 1024  # §3.2 step 9: a list must have at least 131072 entries (herd privacy)
NOTES = {REVOKED: f"its {REVOKED_ACHIEVEMENT} credential was REVOKED (bit {STATUS_INDEX} set on its issuer's status list)",
         FORGED: "its Python credential was FORGED (payload edited after signing)",
         SOMEONE_ELSE: "its credentials were issued to someone else (another email as recipient)"}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        return _run(args)
    except (requests.ConnectionError, ConnectionFailure) as exc:
        print(f"demo: cannot reach the services ({type(exc).__name__}); is `make run` going?", file=sys.stderr)
        return 1


def _run(args) -> int:
    settings = Settings.from_env(public_base_url=args.ingest)
    tenant = _tenant(settings)
    api = {"Authorization": f"Bearer {tenant['api_key']}"}
    role = requests.put(f"{args.matching}/v1/roles/{ROLE_ID}", json=ROLE, headers=api, timeout=10)
    role.raise_for_status()
    print(f"tenant {tenant['tenant']}  (API key {tenant['api_key']})\nrole {ROLE_ID}: {ROLE['title']}")
    issuer = Issuer.generate(name="Northwind Academy")
    # The list must stay reachable until verification has fetched it, i.e. until every score settles.
    with LoopbackHost() as host:
        status_url = serve_status_list(host, issuer)
        print(f"status list of {issuer.name} served at {status_url} (bit {STATUS_INDEX}: revoked)")
        apps = send_applicants(tenant, issuer=issuer, status_url=status_url)
        print(f"sent {len(apps)} signed webhooks to {args.ingest}; waiting for verification and scoring ...")
        scores = {a: _wait(args.matching, api, a, timeout_s=args.timeout) for a in apps}
    time.sleep(2.2)  # the ranking lists scores settled before a walk begins (services/matching/recruiter.py)
    _print_ranking(args.matching, api, apps)
    _print_explanation(scores[next(iter(apps))], apps)
    print(f"\nTry: curl -H 'Authorization: Bearer {tenant['api_key']}' {args.matching}/v1/roles/{ROLE_ID}/candidates")
    print(f"\nThe recruiters' page: {args.matching}/app/roles/{ROLE_ID}  (sign in with the API key above)")
    return 0


def serve_status_list(host: LoopbackHost, issuer: Issuer) -> str:
    """Serves the issuer's status list (STATUS_INDEX revoked) on the loopback host; returns its URL."""
    status_url = host.url(STATUS_LIST_PATH)
    host.serve(STATUS_LIST_PATH, _status_list(issuer, url=status_url, revoked={STATUS_INDEX}),
               content_type="application/vc+jwt")
    return status_url


def send_applicants(tenant: dict, *, issuer: Issuer, status_url: str) -> dict[str, tuple[str, str]]:
    """The twelve applicants, each as a signed generic webhook to the tenant's URL; returns id -> (name, kind)."""
    apps = {}
    for n, (name, achievements, kind) in enumerate(APPLICANTS, start=1):
        app_id = f"demo-app-{n:02d}"
        apps[app_id] = (name, kind)
        credentials = _credentials(issuer, achievements, kind, email=_email(name), status_url=status_url)
        _send(tenant, app_id=app_id, name=name, credentials=credentials)
    return apps


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest", default=os.environ.get("CREDBRIDGE_PUBLIC_URL", "http://127.0.0.1:8001"))
    parser.add_argument("--matching", default=os.environ.get("CREDBRIDGE_MATCHING_URL", "http://127.0.0.1:8003"))
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each score")
    return parser.parse_args(argv)


def _tenant(settings: Settings) -> dict:
    db = mongo.connect(settings)
    try:
        repo = TenantRepository(db, settings)
        repo.ensure_indexes()
        tenant_id, api_key = repo.create_tenant(f"Demo employer {uuid.uuid4().hex[:6]}")
        secret = repo.add_connection(tenant_id, "generic")
    finally:
        db.client.close()
    return {"tenant": tenant_id, "api_key": api_key, "secret": secret,
            "webhook_url": f"{settings.public_base_url.rstrip('/')}/v1/webhooks/generic/{tenant_id}"}


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@example.org"


def _credentials(issuer: Issuer, achievements: list[str], kind: str, *, email: str, status_url: str) -> list[dict]:
    """The applicant's badges, each naming its recipient by email (one that names none counts for nobody)."""
    jwts = []
    subject = "someone.else@example.org" if kind == SOMEONE_ELSE else email
    for i, achievement in enumerate(achievements):
        jwt = issuer.vc_jwt(achievement_name=achievement, subject_email=subject)
        if kind == FORGED and i == 1:
            jwt = tamper(issuer.vc_jwt(achievement_name="Intro to Spreadsheets", subject_email=subject),
                         achievement_name=achievement)
        if kind == REVOKED and achievement == REVOKED_ACHIEVEMENT:
            jwt = _with_status(issuer, achievement, email=subject, status_url=status_url)
        jwts.append({"jwt": jwt})
    return jwts


def _with_status(issuer: Issuer, achievement: str, *, email: str, status_url: str) -> str:
    """A credential whose BitstringStatusListEntry (§2.1) points at bit STATUS_INDEX of the demo's list.

    Only this one credential carries a status: the others would be re-checked after the demo stops
    serving its list, and an unreachable list makes a verdict indeterminate.
    """
    payload = issuer.claims(achievement_name=achievement, subject_email=email)
    payload["vc"]["credentialStatus"] = {
        "id": f"{status_url}#{STATUS_INDEX}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": str(STATUS_INDEX), "statusListCredential": status_url}
    return issuer.sign(payload)


def _status_list(issuer: Issuer, *, url: str, revoked: set[int]) -> str:
    """The issuer's BitstringStatusListCredential (§2.2) as a VC-JWT, with the `revoked` entries' bits set."""
    bits = bytearray(STATUS_LIST_BYTES)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)  # §3.1: index 0 is the most significant bit of the first byte
    # §3.1: encodedList is multibase base64url ('u', no padding) of the GZIP-compressed bitstring.
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits))).rstrip(b"=").decode()
    payload = issuer.claims()
    payload["jti"] = url
    payload["vc"] = {"@context": [VC_V2_CONTEXT], "id": url,
                     "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                     "issuer": payload["vc"]["issuer"], "validFrom": payload["vc"]["validFrom"],
                     "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList",
                                           "statusPurpose": "revocation", "encodedList": encoded}}
    return issuer.sign(payload)


def _send(tenant: dict, *, app_id: str, name: str, credentials: list[dict]) -> None:
    body = json.dumps({"event_id": uuid.uuid4().hex, "application": {"id": app_id, "job_id": ROLE_ID},
                       "candidate": {"id": f"cand-{app_id}", "name": name, "emails": [_email(name)]},
                       "credentials": credentials}).encode()
    response = requests.post(tenant["webhook_url"], data=body, timeout=30,
                             headers=sign_generic(tenant["secret"], body, int(time.time())))
    response.raise_for_status()


def _wait(matching: str, api: dict, app_id: str, *, timeout_s: float) -> dict:
    deadline, last = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        response = requests.get(f"{matching}/v1/applications/{app_id}/score", headers=api, timeout=10)
        if response.status_code == 200:
            last = response.json()
            if last["status"] == "scored" and all(c["verdict"] for c in last["credentials"]):
                return last
        time.sleep(0.3)
    raise SystemExit(f"demo: no settled score for {app_id} within {timeout_s:.0f}s (last: {last})")


def _print_ranking(matching: str, api: dict, apps: dict) -> None:
    page = requests.get(f"{matching}/v1/roles/{ROLE_ID}/candidates?limit=50", headers=api, timeout=10).json()
    ids = [r["id"] for r in ROLE["requirements"]]
    print(f"\nRanked candidates for {ROLE_ID}  ({' '.join(ids)}: + met  ~ partial  - missing  ? pending)")
    for rank, row in enumerate(page["candidates"], start=1):
        name, kind = apps.get(row["application_id"], ("?", GENUINE))
        marks = " ".join({"met": "+", "partial": "~", "missing": "-", "pending": "?"}.get(row["requirements"].get(i), " ")
                         for i in ids)
        print(f"{rank:>3}. {row['score']:>3}  {marks}  {name:<18} {row['application_id']}  {row['reason']}")
        if kind in NOTES:
            found = requests.get(f"{matching}/v1/candidates/{row['candidate_id']}/credentials", headers=api,
                                 timeout=10).json()["credentials"]
            print(f"{'':>15}note: {NOTES[kind]}; verification says: {_outcome(found)}")
            if kind == REVOKED and not any(c["status"] == "revoked" for c in found):
                print(f"{'':>15}(verification did not read the status list as revoked: may the services fetch "
                      "from 127.0.0.1? `make run` sets CREDBRIDGE_FETCH_ALLOW_LOOPBACK=1)")


def _outcome(credentials: list[dict]) -> str:
    """What verification decided for each credential, with the checks that failed or could not decide."""
    parts = []
    for c in credentials:
        codes = sorted({k["code"] for k in c["checks"] if k["status"] in ("failed", "indeterminate")})
        parts.append(f"{c['achievement']} {c['status']}" + (f" ({', '.join(codes)})" if codes else ""))
    return "; ".join(parts)


def _print_explanation(score: dict, apps: dict) -> None:
    print(f"\nWhy {apps[score['application_id']][0]} scored {score['score']} (score_version {score['score_version']}):")
    for r in score["requirements"]:
        print(f"  [{r['status']:>7}] {r['competency']} ({r['importance']}, weight {r['weight']:g}): {r['reason']}")


if __name__ == "__main__":
    sys.exit(main())
