"""The command line: `attrsync why | scan | audit | watch | serve | socket | worker | demo`."""
