"""The Slack toolkit every feature uses: Block Kit within Slack's limits, what a failed call
means in one sentence, and every action and callback id."""
