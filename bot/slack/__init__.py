"""Slack: the Bolt app, thin listeners, the command parser, answers and Block Kit rendering."""
