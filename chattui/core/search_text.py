"""The text side of search: query parsing, the short-term index's tokens, and snippets.

Search terms of three or more characters go to a trigram index (substring matching in any
script). Shorter terms cannot (a trigram tokenizer drops them), so a second, small index holds
for every text the *grams* that one or two characters can match:

- for scripts written without spaces (Chinese, Japanese, Korean), every character and every
  pair of adjacent characters: ``代理服务`` gives ``代 理 服 务 代理 理服 服务``;
- for the others, the first one and two letters of every word: ``Go proxy`` gives
  ``g go p pr``, so a one- or two-letter term matches the beginnings of words.

Every candidate is checked against :attr:`Query.pattern` (which follows the same rules), so the
result is exact whichever index found it. Nothing here touches the disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MIN_TRIGRAM", "Query", "find_hits", "grams", "parse_query", "snippet"]

MIN_TRIGRAM = 3
"""Terms at least this long are searched in the trigram index."""

_CJK = (
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
"""Letters of scripts written without spaces between words (kana, Han, Hangul)."""

_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(f"[^\\W_{_CJK}]+")
"""A word of a spaced script: letters and digits, not CJK."""
_WORD_CHAR = f"[^\\W_{_CJK}]"
_TERMS = re.compile(r'"([^"]*)"|(\S+)')


def grams(text: str) -> str:
    """The short-term index's tokens for ``text``: distinct, space separated."""
    found: set[str] = set()
    for run in _CJK_RUN.findall(text):
        found.update(run)
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(text):
        word = word.casefold()
        found.add(word[:1])
        found.add(word[:2])
    return " ".join(found)


def _fts_string(token: str) -> str:
    """``token`` as an FTS5 string (a phrase: no operators, no column filters)."""
    return '"' + token.replace('"', '""') + '"'


def _term_pattern(term: str) -> str:
    """A regex for one term: a substring, or for a short word-script term a word beginning."""
    escaped = re.escape(term)
    if len(term) < MIN_TRIGRAM and _WORD.fullmatch(term[:1]):
        return f"(?<!{_WORD_CHAR}){escaped}"
    return escaped


@dataclass(frozen=True)
class Query:
    """A parsed search: its terms and how to find them."""

    terms: tuple[str, ...]
    """Whitespace-separated words, or ``"quoted phrases"``, in input order."""
    long_match: str
    """FTS5 MATCH expression for the trigram index ("" if no term is long enough)."""
    short_match: str
    """FTS5 MATCH expression for the grams index ("" if it has nothing to match)."""
    like: str
    """A LIKE pattern for the first term, when neither index can serve the query."""
    pattern: re.Pattern[str] | None
    """Matches any term (case-insensitive): for checking candidates and highlighting."""
    patterns: tuple[re.Pattern[str], ...]
    """One pattern per term: a text matches the query if each of them finds something."""

    @property
    def empty(self) -> bool:
        return not self.terms

    @property
    def exact(self) -> bool:
        """True if the trigram index alone decides (every term is long)."""
        return bool(self.terms) and all(len(term) >= MIN_TRIGRAM for term in self.terms)

    def matches(self, text: str) -> bool:
        """True if every term occurs in ``text``."""
        return bool(self.patterns) and all(p.search(text) for p in self.patterns)


def parse_query(text: str) -> Query:
    """Split ``text`` into terms (AND-ed) and build the index expressions."""
    terms: list[str] = []
    for quoted, bare in _TERMS.findall(text):
        term = (quoted or bare).strip()
        if term and term not in terms:
            terms.append(term)
    long_terms = [term for term in terms if len(term) >= MIN_TRIGRAM]
    short_tokens: list[str] = []
    for term in terms:
        if len(term) < MIN_TRIGRAM:
            tokens = grams(term).split()
            # "代理" -> 代理 (not 代, 理); "C#" -> c (all there is, checked by the pattern later)
            whole = [token for token in tokens if len(token) == len(term)]
            short_tokens.extend(sorted(whole or tokens))
    long_match = " AND ".join(_fts_string(term) for term in long_terms)
    short_match = " AND ".join(_fts_string(token) for token in dict.fromkeys(short_tokens))
    like = ""
    if terms:
        escaped = terms[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
    sources = [_term_pattern(term) for term in sorted(terms, key=len, reverse=True)]
    pattern = re.compile("|".join(sources), re.IGNORECASE) if sources else None
    patterns = tuple(re.compile(_term_pattern(term), re.IGNORECASE) for term in terms)
    return Query(tuple(terms), long_match, short_match, like, pattern, patterns)


def snippet(
    text: str, pattern: re.Pattern[str] | None, width: int = 100
) -> tuple[str, list[tuple[int, int]]]:
    """A one-line excerpt of ``text`` around the first match, and the matches' spans in it.

    Whitespace runs (newlines included) become single spaces; the excerpt starts about a
    quarter of ``width`` before the first match, with ``…`` marking cut ends. Control
    characters are not removed here: sanitize the result before showing it.
    """
    line = " ".join(text.split())
    first = pattern.search(line) if pattern is not None else None
    start = 0
    if first is not None and first.start() > width // 4:
        start = first.start() - width // 4
        space = line.rfind(" ", start - 12, start)  # prefer cutting at a word boundary
        if space != -1 and line[space + 1 : start + 1].isascii():
            start = space + 1
    end = min(len(line), start + width)
    excerpt = line[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(line) else ""
    spans: list[tuple[int, int]] = []
    if pattern is not None:
        offset = len(prefix)
        for match in pattern.finditer(excerpt):
            if match.end() > match.start():
                spans.append((match.start() + offset, match.end() + offset))
    return prefix + excerpt + suffix, spans


def find_hits(
    texts: Iterable[tuple[str, str]], pattern: re.Pattern[str] | None
) -> list[tuple[str, int]]:
    """Every match of ``pattern`` in ``texts`` ((key, text) pairs, in order), as (key, number
    of the match within that text) pairs: what find-in-conversation steps through."""
    hits: list[tuple[str, int]] = []
    if pattern is None:
        return hits
    for key, text in texts:
        count = sum(1 for match in pattern.finditer(text) if match.end() > match.start())
        hits.extend((key, number) for number in range(count))
    return hits
