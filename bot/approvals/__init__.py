"""The whole fix workflow: states and their transitions (states.py), the records in Redis
(store.py), asking, approving and rejecting (requests.py), the runs' leases and journals
(runs.py), the worker that runs approved fixes (worker.py), the audit trail and rendering."""
