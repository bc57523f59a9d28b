from tests.carry.fixtures import schema_10_2_with_conditions
from tests.oracle.fixtures import oracle_10_0, oracle_10_2

__all__ = ["oracle_10_0", "oracle_10_2", "schema_10_2_with_conditions"]
