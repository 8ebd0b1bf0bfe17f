"""From files to posts: discovery, front matter and field rules, the load cache; problems with file and reason."""

from .loader import Loaded, load_posts

__all__ = ["Loaded", "load_posts"]
