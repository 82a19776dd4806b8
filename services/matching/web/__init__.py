"""The recruiters' web page, served by the matching service: server-rendered Jinja templates over the same
service functions the API calls, signed in with the tenant's recruiter key.

  pages.py     the blueprint: thin routes, each parsing a form or query, calling one function, rendering
  auth.py      server-side sessions, the session cookie, CSRF tokens, sign-in and sign-out
  headers.py   the security headers every page carries (CSP without inline script, no framing, no caching)
  roleform.py  a role's editor form <-> the body PUT /v1/roles/<id> takes (validated by the same RoleSchema)
  ranking.py   the ranked candidates page over the read side's queries (filters, cursor, issuer tiers)
  words.py     verdicts, checks, marks and bands in plain words (pure)
  templates/web/, static/   one folder of templates; one stylesheet and one small script (no build step)
"""
from __future__ import annotations
