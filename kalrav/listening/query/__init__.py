"""The monitor query language: parse a Brandwatch-style query into a tree, print it back, and
match many monitors' trees against each post at once.

Example: `Matcher({monitor_id: parse('(tea OR "masala chai") NEAR/3 cup NOT lang:en')})`,
then `matcher.match(Post(text, lang=..., author=..., url=...))` gives the matching ids.
"""

from .evaluate import Post
from .matcher import Matcher
from .parser import QuerySyntaxError, parse
from .printer import to_query

__all__ = ["Matcher", "Post", "QuerySyntaxError", "parse", "to_query"]
