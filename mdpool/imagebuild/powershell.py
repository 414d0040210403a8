"""A PowerShell script with its comments and string literals blanked out, for `mdpool images lint`.

Lint's PowerShell rules look for command names (Restart-Computer, Read-Host, Install-Module); a name
in a comment or a string (`Write-Host 'run Restart-Computer later'`) runs nothing and must not count.
The lexing follows Microsoft's about_Comments (`#` line comments, `<# #>` block comments) and
about_Quoting_Rules (single quotes with '' inside, double quotes with ` escapes and "" inside,
@' '@ and @" "@ here-strings closed at the start of a line). Blanked characters become spaces and
newlines stay, so line numbers and columns keep pointing into the original text. A trailing backtick
continues a command on the next line (about_Parsing); `logical_lines` joins those.
"""

from __future__ import annotations

_TOKEN_START = " \t\n;({}|&=,"


def code_only(text: str) -> str:
    out = list(text)
    i = 0
    n = len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ch = text[i]
        if ch == "`":  # escape outside strings: the next character is literal
            i += 2
        elif text.startswith("<#", i):
            end = text.find("#>", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif ch == "#" and (i == 0 or text[i - 1] in _TOKEN_START):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith(("@'", '@"'), i) and text[i + 2 : i + 3] in ("\n", "\r"):
            close = "\n" + text[i + 1] + "@"
            end = text.find(close, i + 2)
            end = n if end < 0 else end + len(close)
            blank(i, end)
            i = end
        elif ch == "'":
            end = i + 1
            while end < n:
                if text[end] == "'" and text[end + 1 : end + 2] == "'":
                    end += 2
                elif text[end] == "'":
                    break
                else:
                    end += 1
            blank(i, end + 1)
            i = end + 1
        elif ch == '"':
            end = i + 1
            while end < n:
                if text[end] == "`":
                    end += 2
                elif text[end] == '"' and text[end + 1 : end + 2] == '"':
                    end += 2
                elif text[end] == '"':
                    break
                else:
                    end += 1
            blank(i, end + 1)
            i = end + 1
        else:
            i += 1
    return "".join(out)


def logical_lines(code: str) -> list[tuple[int, str]]:
    """(first row, text) of each command line, joining lines that end with a continuation backtick."""
    result: list[tuple[int, str]] = []
    rows = code.split("\n")
    row = 0
    while row < len(rows):
        start = row
        current = rows[row]
        while current.rstrip().endswith("`") and row + 1 < len(rows):
            row += 1
            current = current.rstrip()[:-1] + " " + rows[row]
        result.append((start, current))
        row += 1
    return result
