"""The crash matrix: every change of every fix, interrupted three ways, by a killed worker
process and by a Redis restart, must still happen exactly once and leave nobody unassigned.

For each mutating step of each plan (Update User Attributes, a mapping, group -> individual,
the relink with and without switching Deactivate Users) the fake Okta holds the step's
request and the test interrupts the run:

- `before`: the request never reaches Okta (the connection dies while it is held);
- `applied`: Okta applied it, but its answer never arrives;
- `answered`: the answer arrived, and the run is stopped at its next request.

The interruption is SIGKILL of a real `attrsync worker` process (then a fresh one takes the
run over once its lease expires) or SIGKILL of Redis (append-only, fsync always) restarted a
moment later under the same worker. Afterwards: the fix is DONE, each change was applied
exactly once, the user is assigned and Deactivate Users is as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import RedisError

from bot.store.approvals import Approval
from bot.workflow.fixes import FINAL, State
from checks.remediation.model import Plan, Step
from fakes.okta.server import FakeOkta, Fault
from fakes.okta.state import OrgState
from fakes.slack.server import FakeSlack
from tests.harness.approvals import click, request_fix
from tests.harness.bot import (
    APPROVER,
    bot_settings,
    running_bot,
)
from tests.harness.crash import (
    PATIENCE,
    PrivateRedis,
    WorkerProcess,
    tail,
    until,
    worker_env,
)


def _google_unlinked(state: OrgState) -> None:
    user = state.add_user("glink", "Gina", "Link")
    made = state.assign("google", user, external_id=None, sync_state="OUT_OF_SYNC")
    made["credentials"]["userName"] = "gina.link@corp.example.com"


def _box_deactivate_off(state: OrgState) -> None:
    state.set_provisioning("boxnet", deactivate=False)


@dataclass(frozen=True)
class Case:
    question: str
    check: str
    changes: int
    setup: Callable[[OrgState], None] | None = None
    user: str | None = None
    app: str | None = None
    """The assignment that must exist at the end (for the fixes that touch it)."""


CASES = {
    "update_attributes": Case("why iupd zoom", "update_attributes", 1),
    "mapping": Case("why hcreate 'hr portal'", "mapping", 1),
    "group_to_individual": Case("why bwayne box", "group_assignment", 1, None, "bwayne", "boxnet"),
    "relink": Case("why jdoe box", "external_id", 2, _box_deactivate_off, "jdoe", "boxnet"),
    "relink_switching_deactivate": Case(
        "why glink google", "external_id", 4, _google_unlinked, "glink", "google"
    ),
}
POINTS = ("before", "applied", "answered")
MATRIX = [
    pytest.param(name, change, point, id=f"{name}-change{change + 1}-{point}")
    for name, case in CASES.items()
    for change in range(case.changes)
    for point in POINTS
]


async def final_state(read: Callable[[], Awaitable[Approval | None]], log: Path) -> Approval:
    """Poll the approval (riding out a Redis that is restarting) until it is final."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while loop.time() < deadline:
        with contextlib.suppress(RedisError, OSError):
            approval = await read()
            if approval is not None and approval.state in FINAL:
                return approval
        await asyncio.sleep(0.05)
    raise AssertionError(f"the fix never finished; worker log:\n{tail(log)}")


def changing_steps(plan: Plan) -> list[Step]:
    return [step for step in plan.steps if step.changes]


def hold_for(plan: Plan, change: int, point: str) -> Fault:
    """A fault holding the request of the plan's `change`-th mutating step."""
    steps = changing_steps(plan)
    step = steps[change]
    path = step.path.split("?")[0]
    # Two steps may send the same call with another body (Deactivate Users off, then on).
    earlier = sum(1 for s in steps[:change] if s.method == step.method and s.path == step.path)
    return Fault.hold_request(
        path=f"^{re.escape(path)}$",
        method=step.method,
        when="after" if point == "applied" else "before",
        skip=earlier,
    )


def applied(fake: FakeOkta, step: Step) -> int:
    path = step.path.split("?")[0]
    return sum(
        1
        for r in fake.requests
        if r.mutated and r.method == step.method and r.path == path and r.body == step.body
    )


async def interrupt(
    fake: FakeOkta, held: Fault, point: str, crash: Callable[[], Awaitable[None]]
) -> None:
    """Stop the run at `point` of the held step with `crash`, then let Okta answer again."""
    await until(held.held.is_set, "the step's request")
    if point == "answered":
        following = Fault.hold_request()
        fake.faults.insert(0, following)
        held.release()
        await until(following.held.is_set, "the request after the step")
        await crash()
        following.release()
    elif point == "before":
        await crash()
        held.release(drop=True)
        await until(lambda: held.dropped == 1, "the request to be dropped")
    else:
        await crash()
        held.release()
    fake.faults.clear()


@pytest.mark.parametrize(("name", "change", "point"), MATRIX)
@pytest.mark.parametrize("crash", ["kill_worker", "restart_redis"])
async def test_fix_survives_the_crash(
    fake_okta: FakeOkta,
    slack: FakeSlack,
    private_redis: PrivateRedis,
    tmp_path: Path,
    name: str,
    change: int,
    point: str,
    crash: str,
) -> None:
    case = CASES[name]
    state = fake_okta.state
    if case.setup is not None:
        case.setup(state)
    deactivate_before = _deactivate(state, case.app)
    await private_redis.start()
    settings = bot_settings(fake_okta.url, slack, private_redis.url)
    log = tmp_path / "workers.log"  # the private Redis keeps its files in tmp_path too
    async with running_bot(settings, slack) as bot:
        channel, approval_id, request = await request_fix(bot, case.question, case.check)
        approval = await bot.services.approvals.get(approval_id)
        assert approval is not None
        plan = approval.plan
        held = hold_for(plan, change, point)
        fake_okta.faults.append(held)
        await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])

        env = worker_env(bot, fake_okta, slack, private_redis.url)
        first, second = WorkerProcess(env, log), WorkerProcess(env, log)
        await first.start()
        try:
            if crash == "kill_worker":
                await interrupt(fake_okta, held, point, first.kill)
                await second.start()
            else:

                async def restart() -> None:
                    await private_redis.kill()
                    await asyncio.sleep(0.3)  # the worker meets the outage
                    await private_redis.start()

                await interrupt(fake_okta, held, point, restart)
            done = await final_state(lambda: bot.services.approvals.get(approval_id), log)
        finally:
            await first.stop()
            await second.stop()

    assert done.state is State.DONE, (done.result, tail(log))
    for step in changing_steps(plan):
        assert applied(fake_okta, step) == 1, (step.call(), point)
    assert len(fake_okta.mutations) == len(changing_steps(plan))
    if case.user and case.app:
        user = state.find_user(case.user)
        app = state.find_app(case.app)
        assert user is not None and app is not None
        assert (app["id"], user["id"]) in state.app_users, "the user was left unassigned"
    assert _deactivate(state, case.app) == deactivate_before
    said = [c.args.get("text", "") for c in slack.calls_to("chat.postMessage")]
    assert sum("Verified" in s for s in said) <= 1


def _deactivate(state: OrgState, app: str | None) -> Any:
    if app is None:
        return None
    found = state.find_app(app)
    assert found is not None
    return "PUSH_USER_DEACTIVATION" in found["features"]
