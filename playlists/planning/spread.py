"""Order a slot's items so that two neighbours share a topic only when nothing else could go.

Listeners hear the plan's topics in turn rather than three bulletins on one subject in a
row. Items come in priority order; each run of one priority is arranged on its own.
"""

from __future__ import annotations

from typing import Protocol, TypeVar


class Placed(Protocol):
    """What spreading needs of an item: its priority rank and its topic."""

    rank: int
    topic: int | None


P = TypeVar("P", bound=Placed)


def spread_topics(members: list[P], prev: int | None) -> list[P]:
    """Reorder each run of one priority so neighbours share a topic only when unavoidable.

    `prev` is the topic of the item before them in the slot. Keeps the given order wherever it
    already alternates; otherwise takes the next item of another topic, unless one topic is so
    common that it must go now.
    """
    if members[0].rank == members[-1].rank:  # one priority (they come in priority order)
        arranged = _next_other_topic(members, prev)
        return arranged if arranged is not None else _majority_first(members, prev)
    out: list[P] = []
    n = len(members)
    i = 0
    while i < n:
        rank = members[i].rank
        j = i + 1
        while j < n and members[j].rank == rank:
            j += 1
        group = members[i:j]
        arranged = _next_other_topic(group, prev)
        if arranged is None:
            arranged = _majority_first(group, prev)
        out.extend(arranged)
        prev = arranged[-1].topic
        i = j
    return out


def _next_other_topic(group: list[P], prev: int | None) -> list[P] | None:
    """Take, each time, the first remaining item whose topic differs from the one before.

    One pass: an item that would repeat the topic before it waits, and waiting items (which
    come first in the order) go as soon as they no longer repeat it. Return None when, at the
    end, only items repeating the topic are left: then `_majority_first` must decide.
    """
    out: list[P] = []
    waiting: list[P] = []
    for c in group:
        while waiting:
            for k in range(len(waiting)):
                if waiting[k].topic != prev:
                    break
            else:
                break
            w = waiting.pop(k)
            out.append(w)
            prev = w.topic
        topic = c.topic
        if topic is None or topic != prev:
            out.append(c)
            prev = topic
        else:
            waiting.append(c)
    while waiting:
        for k in range(len(waiting)):
            if waiting[k].topic != prev:
                break
        else:
            return None
        w = waiting.pop(k)
        out.append(w)
        prev = w.topic
    return out


def _majority_first(group: list[P], prev: int | None) -> list[P]:
    """Like `_next_other_topic`, but a topic that would otherwise run out of separators goes
    now: this leaves the fewest neighbours sharing a topic that the items allow."""
    rest = list(group)
    counts: dict[int, int] = {}
    for c in rest:
        if c.topic is not None:
            counts[c.topic] = counts.get(c.topic, 0) + 1
    out: list[P] = []
    while rest:
        left = len(rest)
        forced = None
        for topic, count in counts.items():
            if topic != prev and count > left // 2:
                forced = topic
                break
        pick = 0
        if forced is not None:
            while rest[pick].topic != forced:
                pick += 1
        elif prev is not None:
            for k, c in enumerate(rest):
                if c.topic != prev:
                    pick = k
                    break
        chosen = rest.pop(pick)
        if chosen.topic is not None:
            counts[chosen.topic] -= 1
        prev = chosen.topic
        out.append(chosen)
    return out
