"""The shared constraint lexicon: concepts a constraint forbids, and a matcher for any text."""

from agent.constraints.lexicon import Concept, Lexicon, lexicon
from agent.constraints.matcher import Matcher, Mention, forbidden_mentions, matcher

__all__ = [
    "Concept",
    "Lexicon",
    "Matcher",
    "Mention",
    "forbidden_mentions",
    "lexicon",
    "matcher",
]
