from tests.reliability.conftest import restore_determinism  # noqa: F401
