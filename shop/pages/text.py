"""The small, safe text format of policy pages: what staff type is shown, never run.

Everything is escaped; the only markup is made here, from a few plain-text conventions:

- a blank line starts a new paragraph; a single line break stays a line break;
- `# Heading` and `## Smaller heading` start a block with a heading (the page's title is above);
- a block whose lines all start with `- ` or `* ` is a bulleted list;
- `**bold**`, and `[link text](https://...)` for links to http(s), mailto: or a path of the shop.

Anything else, `<script>` included, reads as the characters that were typed.
"""
import re

from markupsafe import Markup, escape

INLINE = re.compile(r"\[([^\]\n]+)\]\(([^()\s]+)\)|\*\*([^*\n]+)\*\*")
SAFE_LINK = re.compile(r"^(?:https?://[^\s\"'<>]+|mailto:[^\s\"'<>]+|/(?!/)[^\s\"'<>]*)$", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,2})\s+(.+)$")
BULLET = re.compile(r"^[-*]\s+(.*)$")


def render(text: str) -> Markup:
    blocks = [block for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip()) if block.strip()]
    return Markup("\n").join(_block(block) for block in blocks)


def _block(block: str) -> Markup:
    lines = [line.rstrip() for line in block.strip().split("\n")]
    heading = HEADING.match(lines[0])
    if heading:
        level = len(heading.group(1)) + 1  # "#" is h2: the page's title is its h1
        rest = "\n".join(lines[1:]).strip()
        title = Markup("<h{0}>{1}</h{0}>").format(level, _inline(heading.group(2).strip()))
        return title + (Markup("\n") + _block(rest) if rest else Markup(""))
    if all(BULLET.match(line) for line in lines):
        items = Markup("").join(Markup("<li>{}</li>").format(_inline(BULLET.match(line).group(1))) for line in lines)
        return Markup("<ul>{}</ul>").format(items)
    return Markup("<p>{}</p>").format(Markup("<br>\n").join(_inline(line) for line in lines))


def _inline(text: str) -> Markup:
    parts, position = [], 0
    for match in INLINE.finditer(text):
        parts.append(escape(text[position:match.start()]))
        label, target, bold = match.groups()
        if bold is not None:
            parts.append(Markup("<strong>{}</strong>").format(bold))
        elif SAFE_LINK.match(target):
            parts.append(Markup('<a href="{}">{}</a>').format(target, label))
        else:
            parts.append(escape(match.group(0)))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
