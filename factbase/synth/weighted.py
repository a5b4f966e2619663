"""The weighted choice every vocabulary of the generator draws with."""

import itertools
import random
from bisect import bisect_right


class Weighted:
    """A fixed weighted choice, with the cumulative weights computed once."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.hi = len(self.cum) - 1

    def __call__(self, rng: random.Random):
        # What rng.choices(items, cum_weights=cum)[0] does, without its overhead.
        return self.items[bisect_right(self.cum, rng.random() * self.total, 0, self.hi)]
