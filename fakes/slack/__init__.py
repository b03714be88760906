"""A fake Slack (Web API, response URLs, Socket Mode) that records every call, for tests."""
