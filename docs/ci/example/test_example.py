"""An example suite for the CI recipes: each test gets its own sandbox from the warm pool."""


def test_a_sandbox_of_its_own(dotbox_sandbox) -> None:  # type: ignore[no-untyped-def]
    dotbox_sandbox.query("INSERT INTO runtime.block (code, title) VALUES ('CI', 'from CI')")
    assert dotbox_sandbox.query("SELECT count(*) FROM runtime.block") == [(1,)]


def test_another_sandbox_sees_nothing_of_the_first(dotbox_sandbox) -> None:  # type: ignore[no-untyped-def]
    assert dotbox_sandbox.query("SELECT count(*) FROM runtime.block") == [(0,)]
