"""What render() and figure() return: a path that displays itself inline in a
notebook, stored there once. Jupyter keeps every representation an object
offers (``_repr_mimebundle_`` and each ``_repr_*_`` it lacks), so a Media
offers exactly one besides its text: ``image/png``, ``image/gif`` or
``image/svg+xml`` for pictures, and for a video ``text/html`` holding a
``<video>`` (few front ends play ``video/mp4`` itself; all play that). A file
over ``EMBED_LIMIT`` bytes is not embedded (a notebook holding a 12 MB GIF is
slow to open and to save): a link and its size are shown instead.
:meth:`Media.html` is the same picture as HTML, for pages that hold several."""
from __future__ import annotations

import base64
import html
import os
from pathlib import Path

EMBED_LIMIT = 5 * 2**20     # bytes; set weightlapse.media.EMBED_LIMIT to change it
MIME = {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml",
        ".mp4": "video/mp4", ".pdf": "application/pdf"}


class Media(type(Path())):
    """A ``pathlib.Path`` to a rendered file that notebooks show inline."""

    def _data(self) -> str:
        return base64.b64encode(self.read_bytes()).decode()

    def _too_big(self) -> bool:
        return self.stat().st_size > EMBED_LIMIT

    def _link(self, note="") -> str:
        return f'<a href="{html.escape(os.fspath(self))}">{html.escape(self.name)}</a>{note}'

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(os.fspath(self))}
        if not self.is_file():
            return bundle
        ext, mime = self.suffix.lower(), MIME.get(self.suffix.lower())
        if mime is None or ext == ".pdf" or ext == ".mp4" or self._too_big():
            bundle["text/html"] = self.html()
        elif ext == ".svg":
            bundle[mime] = self.read_text()
        else:
            bundle[mime] = self._data()
        return bundle

    def html(self) -> str:
        """The file as HTML: an embedded ``<img>``, ``<video>`` or SVG, or a
        link (a PDF, an unknown kind, a file too large to embed)."""
        ext = self.suffix.lower()
        if not self.is_file() or ext not in MIME or ext == ".pdf":
            return self._link()
        if self._too_big():
            mb = self.stat().st_size / 2**20
            return self._link(f" ({mb:.1f} MB: too large to embed in the notebook; "
                              "open the file)")
        if ext == ".mp4":
            return (f'<video controls loop width="100%" src="data:video/mp4;base64,'
                    f'{self._data()}"></video>')
        if ext == ".svg":
            return self.read_text()
        return f'<img width="100%" src="data:{MIME[ext]};base64,{self._data()}"/>'
