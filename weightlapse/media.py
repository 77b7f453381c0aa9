"""What render() and figure() return: a path that displays itself inline in a
notebook (Jupyter calls the _repr_*_ methods)."""
from __future__ import annotations

import base64
import os
from pathlib import Path


class Media(type(Path())):
    """A ``pathlib.Path`` to a rendered file that notebooks show inline."""

    def _data(self) -> str:
        return base64.b64encode(self.read_bytes()).decode()

    def _repr_html_(self):
        ext = self.suffix.lower()
        if ext == ".mp4":
            return (f'<video controls loop width="100%" src="data:video/mp4;base64,'
                    f'{self._data()}"></video>')
        if ext in (".gif", ".png"):
            return f'<img width="100%" src="data:image/{ext[1:]};base64,{self._data()}"/>'
        if ext == ".svg":
            return self.read_text()
        return f'<a href="{os.fspath(self)}">{self.name}</a>'
