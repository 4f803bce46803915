"""Calculations that depend on themselves, which no order of computing could ever settle."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator, Mapping


def find_cycles(dependencies: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The cycles among calculations, each as names in order with the first repeated last.

    ``dependencies`` maps each calculation to the names it references; names that
    are not keys are leaves. One cycle is reported per group of calculations that
    depend on each other (the shortest through the group's first name in mapping
    order), so that one mistake gives one message however many loops it closes.
    """
    order = {name: index for index, name in enumerate(dependencies)}
    # Sorted in mapping (form) order, so that results do not depend on set ordering.
    edges = {
        name: sorted({d for d in needs if d in order}, key=order.__getitem__)
        for name, needs in dependencies.items()
    }
    cycles = []
    for group in _strongly_connected(edges):
        start = min(group, key=order.__getitem__)
        if len(group) > 1 or start in edges[start]:
            cycles.append(_shortest_cycle(start, set(group), edges))
    return sorted(cycles, key=lambda cycle: order[cycle[0]])


def _strongly_connected(edges: Mapping[str, list[str]]) -> Iterator[list[str]]:
    """Tarjan's algorithm, with an explicit stack so that long chains cannot overflow Python's."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in edges:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges[root]))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    yield group


def _shortest_cycle(start: str, group: set[str], edges: Mapping[str, list[str]]) -> list[str]:
    """Breadth-first from start back to itself, within one strongly connected group."""
    previous: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in edges[node]:
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if successor in group and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    raise AssertionError("a strongly connected group always has a cycle through each member")
