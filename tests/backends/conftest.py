from tests.oracle.fixtures import oracle_7_2, oracle_10_0, oracle_10_2

__all__ = ["oracle_7_2", "oracle_10_0", "oracle_10_2"]
