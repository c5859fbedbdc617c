"""Make user text safe to show: no markup, no control characters.

Data cells can hold anything: markup-like brackets, terminal escape sequences,
carriage returns that would overwrite the screen, bidirectional overrides that
reorder it. The UI builds rich Text objects from data (never markup strings),
and every string passes through `visible()` first so that what reaches the
terminal is exactly what the person sees as characters.
"""

from __future__ import annotations

from rich.text import Text

# The Unicode "control pictures" block has a visible symbol for every C0 code
# (U+2400 + code) and for DEL (U+2421): a person sees that a control character
# is there and which one it is.
_CONTROL_PICTURES_START = 0x2400
_DELETE_PICTURE = "\u2421"

# C1 codes (0x80-0x9f) have no picture; 0x9b alone starts an escape sequence on
# some terminals, so each becomes the replacement character.
_C1_PICTURE = "\ufffd"

# Characters that reorder or hide text on screen; shown as a visible mark.
_INVISIBLE_FORMAT = (
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)
_FORMAT_PICTURE = "\u2426"

_ONE_LINE = {code: _CONTROL_PICTURES_START + code for code in range(0x20)}
_ONE_LINE[0x7F] = ord(_DELETE_PICTURE)
_ONE_LINE.update({code: ord(_C1_PICTURE) for code in range(0x80, 0xA0)})
_ONE_LINE.update({ord(char): ord(_FORMAT_PICTURE) for char in _INVISIBLE_FORMAT})

# In wrapped text a newline may stay a line break; everything else is shown.
_MULTI_LINE = dict(_ONE_LINE)
del _MULTI_LINE[ord("\n")]


def visible(value: str | None, *, keep_newlines: bool = False) -> str:
    """Replace control and reordering characters with visible placeholders.

    Args:
        value: The text from the data; None becomes the empty string.
        keep_newlines: Keep "\\n" as a line break (for wrapped text); otherwise
            it becomes the visible symbol U+2424.

    Returns:
        A string that is safe to write to a terminal as it is.
    """
    if not value:
        return ""
    return value.translate(_MULTI_LINE if keep_newlines else _ONE_LINE)


def plain(value: str | None, style: str = "", *, keep_newlines: bool = False) -> Text:
    """A rich Text holding the value literally (never parsed as markup)."""
    return Text(visible(value, keep_newlines=keep_newlines), style=style)
