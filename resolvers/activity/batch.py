"""`recordActivities`: up to MAX_ITEMS activities in one call and one transaction
(engine.services.importing), each answering on its own, by position."""

from __future__ import annotations

import strawberry

from engine.core.activities import ActivityInput as EngineInput
from engine.core.errors import DomainError
from engine.services.importing import ItemResult, import_activities
from models import Activity as ActivityRow
from models import Customer as CustomerRow
from models import IssuedReward as RewardRow
from resolvers.activity.inputs import ActivityInput
from resolvers.context import Info
from resolvers.customers.rewards import IssuedReward
from resolvers.customers.types import Activity, Customer
from resolvers.errors import UserError, UserErrorCode, user_errors
from resolvers.loaders import index_by, loader

MAX_ITEMS = 1000


async def _activities(ids: list[int]) -> list[ActivityRow | None]:
    return index_by(await ActivityRow.filter(id__in=ids), ids)


async def _customers(ids: list[int]) -> list[CustomerRow | None]:
    return index_by(await CustomerRow.filter(id__in=ids), ids)


async def _rewards(ids: list[int]) -> list[RewardRow | None]:
    return index_by(await RewardRow.filter(id__in=ids), ids)


@strawberry.type(description="What one activity of a `recordActivities` call gave, at its position.")
class RecordActivitiesItem:
    result: strawberry.Private[ItemResult]
    errors: strawberry.Private[list[UserError]]

    @strawberry.field(description="The position of the activity in `inputs`, from 0.")
    def index(self) -> int:
        return self.result.index

    @strawberry.field
    async def activity(self, info: Info) -> Activity | None:
        if self.errors or self.result.activity_id is None:
            return None
        row = await loader(info, "batch_activity", _activities).load(self.result.activity_id)
        return Activity(row=row) if row else None

    @strawberry.field(description="True when this activity was recorded before: nothing changed.")
    def duplicate(self) -> bool:
        return not self.errors and self.result.duplicate

    @strawberry.field(description="The customer, with balances and progress after the whole call.")
    async def customer(self, info: Info) -> Customer | None:
        if self.errors or self.result.customer_id is None:
            return None
        row = await loader(info, "batch_customer", _customers).load(self.result.customer_id)
        return Customer(row=row) if row else None

    @strawberry.field(description="Rewards this activity issued (the first time).")
    async def issued_rewards(self, info: Info) -> list[IssuedReward]:
        if self.errors or not self.result.issued_reward_ids:
            return []
        rows = await loader(info, "batch_reward", _rewards).load_many(self.result.issued_reward_ids)
        return [IssuedReward(row=r) for r in rows if r is not None]

    @strawberry.field(description="This activity's problems (`field` starts with `inputs` and its index); "
                      "when there are any, this activity changed nothing.")
    def user_errors(self) -> list[UserError]:
        return self.errors


@strawberry.type
class RecordActivitiesPayload:
    results: list[RecordActivitiesItem] = strawberry.field(
        description="One answer per activity, in the order of `inputs`."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the call as a whole (too many activities): then nothing was recorded."
    )


def _path(index: int, member: str) -> tuple[str, ...]:
    return ("inputs", str(index), member)


async def record_activities(info: Info, inputs: list[ActivityInput]) -> RecordActivitiesPayload:
    if len(inputs) > MAX_ITEMS:
        error = UserError(
            field=["inputs"], code=UserErrorCode.INVALID,
            message=f"At most {MAX_ITEMS:,} activities per call; this one has {len(inputs):,}.",
        )
        return RecordActivitiesPayload(results=[], user_errors=[error])
    errors: dict[int, list[UserError]] = {}
    members: list[str] = []
    valid: list[tuple[int, EngineInput]] = []
    for index, given in enumerate(inputs):
        member, value = given.member()
        members.append(member)
        try:
            valid.append((index, value.to_activity()))
        except DomainError as error:  # a time the API cannot use
            errors[index] = user_errors(error, prefix=_path(index, member))
    imported = await import_activities(info.context.shop, [item for _, item in valid]) if valid else None
    results = [ItemResult(index) for index in range(len(inputs))]
    for position, (index, _) in enumerate(valid):
        assert imported is not None
        answer = imported.items[position]
        answer.index = index
        results[index] = answer
        if answer.problems:
            errors[index] = user_errors(DomainError(answer.problems), prefix=_path(index, members[index]))
    items = [RecordActivitiesItem(result=r, errors=errors.get(r.index, [])) for r in results]
    return RecordActivitiesPayload(results=items, user_errors=[])
