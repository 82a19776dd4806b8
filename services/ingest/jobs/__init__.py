"""Job descriptions from the ATS: each provider's job API (apis.py), its HTML read as plain text (text.py), and the
background describer that fetches each job's advert once, off the application's path (describer.py)."""
