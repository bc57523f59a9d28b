"""The text of a bindings package: its tables, its types, its client, its metadata.

Every file is written to pass ``mypy --strict`` and ``ruff`` (the package's own
``pyproject.toml`` selects the rules) as it is, and to be read: one definition after another in
the schema's order, docstrings from the doc comments, lines under 100 columns.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources

from .model import Bindings, Doc, PyAlias, PyClass, PyCommand, PyMember, ReleaseTables

WIDTH = 99
SHIPPED = ("_runtime.py", "_codec.py", "_client.py", "wire.py")
"""Modules written into every package as they are (qapic's own code, in ``shipped/``)."""


def shipped(name: str) -> str:
    return (resources.files("qapic.qmp.bindings") / "shipped" / name).read_text("utf-8")


# --- small pieces ---------------------------------------------------------------------------


def _literal(value: object, indent: int) -> str:
    """*value* (tuples, dicts, strings, ...) as Python source, broken over lines to fit."""
    text = repr(value)
    if indent + len(text) <= WIDTH or not isinstance(value, tuple | list | dict) or not value:
        return text
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{pad}{k!r}: {_literal(v, indent + 4 + len(repr(k)) + 2)}," for k, v in
                 value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
    items = [f"{pad}{_literal(v, indent + 4)}," for v in value]
    return open_ + "\n" + "\n".join(items) + "\n" + " " * indent + close


#: Characters a linter takes for look-alikes of ASCII ones (ruff's RUF002), in doc comments.
_LOOK_ALIKES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                              "\u2013": "-", "\u2010": "-", "\u2011": "-", "\u00a0": " ",
                              "\u00d7": "x"})


def _escape(text: str) -> str:
    return (text.translate(_LOOK_ALIKES).replace("\\", "\\\\")
            .replace('"""', '\\"\\"\\"'))


def _fit(line: str, indent: int) -> list[str]:
    """A docstring line at *indent*, wrapped only if it is too long."""
    if indent + len(line) <= WIDTH:
        return [line]
    lead = line[:len(line) - len(line.lstrip())]
    return textwrap.wrap(line, width=WIDTH - indent, subsequent_indent=lead,
                         break_long_words=False, break_on_hyphens=False) or [line]


def docstring(parts: Sequence[str], indent: int) -> list[str]:
    """A docstring of paragraphs *parts* (each may span lines), at *indent*."""
    lines: list[str] = []
    for part in parts:
        if not part.strip():
            continue
        if lines:
            lines.append("")
        for raw in _escape(part.strip("\n")).split("\n"):
            lines.extend(_fit(raw.rstrip(), indent + 3))
    if not lines:
        return []
    pad = " " * indent
    if len(lines) == 1 and indent + len(lines[0]) + 6 <= WIDTH:
        return [f'{pad}"""{lines[0]}"""']
    out = [f'{pad}"""{lines[0]}']
    out += [f"{pad}{ln}" if ln else "" for ln in lines[1:]]
    out.append(f'{pad}"""')
    return out


def _doc_parts(doc: Doc, members: Iterable[PyMember] = (), where: str = "",
               releases: Sequence[str] = (), all_releases: Sequence[str] = (),
               features: Sequence[str] = ()) -> list[str]:
    parts = [doc.body] if doc.body else []
    listed = [m for m in members if m.doc]
    if listed:
        parts.append("Members:\n" + "\n".join(
            f"    {m.py}: " + textwrap.indent(_hanging(m.doc), "        ").lstrip()
            for m in listed))
    for kind, text in doc.sections:
        parts.append(f"{kind}: {text}" if kind else text)
    for name in features:
        text = doc.features.get(name, "")
        parts.append(f"{name.capitalize()}." + (f" {text}" if text else ""))
    if where:
        parts.append(f"Exists only on some targets: {where}.")
    if releases and list(releases) != list(all_releases):
        parts.append(f"In QEMU {', '.join(releases)} (not in "
                     f"{', '.join(r for r in all_releases if r not in releases)}).")
    return parts


def _hanging(text: str) -> str:
    """A member's description with its continuation lines dedented (the doc comment indents
    them under the ``@name:``)."""
    first, _, rest = text.partition("\n")
    return first + ("\n" + textwrap.dedent(rest) if rest else "")


def _qualified(annotation: str, names: frozenset[str]) -> str:
    return re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b",
                  lambda m: f"t.{m.group(0)}" if m.group(0) in names else m.group(0),
                  annotation)


def _signature(head: str, params: Sequence[str], returns: str, indent: int) -> list[str]:
    """``def NAME(params) -> returns:`` on one line, or one parameter a line."""
    pad = " " * indent
    one = f"{pad}{head}({', '.join(params)}) -> {returns}:"
    if len(one) <= WIDTH:
        return [one]
    return [f"{pad}{head}(", *(f"{pad}    {p}," for p in params), f"{pad}) -> {returns}:"]


def _call_dict(items: Sequence[tuple[str, str]], lead: str, tail: str, indent: int) -> list[str]:
    """``lead{"k": v, ...}tail`` on one line, or one item a line."""
    pad = " " * indent
    body = ", ".join(f'"{k}": {v}' for k, v in items)
    one = f"{pad}{lead}{{{body}}}{tail}"
    if len(one) <= WIDTH:
        return [one]
    return [f"{pad}{lead}{{", *(f'{pad}    "{k}": {v},' for k, v in items), f"{pad}}}{tail}"]


def _header(what: str, releases: Sequence[str]) -> list[str]:
    return [f'"""{what}: QEMU {", ".join(releases)}.', "",
            "Generated by qapic bindings from QEMU's QAPI schema; do not edit.", '"""', ""]


# --- the release tables -------------------------------------------------------------------------


def release_module(tables: ReleaseTables) -> str:
    lines = _header(f"The QAPI schema of QEMU {tables.key}, as the run-time checks read it",
                    [tables.key])
    lines += ["from typing import Any", ""]
    for name, value in (("TARGETS", tables.targets), ("CONDS", tables.conds),
                        ("TYPES", tables.types), ("COMMANDS", tables.commands),
                        ("EVENTS", tables.events)):
        typ = "dict[str, Any]"
        lines.append(f"{name}: {typ} = {_literal(value, 0)}")
    return "\n".join(lines) + "\n"


# --- types.py ---------------------------------------------------------------------------------


def _alias(alias: PyAlias, all_releases: Sequence[str]) -> list[str]:
    if alias.kind == "enum" and not alias.values:
        lines = [f"{alias.name}: TypeAlias = Never"]
    elif alias.kind == "enum":
        values = [repr(v).replace("'", '"') if '"' not in v else repr(v) for v in alias.values]
        one = f"{alias.name}: TypeAlias = Literal[{', '.join(values)}]"
        if len(one) <= WIDTH:
            lines = [one]
        else:
            lines = [f"{alias.name}: TypeAlias = Literal[", *(f"    {v}," for v in values), "]"]
    else:
        lines = [f'{alias.name}: TypeAlias = "{" | ".join(alias.values)}"']
    notes = [f"{v}: {', '.join(f)}" for v, f in alias.value_features.items()]
    parts = _doc_parts(alias.doc, (), alias.where, alias.releases, all_releases)
    if notes:
        parts.append("Values with special features: " + "; ".join(notes) + ".")
    return lines + docstring(parts, 0) + ["", ""]


def _init(cls: PyClass, extra: Sequence[str] = (), assigns: Sequence[str] = ()) -> list[str]:
    params = ["self"]
    body = []
    for m in cls.members:
        if m.py in cls.fixed:
            body.append(f'        self.{m.py} = "{cls.fixed[m.py]}"')
            continue
        params.append(f"{m.py}: {m.annotation}" if m.required
                      else f"{m.py}: {m.annotation} | None = None")
        body.append(f"        self.{m.py} = {m.py}")
    params += extra
    if len(params) > 1:
        params.insert(1, "*")
    body += assigns
    body.append("        self._unknown = None")
    return ["", *_signature("def __init__", params, "None", 4), *body]


def _class(cls: PyClass, all_releases: Sequence[str]) -> list[str]:
    lines = [f"class {cls.name}({cls.base}):"]
    if cls.kind == "union":
        cls.doc = Doc(cls.doc.body + "\n\nA union: build one of its branch classes ("
                      f"``{cls.name}_...``, one per value of ``{_tag(cls)}``).",
                      cls.doc.members, cls.doc.features, cls.doc.sections)
    lines += docstring(_doc_parts(cls.doc, cls.members, cls.where, cls.releases, all_releases,
                                  cls.features), 4) or [f'    """{cls.qapi}."""']
    lines.append("")
    own_slots = sorted(cls.own, key=_natural)
    slots = ", ".join(f'"{p}"' for p in own_slots)
    lines.append(f"    __slots__ = ({slots}{',' if len(cls.own) == 1 else ''})"
                 if len(f"    __slots__ = ({slots})") <= WIDTH
                 else "    __slots__ = (\n" + "".join(f'        "{p}",\n' for p in own_slots)
                 + "    )")
    fields = ", ".join(f'"{m.py}"' for m in cls.members)
    field_line = (f"    _fields: ClassVar[tuple[str, ...]] = ({fields}"
                  f"{',' if len(cls.members) == 1 else ''})")
    lines.append(field_line if len(field_line) <= WIDTH else
                 "    _fields: ClassVar[tuple[str, ...]] = (\n"
                 + "".join(f'        "{m.py}",\n' for m in cls.members) + "    )")
    qapi = cls.key if cls.kind != "branch" else cls.key.split("/")[0]
    if cls.kind == "event":
        lines.append(f'    _event_name: ClassVar[str] = "{cls.qapi}"')
    else:
        lines.append(f'    _qapi_name: ClassVar[str] = "{qapi}"')
    own = [m for m in cls.members if m.py in cls.own]
    if own:
        lines.append("")
    for m in own:
        lines.append(f"    {m.py}: {m.annotation}" + ("" if m.required else " | None"))
    if cls.kind == "union":
        return [*lines, "", ""]
    if cls.kind == "event":
        lines += _init(cls, ["timestamp: tuple[int, int] | None = None"],
                       ["        self.timestamp = timestamp"])
    else:
        lines += _init(cls)
    return [*lines, "", ""]


def _natural(name: str) -> list[int | str]:
    """The order ruff wants ``__slots__`` in: digits compared as numbers (``s8`` < ``s16``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _tag(cls: PyClass) -> str:
    return cls.members[0].py if cls.members else "tag"


def types_module(b: Bindings) -> str:
    keys = [r.key for r in b.releases]
    lines = _header("The types of QEMU's QMP", keys)
    lines += ["from __future__ import annotations", "",
              "from typing import ClassVar, Literal, "
              + ("Never, " if any(a.kind == "enum" and not a.values for a in b.aliases)
                 else "") + "TypeAlias", "",
              "from ._runtime import JSON as JSON",
              "from ._runtime import Event, Struct",
              "from ._runtime import Null as Null", ""]
    for alias in b.aliases:
        lines += _alias(alias, keys)
    for cls in _ordered(b.classes):
        lines += _class(cls, keys)
    for cls in b.events:
        lines += _class(cls, keys)
    lines.append("CLASSES: dict[str, type[Struct]] = {")
    for cls in [*b.classes, *b.events]:
        line = f'    "{cls.key}": {cls.name},'
        lines += [line] if len(line) <= WIDTH else [f'    "{cls.key}":', f"        {cls.name},"]
    lines.append("}")
    lines.append('"""The class of each struct, union branch, arguments and event, by the name '
                 'the tables use."""')
    return "\n".join(lines) + "\n"


def _ordered(classes: Sequence[PyClass]) -> Iterator[PyClass]:
    """Base classes before the classes built on them."""
    done: set[str] = set()
    by_name = {c.name: c for c in classes}

    def visit(cls: PyClass) -> Iterator[PyClass]:
        if cls.name in done:
            return
        done.add(cls.name)
        if cls.base in by_name:
            yield from visit(by_name[cls.base])
        yield cls

    for cls in classes:
        yield from visit(cls)


# --- client.py --------------------------------------------------------------------------------


def _method(cmd: PyCommand, names: frozenset[str], releases: Sequence[str],
            sync: bool) -> list[str]:
    returns = " | ".join(_qualified(r, names) for r in cmd.returns)
    params = ["self"]
    if cmd.boxed is not None:
        params.append(f"arguments: {_qualified(cmd.boxed, names)}")
    elif cmd.params or cmd.extra:
        params.append("*")
        for m in cmd.params:
            ann = _qualified(m.annotation, names)
            params.append(f"{m.py}: {ann}" if m.required else f"{m.py}: {ann} | None = None")
    if cmd.extra:
        params.append("**properties: t.JSON")
    lines = []
    if "deprecated" in cmd.features:
        lines.append(f'    @deprecated("QMP command {cmd.wire} is deprecated")')
    head = "def " + cmd.method if sync else "async def " + cmd.method
    lines += _signature(head, params, returns, 4)
    lines += docstring(_doc_parts(cmd.doc, cmd.params, cmd.where, cmd.releases, releases,
                                  cmd.features), 8)
    if sync:
        call = f"self._run(self._aio.{cmd.method}("
        args = ("arguments" if cmd.boxed is not None else
                ", ".join([*(f"{m.py}={m.py}" for m in cmd.params),
                           *(["**properties"] if cmd.extra else [])]))
        one = f"        return {call}{args}))"
        # Calling the deprecated async method is no use of it: only mypy's optional
        # 'deprecated' check would say so, and an ignore it does not need is an error.
        pragma = ("  # type: ignore[deprecated, unused-ignore]"
                  if "deprecated" in cmd.features else "")
        if len(one) <= WIDTH and not pragma:
            lines.append(one)
        else:
            items = ["arguments"] if cmd.boxed is not None else [
                *(f"{m.py}={m.py}" for m in cmd.params), *(["**properties"] if cmd.extra else [])]
            lines += [f"        return {call}{pragma}", *(f"            {a}," for a in items),
                      "        ))"]
        return [*lines, ""]
    result = "None" if returns == "None" else None
    lead = "await " if result else "reply = await "
    if cmd.boxed is not None:
        lines.append(f'        {lead}self._call_boxed("{cmd.wire}", arguments)')
    else:
        pairs = [(m.py, m.py) for m in cmd.params]
        tail = ", properties)" if cmd.extra else ")"
        call = f'{lead}self._call("{cmd.wire}", '
        lines += (_call_dict(pairs, call, tail, 8) if pairs
                  else [f"        {call}None{tail}"])
    if not result:
        lines.append(f'        return cast("{returns}", reply)')
    return [*lines, ""]


def client_module(b: Bindings) -> str:
    keys = [r.key for r in b.releases]
    names = (frozenset(a.name for a in b.aliases) | frozenset(c.name for c in b.classes)
             | {"JSON", "Null"})
    lines = _header("A typed QMP client", keys)
    lines += [
        "from __future__ import annotations", "",
        "from typing import TYPE_CHECKING, cast", "",
        "from . import types as t",
        "from ._client import AsyncClient, SyncClient", "",
        "if TYPE_CHECKING:",
        "    from typing_extensions import deprecated",
        "else:",
        "    from ._runtime import deprecated_marker as deprecated", "",
        '__all__ = ["QMP", "SyncQMP"]', "", "",
        "class QMP(AsyncClient):",
        '    """An asyncio QMP client with one method per command (on ``qemu.qmp.QMPClient``,',
        '    its ``qmp`` attribute).',
        "",
        "    ``await qmp.connect(address)`` learns the server's target, release and schema;",
        "    a command, member or enum value the server lacks raises ``NotAvailable`` before",
        '    anything is sent.  Errors from QEMU are ``qemu.qmp.ExecuteError``.',
        '    """',
        "",
    ]
    for cmd in b.commands:
        lines += _method(cmd, names, keys, sync=False)
    lines += ["", "class SyncQMP(SyncClient[QMP]):",
              '    """:class:`QMP` for scripts: the same methods, each waiting for its reply."""',
              "", "    _client_class = QMP", ""]
    for cmd in b.commands:
        lines += _method(cmd, names, keys, sync=True)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- the package around them ---------------------------------------------------------------------


def registry_module(b: Bindings) -> str:
    keys = [r.key for r in b.releases]
    lines = _header("The releases this package serves", keys)
    lines += [
        "from __future__ import annotations", "",
        "from collections.abc import Mapping", "",
        "from ._runtime import Releases, Struct", "", "",
        "def _classes() -> Mapping[str, type[Struct]]:",
        "    from .types import CLASSES",
        "", "    return CLASSES", "", "",
        f"RELEASES = Releases(__name__.rpartition('.')[0], {tuple(keys)!r}, _classes)",
    ]
    return "\n".join(lines) + "\n"


def init_module(b: Bindings, package: str) -> str:
    keys = [r.key for r in b.releases]
    targets = sorted({t for r in b.releases for t in r.targets})
    text = f'''"""Typed QMP for QEMU {", ".join(keys)}, generated by qapic bindings; do not edit.

- ``types``: every type of the schema (structs and union branches as classes, enums as
  ``Literal`` aliases, alternates as unions), Python names in Python, QAPI names on the wire;
- ``client``: ``QMP`` (asyncio, on ``qemu.qmp``) and ``SyncQMP``, one method per command;
- ``wire``: encode and decode QMP's JSON by command and event name;
- :func:`exists` and :func:`where`: which command, event, member, enum value or branch exists on
  which target and release, from the schema's conditions.

Targets: {textwrap.fill(", ".join(targets), 90, subsequent_indent="    ")}.
"""

from ._registry import RELEASES as _RELEASES
from ._runtime import (
    JSON,
    NULL,
    CommandNotAvailable,
    DecodeError,
    EncodeError,
    MemberNotAvailable,
    NotAvailable,
    Null,
    QMPDeprecationWarning,
    QMPUnstableWarning,
    SchemaError,
    unknown_members,
)

__all__ = [
    "JSON", "NULL", "RELEASES", "CommandNotAvailable", "DecodeError", "EncodeError",
    "MemberNotAvailable", "NotAvailable", "Null", "QMPDeprecationWarning", "QMPUnstableWarning",
    "SchemaError", "exists", "unknown_members", "where",
]

RELEASES: tuple[str, ...] = {tuple(keys)!r}
"""The QEMU releases this package serves, oldest first."""


def exists(name: str, member: str | None = None, *, target: str,
           defines: tuple[str, ...] | list[str] = (), release: str | None = None) -> bool:
    """Whether command, event or type *name* (its *member*, enum value or branch, if given)
    exists in a build of *target* that defines *defines* (``CONFIG_KVM``, ...), in *release*
    (default: the newest).  Decided from the schema's conditions as ``qapic introspect
    --target TARGET -D SYMBOL`` decides them."""
    return _RELEASES.exists(name, member, target=target, defines=defines, release=release)


def where(name: str, member: str | None = None, *,
          defines: tuple[str, ...] | list[str] | None = None) -> dict[str, tuple[str, ...]]:
    """The targets of each release on which *name* (its *member*) can exist: ``TARGET_*``
    decided per target, other symbols open unless *defines* lists every one defined."""
    return _RELEASES.where(name, member, defines)
'''
    return text


def pyproject(package: str, b: Bindings, qmp_requirement: str) -> str:
    keys = [r.key for r in b.releases]
    return f'''# Generated by qapic bindings; do not edit.
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{package.replace("_", "-")}"
version = "{keys[-1]}.0"
description = "Typed QMP for QEMU {", ".join(keys)} (generated by qapic bindings)"
requires-python = ">=3.11"
# The types and the wire layer need only the standard library; the client needs qemu.qmp.
dependencies = []

[project.optional-dependencies]
client = ["{qmp_requirement}"]

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
"{package}" = ["py.typed"]

[tool.mypy]
strict = true

[[tool.mypy.overrides]]
module = ["qemu.*"]
ignore_missing_imports = true

[tool.ruff]
line-length = 100
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]
'''


def package_files(b: Bindings, package: str) -> dict[str, str]:
    """Every file of the package, by path relative to the output directory."""
    files = {
        "pyproject.toml": pyproject(package, b, "qemu.qmp>=0.0.3"),
        f"{package}/__init__.py": init_module(b, package),
        f"{package}/py.typed": "",
        f"{package}/_registry.py": registry_module(b),
        f"{package}/types.py": types_module(b),
        f"{package}/client.py": client_module(b),
    }
    for name in SHIPPED:
        files[f"{package}/{name}"] = shipped(name)
    for tables in b.releases:
        files[f"{package}/_r{tables.key.replace('.', '_')}.py"] = release_module(tables)
    return files
