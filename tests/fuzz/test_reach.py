"""What ``qapic fuzz --coverage`` counts as reachable ('visit reachable'), on a schema small
enough to count by hand: the expected sets below are a person's count from the schema text and
the rules the report states (arguments, results and event data of what exists on the target;
bases, branches and object alternatives visited by their members alone; 'gen': false has no
marshaller; input visitors only for what arguments reach)."""

from __future__ import annotations

from pathlib import Path

from qapic.conditions import Target, TargetTable
from qapic.frontend import load_schema
from qapic.proof.fuzz.coverage import reachable

SCHEMA = """
{ 'enum': 'Color', 'data': [ 'red', 'blue' ] }
{ 'enum': 'Mode', 'data': [ 'fast' ] }
{ 'enum': 'ShapeKind', 'data': [ 'point', { 'name': 'z', 'if': 'TARGET_S390X' } ] }
{ 'struct': 'Base', 'data': { 'id': 'str' } }
{ 'struct': 'Point', 'base': 'Base', 'data': { 'x': 'int', '*color': 'Color' } }
{ 'struct': 'Unused', 'data': { 'a': 'int' } }
{ 'struct': 'OnlyS390', 'data': { 'b': 'bool' }, 'if': 'TARGET_S390X' }
{ 'union': 'Shape', 'base': { 'kind': 'ShapeKind' }, 'discriminator': 'kind',
  'data': { 'point': 'Point', 'z': { 'type': 'OnlyS390', 'if': 'TARGET_S390X' } } }
{ 'alternate': 'PointOrName', 'data': { 'p': 'Point', 'n': 'str' } }
{ 'struct': 'Result', 'data': { 'shapes': [ 'Shape' ] } }
{ 'command': 'draw', 'data': { 'shape': 'Shape', '*at': 'PointOrName' }, 'returns': 'Result' }
{ 'command': 's390-only', 'data': { 'unused': 'Unused' }, 'if': 'TARGET_S390X' }
{ 'command': 'raw', 'data': { 'm': 'Mode' }, 'gen': false }
{ 'event': 'MOVED', 'data': { 'to': 'Point' } }
"""

TABLE = TargetTable((
    Target("x86_64", "x86_64", "i386", frozenset({"TARGET_X86_64", "TARGET_I386"})),
    Target("s390x", "s390x", "s390x", frozenset({"TARGET_S390X"})),
))


def test_reachable_is_what_a_person_counts(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(SCHEMA)
    schema = load_schema(path)
    x86 = reachable(schema, TABLE, ["x86_64"], lambda _sym: False)
    # draw's arguments, the union, its base, its tag, its x86_64 branch, the branch's base, the
    # alternate and its alternatives, the result and its list, MOVED's data, and the builtins
    # members use (int, str); not Unused (s390-only), not OnlyS390 (s390x's branch), not Mode
    # ('gen': false: QEMU's own code reads raw's arguments).
    assert x86.types == {"q_obj_draw_arg", "Shape", "q_obj_Shape_base", "ShapeKind", "Point",
                         "Base", "int", "str", "Color", "PointOrName", "Result", "ShapeList",
                         "q_obj_MOVED_arg"}
    # visit_type_T runs for a member's, an element's, a scalar alternative's or a result's
    # value; a base, a branch and the arguments objects are visited by their members alone
    # (Point is a value as MOVED's member 'to', though also a branch and an alternative).
    assert x86.values == {"Shape", "ShapeKind", "Point", "int", "str", "Color", "PointOrName",
                          "Result", "ShapeList"}
    # An input visitor runs only for what draw's arguments reach.
    assert x86.inputs == {"q_obj_draw_arg", "Shape", "q_obj_Shape_base", "ShapeKind", "Point",
                          "Base", "int", "str", "Color", "PointOrName"}
    s390x = reachable(schema, TABLE, ["s390x"], lambda _sym: False)
    assert s390x.types - x86.types == {"OnlyS390", "bool", "q_obj_s390_only_arg", "Unused"}
    assert x86.counts("visit_type_Point") and x86.counts("visit_type_Base_members")
    assert not x86.counts("visit_type_Base") and not x86.counts("visit_type_Mode")
