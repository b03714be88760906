"""One question, one report: diagnose a user and app, and render and post the report."""
