"""Load: 50 create → query → drop cycles at once from 8 processes, three rounds. Every operation
succeeds (a failure is a DotboxError, never anything else), no worker outlives its deadline, and
afterwards the engine and the run directory hold nothing of this session."""

from __future__ import annotations

from tests.loadgen import Outcome, leftovers, run_round

CYCLES, WORKERS, ROUNDS = 50, 8, 3
DEADLINE = 240.0  # per round; a worker still running then is killed and counted as hung


def test_concurrent_create_drop_cycles_leave_nothing() -> None:
    assert leftovers() == {}, "the session must start clean for the count to mean anything"
    total = Outcome()
    for number in range(1, ROUNDS + 1):
        outcome = run_round(CYCLES, WORKERS, deadline=DEADLINE)
        total.merge(outcome)
        assert outcome.hung == [], f"round {number}: workers past their deadline"
        assert outcome.crashed == [], f"round {number}: {outcome.crashed}"
        assert outcome.left == {}, f"round {number} left {outcome.left}"
        creates = sum(n for (op, _result), n in outcome.ops.items() if op == "create")
        assert creates == CYCLES, f"round {number}: {creates} creates reported"
    # every operation either succeeded or failed with a DotboxError: never anything else
    assert total.undeclared() == {}, total.examples
    # a drop follows every successful create, and no sandbox was lost between them
    drops = sum(n for (op, _result), n in total.ops.items() if op == "drop")
    assert drops == total.succeeded("create")
    # the load is met, not avoided: every cycle goes through, each operation succeeding
    assert dict(total.failures()) == {}, total.examples
    for op in ("create", "query", "drop"):
        assert total.succeeded(op) == CYCLES * ROUNDS, (op, total.ops)
    print(
        f"\nload: {total.cycles} cycles, {sum(total.ops.values())} operations,"
        f" failures {dict(total.failures()) or 'none'}, left {total.left or 'nothing'},"
        f" {total.seconds:.1f}s"
    )
