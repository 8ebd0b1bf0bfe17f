"""A post's HTML: Markdown, sanitizing, excerpts, and the body cache that makes each body once."""
