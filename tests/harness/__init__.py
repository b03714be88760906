"""What the tests share: the running bot, builders, corpora, crash tools."""
