"""The verification service: verifies submitted micro-credentials and reports a verdict with its checks."""
