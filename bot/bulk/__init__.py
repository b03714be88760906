"""Bulk fixes of a scan's cause: a canary user first, verified, a second approval, then the
rest one user at a time, each a fix run of its own (exactly once, never left unassigned)."""
