"""Pictures for the demo catalogue, drawn at seed time: a bottle with the product's name on it.

Drawn with Pillow (no binary file in the repository) and then stored like any staff upload
(shop.catalog.pictures), so the demo store exercises the real path.
"""
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

SIZE = 1280


def bottle_picture(name: str, background: str, label: str, detail: str = "") -> bytes:
    """A PNG of a capsule bottle with `name` on its label."""
    image = Image.new("RGB", (SIZE, SIZE), background)
    draw = ImageDraw.Draw(image)
    # The bottle: a body with rounded shoulders, a neck, a cap, and the label across its middle.
    body = (330, 330, 950, 1160)
    draw.rounded_rectangle((body[0] + 12, body[1] + 18, body[2] + 12, body[3] + 18), radius=90, fill="#cfcbc0")
    draw.rounded_rectangle(body, radius=90, fill="#f7f5f0", outline="#3b3b3b", width=6)
    draw.rectangle((470, 250, 810, 340), fill="#f7f5f0", outline="#3b3b3b", width=6)
    draw.rounded_rectangle((440, 130, 840, 260), radius=24, fill="#2b2b2b")
    for x in range(470, 830, 30):
        draw.line((x, 140, x, 250), fill="#444444", width=4)
    draw.rectangle((body[0] + 3, 540, body[2] - 3, 930), fill=label)

    lines = textwrap.wrap(name, width=12)[:3]
    size = 96 if len(lines) == 1 else 80
    font = ImageFont.load_default(size=size)
    small = ImageFont.load_default(size=44)
    heights = [draw.textbbox((0, 0), line, font=font)[3] for line in lines]
    total = sum(heights) + 16 * (len(lines) - 1)
    y = 735 - total // 2 - (30 if detail else 0)
    for line, height in zip(lines, heights, strict=True):
        draw.text((640, y), line, font=font, fill="#ffffff", anchor="ma")
        y += height + 16
    if detail:
        draw.text((640, y + 20), detail, font=small, fill="#ffffff", anchor="ma")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
