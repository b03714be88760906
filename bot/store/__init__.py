"""Redis: every key family (keys.py) and the diagnosis-side state (diagnoses.py)."""
