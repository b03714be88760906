"""Fixes of one user: asking, approving and rejecting (requests.py), running an approved fix
under a lease (runner.py) and rendering; the machine is in `bot.workflow.fixes`."""
