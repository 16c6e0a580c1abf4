"""Cards of the home page. Each app registers a function ``(user) -> list[Card]`` in its
``AppConfig.ready``; a card shows a real count from the user's own scope and links to the list."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    label: str
    value: object
    url: str = ""
    hint: str = ""
    tone: str = "primary"  # primary | success | warning | danger | secondary


_providers: list[Callable] = []


def register(provider: Callable) -> Callable:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def cards_for(user) -> list[Card]:
    cards: list[Card] = []
    for provider in _providers:
        cards.extend(provider(user))
    return cards
