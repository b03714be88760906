"""One module per check; each exposes `CHECK` (its stable id) and `async def run(facts)`."""
