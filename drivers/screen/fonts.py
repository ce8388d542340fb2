"""Find a font that really draws Chinese, or refuse to start.

pygame's built-in font has no CJK glyphs: it draws every Chinese character as the same empty
box, which on a hall display means numbers without counters. So a candidate font is accepted
only if two different Chinese characters come out as two different images.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

#: Debian's CJK fonts, most compact first: WenQuanYi Micro Hei (fonts-wqy-microhei, ~5 MB,
#: hinted for screens) is the default; Noto Sans CJK and WenQuanYi Zen Hei are fallbacks.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

PROBE = ("号", "窗")


class FontMissing(RuntimeError):
    """No font on this machine can draw Chinese: the display must not start."""


def draws_chinese(path: str | Path) -> bool:
    """True when ``path`` loads and draws two different CJK characters differently."""
    if not pygame.font.get_init():
        pygame.font.init()
    try:
        font = pygame.font.Font(str(path), 32)
        images = [pygame.image.tobytes(font.render(ch, True, (255, 255, 255)), "RGBA")
                  for ch in PROBE]  # fmt: skip
    except (OSError, pygame.error, FileNotFoundError):
        return False
    blank = bytes(len(images[0]))
    return images[0] != images[1] and images[0] != blank


def fontconfig_candidates() -> list[str]:
    """Fonts that fontconfig says cover Chinese (when fc-list is installed)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    try:
        out = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=10, check=False).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())


def find_cjk_font(
    preferred: str | None = None,
    candidates: Iterable[str] = CANDIDATES,
    use_fontconfig: bool = True,
) -> Path:
    """The first font that draws Chinese: ``preferred``, then Debian's, then fontconfig's."""
    tried: list[str] = []
    if preferred:
        tried.append(preferred)
        if Path(preferred).is_file() and draws_chinese(preferred):
            return Path(preferred)
        # The one asked for cannot be used: say so, and keep the screen going with another.
        why = "no such file" if not Path(preferred).is_file() else "it cannot draw Chinese"
        log.warning("font %s not used: %s; using one found on the system", preferred, why)
    for path in candidates:
        tried.append(path)
        if Path(path).is_file() and draws_chinese(path):
            return Path(path)
    for path in fontconfig_candidates() if use_fontconfig else []:
        tried.append(path)
        if draws_chinese(path):
            return Path(path)
    raise FontMissing(
        "no font on this machine can draw Chinese; install fonts-wqy-microhei "
        '(or fonts-noto-cjk), or set [display] font = "/path/to/font.ttc". Tried: '
        + ", ".join(tried)
    )


Color = tuple[int, int, int]


class TextCache:
    """Fonts by pixel size and rendered texts, the texts in a bounded least-recently-used
    cache: redrawing the same words every frame costs a lookup, and memory stays flat on a
    screen left on for weeks. Shared by the hall display and the kiosk."""

    def __init__(self, font_path: Path, limit: int) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.font_path = font_path
        self.limit = limit
        self._fonts: dict[int, pygame.font.Font] = {}
        self._texts: OrderedDict[tuple[str, int, Color], pygame.Surface] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    def font(self, px: int) -> pygame.font.Font:
        if px not in self._fonts:
            self._fonts[px] = pygame.font.Font(str(self.font_path), px)
        return self._fonts[px]

    def text(self, text: str, px: int, color: Color) -> pygame.Surface:
        key = (text, px, color)
        image = self._texts.get(key)
        if image is None:
            image = self.font(px).render(text, True, color)
            self._texts[key] = image
            if len(self._texts) > self.limit:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(key)
        return image

    def put(
        self,
        surface: pygame.Surface,
        text: str,
        px: int,
        color: Color,
        box: tuple[int, int, int, int],
        align: str,
    ) -> tuple[int, int, int, int]:
        """Draw ``text`` in ``box`` (smaller if it does not fit its width), vertically centred
        and aligned ``left``, ``center`` or ``right``; returns where it went."""
        x, y, w, h = box
        if not text:
            return (x, y, 0, 0)
        width = self.font(px).size(text)[0]
        if width > w > 0:
            px = max(8, int(px * w / width))
        image = self.text(text, px, color)
        iw, ih = image.get_size()
        left = {"left": x, "center": x + (w - iw) // 2, "right": x + w - iw}[align]
        where = (left, y + (h - ih) // 2, iw, ih)
        surface.blit(image, where[:2])
        return where
