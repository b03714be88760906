"""Fixes: each plans the exact Okta calls it will make; the plan is what gets approved."""
