"""Fakes of the services attrsync talks to (Okta, Slack), each speaking the real protocol."""
