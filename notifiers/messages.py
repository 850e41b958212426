"""Texts the notifiers send besides the daily digest (``monev.digest``): the test message
and the one-time sign-in link, and a text on one line for WhatsApp templates."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   undefined=StrictUndefined, trim_blocks=True, keep_trailing_newline=True)


def render_test(person: str, satker: str, channel: str) -> tuple[str, str]:
    body = _ENV.get_template("test.txt.j2").render(person=person, satker=satker,
                                                   channel=channel)
    subject = f"[Monev] Pesan uji — {satker}"
    return subject, f"{subject}\n\n{body}" if channel == "whatsapp" else body


def render_sign_in(person: str, satker: str, link: str, minutes: int, until: str,
                   channel: str) -> tuple[str, str]:
    """(subject, body) of a one-time sign-in link the person asked for (message kind
    "tautan masuk"); the subject carries no link, so lists and logs never show it."""
    body = _ENV.get_template("masuk.txt.j2").render(person=person, satker=satker, link=link,
                                                    minutes=minutes, until=until)
    subject = f"[Monev] Tautan masuk Portal monev — {satker}"
    return subject, f"{subject}\n\n{body}" if channel == "whatsapp" else body


def one_line(text: str) -> str:
    """The text on one line (``·`` between lines, no runs of spaces), e.g. for a
    WhatsApp template parameter."""
    return " · ".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
