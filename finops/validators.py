"""Validators shared by every app's forms, services and API serializers.

`validate_single_line_text` is for free text that can end up in an email header, a file name,
a log line or an export (organization names, display names, saved-view names, tags shown in
exports). A CR/LF there splits a header (Django then refuses to send, after the row was
written), an escape sequence rewrites a terminal, a bidi override makes a file name lie about
its extension. Such text is refused at the edge with a form error, never silently altered.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Unicode "format" characters that reorder or hide text (Trojan Source, RLO file names).
_BIDI_AND_INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)


def control_character_in(value: str) -> str | None:
    """The first character of `value` that does not belong in one line of plain text, or None.

    That is: C0/C1 controls (tab, CR, LF, NUL, ESC, DEL…), the line and paragraph separators,
    and the invisible bidi/format characters.
    """
    for character in value:
        category = unicodedata.category(character)
        if category in ("Cc", "Zl", "Zp") or character in _BIDI_AND_INVISIBLE:
            return character
    return None


def validate_single_line_text(value: str) -> None:
    """Refuse text carrying a control character, naming the character (a form error, not a 500)."""
    character = control_character_in(value)
    if character is not None:
        raise ValidationError(
            "This contains a control character (%(code)s); use plain text on one line.",
            code="control_character",
            params={"code": f"U+{ord(character):04X}"},
        )
