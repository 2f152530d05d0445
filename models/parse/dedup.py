"""Near-duplicate text, for clustering items about the same matter: MinHash signatures over
character bigrams of folded text (Chinese has no spaces, so characters, not words, are the
unit), computed by one-permutation hashing (one hash per bigram, the minimum kept in each of
32 bins, empty bins filled from their neighbour) so a signature costs one pass over the text;
their estimated Jaccard similarity, and an LSH index that finds candidates without
comparing every pair. A repost that adds a comment keeps most bigrams of the original, so it
stays above the threshold; an unrelated item about the same topic does not. Pure: no I/O."""

from __future__ import annotations

import itertools
import random
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

PRIME = (1 << 61) - 1  # a Mersenne prime: the universal-hash modulus
PERMUTATIONS = 32
BANDS = 16  # 16 bands × 2 rows: pairs at Jaccard 0.5 become candidates with p ≈ 0.99
ROWS = PERMUTATIONS // BANDS
MAX_CHARS = 400  # the head of an item says what it is about; long bodies only cost time
BIN_BITS = 5  # 2**5 == PERMUTATIONS bins
_rng = random.Random(20261122)  # fixed: signatures are stored and compared across runs
_A, _B = _rng.randrange(1, PRIME), _rng.randrange(0, PRIME)
_EMPTY = PRIME  # larger than any hash value

Signature = tuple[int, ...]


def shingles(folded: str) -> set[int]:
    """Character bigrams of folded text, each as an int (stable across processes, unlike hash)."""
    head = folded[:MAX_CHARS]
    if len(head) < 2:
        return {ord(c) for c in head}
    return {(ord(a) << 21) | ord(b) for a, b in itertools.pairwise(head)}


def signature(folded: str) -> Signature:
    """The MinHash signature of folded text; empty text gives an empty signature."""
    feats = shingles(folded)
    if not feats:
        return ()
    bins = [_EMPTY] * PERMUTATIONS
    mask = PERMUTATIONS - 1
    for x in feats:
        h = (_A * x + _B) % PRIME
        slot, value = h & mask, h >> BIN_BITS
        if value < bins[slot]:
            bins[slot] = value
    return _densify(bins)


def _densify(bins: list[int]) -> Signature:
    """Fill each empty bin from the next filled one to its right, offset by the distance, so two
    texts with the same bigrams still agree bin for bin (rotation densification)."""
    n = len(bins)
    out = list(bins)
    for i, value in enumerate(bins):
        if value != _EMPTY:
            continue
        for step in range(1, n):
            other = bins[(i + step) % n]
            if other != _EMPTY:
                out[i] = other + step * (PRIME >> BIN_BITS)
                break
    return tuple(out)


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two texts' bigram sets (0 when either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


@dataclass
class LshIndex:
    """Signatures under keys (e.g. item ids), bucketed by band so a lookup touches only items
    sharing at least one band; `best` confirms candidates against the threshold."""

    threshold: float
    _buckets: dict[tuple[int, Signature], list[Hashable]] = field(default_factory=dict)
    _signatures: dict[Hashable, Signature] = field(default_factory=dict)

    def add(self, key: Hashable, sig: Signature) -> None:
        if not sig:
            return
        self._signatures[key] = sig
        for band in _bands(sig):
            self._buckets.setdefault(band, []).append(key)

    def candidates(self, sig: Signature) -> Iterable[Hashable]:
        seen: set[Hashable] = set()
        for band in _bands(sig):
            for key in self._buckets.get(band, ()):
                if key not in seen:
                    seen.add(key)
                    yield key

    def best(self, sig: Signature, *, clear: float = 0.8) -> tuple[Hashable, float] | None:
        """The most similar stored key at or above the threshold (earliest on ties), or None.
        A candidate at `clear` or above ends the search: a large cluster of reposts would
        otherwise be compared one by one."""
        found: tuple[Hashable, float] | None = None
        for key in self.candidates(sig):
            score = similarity(sig, self._signatures[key])
            if score >= self.threshold and (found is None or score > found[1]):
                found = (key, score)
                if score >= clear:
                    break
        return found

    def __len__(self) -> int:
        return len(self._signatures)


def _bands(sig: Signature) -> Iterable[tuple[int, Signature]]:
    if len(sig) != PERMUTATIONS:
        return ()
    return ((n, sig[n * ROWS : (n + 1) * ROWS]) for n in range(BANDS))
