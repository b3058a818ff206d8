"""The text side of search: query parsing, the index's tokens, and snippets.

The index holds, for every block of messages, the *tokens* that a query can look up
(:func:`index_text`):

- for scripts written with spaces, the words, as SQLite's ``unicode61`` tokenizer splits
  them (a query term matches the beginnings of words: ``prox`` finds ``proxy``, through an
  FTS5 prefix query);
- for scripts written without spaces (Chinese, Japanese, Korean), every character and every
  pair of adjacent characters: ``代理服务`` gives ``代 理 服 务 代理 理服 服务``, so a term of
  any length is found through its pairs (``代理服务`` through ``代理 AND 理服 AND 服务``).

The index only narrows the search down to a few blocks: every candidate is checked against
:attr:`Query.patterns` in the conversation's file, so the result is exact whichever tokens
found it. Nothing here touches the disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from operator import add

__all__ = ["Query", "find_hits", "index_text", "parse_query", "snippet"]

_CJK = (
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
"""Letters of scripts written without spaces between words (kana, Han, Hangul)."""

_CJK_RUN = re.compile(f"[{_CJK}]+")
_NOT_CJK = re.compile(f"[^{_CJK}]+")
_WORD = re.compile(f"[^\\W_{_CJK}]+")
"""A word of a spaced script: letters and digits, not CJK."""
_WORD_CHAR = f"[^\\W_{_CJK}]"
_TERMS = re.compile(r'"([^"]*)"|(\S+)')


def index_text(text: str) -> str:
    """What the index tokenizes for ``text``: its spaced-script words (the CJK letters
    blanked out), then its CJK characters and pairs, distinct (C-speed string operations:
    building the index from 1M messages spends most of its time here and in SQLite)."""
    if _CJK_RUN.search(text) is None:
        return text
    cjk = _NOT_CJK.sub(" ", text)
    found = set(cjk)
    found.update(map(add, cjk, cjk[1:]))  # "a " and " b" pairs fall apart into "a" and "b"
    return _CJK_RUN.sub(" ", text) + " " + " ".join(found)


def _fts_string(token: str) -> str:
    """``token`` as an FTS5 string (a phrase: no operators, no column filters)."""
    return '"' + token.replace('"', '""') + '"'


def _term_pattern(term: str, *, words: bool = False) -> str:
    """A regex for one term: a substring; a word beginning for a word-script term shorter than
    three characters, or of any length if ``words`` (what the index can find)."""
    escaped = re.escape(term)
    if (words or len(term) < 3) and _WORD.fullmatch(term[:1]):
        return f"(?<!{_WORD_CHAR}){escaped}"
    return escaped


def _term_match(term: str) -> str:
    """The FTS5 expression that finds every text ``term`` can match (and maybe a few more):
    a prefix query per word, the CJK pairs (or the character alone) of each CJK run; "" if
    the term has neither (punctuation)."""
    parts = [_fts_string(word) + "*" for word in _WORD.findall(term)]
    for run in _CJK_RUN.findall(term):
        pairs = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        parts.extend(_fts_string(pair) for pair in pairs)
    return " AND ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class Query:
    """A parsed search: its terms and how to find them."""

    terms: tuple[str, ...]
    """Whitespace-separated words, or ``"quoted phrases"``, in input order."""
    match: str
    """FTS5 MATCH expression for the index ("" if no term has a word or a CJK letter: then
    every conversation is a candidate)."""
    pattern: re.Pattern[str] | None
    """Matches any term (case-insensitive): for highlighting and finding in a conversation
    (3+ letter terms anywhere in a word)."""
    patterns: tuple[re.Pattern[str], ...]
    """One pattern per term, as the index finds them (word-script terms at word beginnings,
    CJK anywhere): a text matches the query if each of them finds something."""
    folded: tuple[str, ...] = ()
    """The terms case-folded: a text whose case-folded form lacks one cannot match (a test
    many times quicker than the patterns, which then decide)."""

    @property
    def empty(self) -> bool:
        return not self.terms

    def matches(self, text: str) -> bool:
        """True if every term occurs in ``text``."""
        if self.folded:
            folded = text.casefold()
            if not all(term in folded for term in self.folded):
                return False
        return bool(self.patterns) and all(p.search(text) for p in self.patterns)

    def may_match_json(self, raw: str) -> bool:
        """False if the JSON text ``raw`` (a whole conversation file, as chattui writes it)
        cannot hold a text that matches: some term is nowhere in it. Terms that JSON would
        escape are not looked for (they may be written differently)."""
        folded = raw.casefold()
        escaped_letters = "\\u" in raw
        for term in self.folded:
            if any(char in '"\\' or char < " " for char in term):
                continue
            if escaped_letters and not term.isascii():
                continue
            if term not in folded:
                return False
        return True


def parse_query(text: str) -> Query:
    """Split ``text`` into terms (AND-ed) and build the index expression."""
    terms: list[str] = []
    for quoted, bare in _TERMS.findall(text):
        term = (quoted or bare).strip()
        if term and term not in terms:
            terms.append(term)
    match = " AND ".join(part for part in map(_term_match, terms) if part)
    sources = [_term_pattern(term) for term in sorted(terms, key=len, reverse=True)]
    pattern = re.compile("|".join(sources), re.IGNORECASE) if sources else None
    patterns = tuple(re.compile(_term_pattern(term, words=True), re.IGNORECASE) for term in terms)
    folded = tuple(term.casefold() for term in terms)
    return Query(tuple(terms), match, pattern, patterns, folded)


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
