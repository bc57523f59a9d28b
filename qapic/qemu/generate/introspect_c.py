"""``PREFIXqapi-introspect.[ch]`` (being split: the QLit renderer and this backend are in
:mod:`.qlit` for one commit, so that history follows the renderer)."""

from .qlit import BLURB, QLitRenderer, generate

__all__ = ["BLURB", "QLitRenderer", "generate"]
