"""App readers: the user's own record in the app, read with read-only credentials (§1.9).

One file per app behind the one protocol of checks.readers.model; checks.readers.registry
names them for the settings file and opens them over one shared aiohttp session.
"""
