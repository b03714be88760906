"""A fake Okta org over HTTP that speaks Okta's documented shapes, for tests and the demo.

`serve(OrgState())` runs one on a free local port; `OrgState` holds its users, groups, apps,
mappings and System Log; faults, latency and rate limits are set per test. It imports nothing
of attrsync, so that what it answers is Okta's shape, never the product's convenience.
"""
