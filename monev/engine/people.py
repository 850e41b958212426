"""Who holds a role for a plan row: pure lookups in the satker's configured people."""

from __future__ import annotations

from collections.abc import Sequence

from monev.config import Person
from monev.model import normalise_text


def _matches(names: Sequence[str], text: str) -> bool:
    target = normalise_text(text)
    return any((n := normalise_text(name)) and (n in target or target in n) for name in names)


def holders(role: str, area: str, komponen: str, people: Sequence[Person]) -> list[Person]:
    """People to address in ``role`` about a row of ``area``/``komponen``.

    A row's PIC is whoever holds its komponen (or, failing that, its area); without
    one the area's koordinator answers for it, and without that the Ketua Tim ZI."""
    if role == "pic":
        found = [p for p in people if p.role == "pic" and (
            _matches(p.komponen, komponen) or _matches(p.areas, area))]
        return found or holders("koordinator", area, komponen, people)
    if role == "koordinator":
        return koordinators(area, people) or [p for p in people if p.role == "ketua_tim"]
    return [p for p in people if p.role == role]


def koordinators(area: str, people: Sequence[Person]) -> list[Person]:
    """The koordinators of an area, without any fallback."""
    return [p for p in people if p.role == "koordinator" and _matches(p.areas, area)]


class PeopleIndex:
    """``holders`` for one satker's people, each (role, area, komponen) worked out once:
    a sweep asks the same question for thousands of rows."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.people = people
        self._found: dict[tuple[str, str, str], list[Person]] = {}

    def holders(self, role: str, area: str, komponen: str) -> list[Person]:
        key = (role, area, komponen)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = holders(role, area, komponen, self.people)
        return found


def concerns(who: Person, area: str, komponen: str, people: Sequence[Person]) -> bool:
    """A row is someone's as its PIC or koordinator; a kasubbag's when its PIC works
    in their subbagian (what their calendar and their task list show)."""
    pics = holders("pic", area, komponen, people)
    if who.role == "kasubbag" and who.subbagian:
        return any(p.subbagian == who.subbagian for p in pics)
    return any(p.name == who.name for p in pics + holders("koordinator", area, komponen,
                                                          people))
