"""A small deterministic BM25 sparse encoder for hybrid search.

Documents get BM25's term-frequency part, ``tf * (k1 + 1) / (tf + k1 * (1 - b + b *
len / avg_len))``; queries get weight 1 per distinct term. The IDF part is left to
Qdrant: store the vectors in a sparse vector with ``modifier: idf`` (the collection
:meth:`QdrantRM.index_documents` creates has one), and the server multiplies each query
term by its IDF over the collection, so the dot product is the BM25 score.

Tokens are lower-cased Unicode words (``\\w+``) minus a short English stop-word list; a
token's dimension is its CRC-32 (stable across processes and machines, unlike ``hash``).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable

from .types import SparseVector

_TOKEN = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
    ]
)


def tokenize(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


def token_index(token: str) -> int:
    """The sparse dimension of ``token``: an unsigned 32-bit hash."""
    return zlib.crc32(token.encode("utf-8"))


class BM25Encoder:
    """BM25 sparse vectors for documents and queries (see the module docstring).

    ``k1`` and ``b`` are BM25's usual parameters; ``avg_len`` is the expected document
    length in tokens (fixed, so a document's vector does not depend on its batch).
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75, avg_len: float = 64.0) -> None:
        self.k1 = k1
        self.b = b
        self.avg_len = avg_len

    def _vector(self, weights: dict[int, float]) -> SparseVector:
        indices = sorted(weights)
        return SparseVector(indices, [weights[i] for i in indices])

    def encode_document(self, text: str) -> SparseVector:
        tokens = tokenize(text)
        norm = self.k1 * (1 - self.b + self.b * len(tokens) / self.avg_len)
        weights: dict[int, float] = {}
        for token, tf in Counter(tokens).items():
            index = token_index(token)  # colliding tokens add up
            weights[index] = weights.get(index, 0.0) + tf * (self.k1 + 1) / (tf + norm)
        return self._vector(weights)

    def encode_query(self, text: str) -> SparseVector:
        return self._vector({token_index(t): 1.0 for t in set(tokenize(text))})

    def encode_documents(self, texts: Iterable[str]) -> list[SparseVector]:
        return [self.encode_document(t) for t in texts]

    def encode_queries(self, texts: Iterable[str]) -> list[SparseVector]:
        return [self.encode_query(t) for t in texts]
