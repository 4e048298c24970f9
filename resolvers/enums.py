"""GraphQL enums: the engine's vocabularies, exposed as they are."""

import strawberry

from engine.core import enums

Plan = strawberry.enum(enums.Plan)
Role = strawberry.enum(enums.Role, name="ApiKeyRole")
MilestoneRuleType = strawberry.enum(enums.RuleType, name="MilestoneRuleType")
MilestoneRuleStatus = strawberry.enum(enums.RuleStatus, name="MilestoneRuleStatus")
RefundPolicy = strawberry.enum(enums.RefundPolicy)
MixedStepMetric = strawberry.enum(enums.MixedStepMetric)
RewardKind = strawberry.enum(enums.RewardKind)
IssuedRewardStatus = strawberry.enum(enums.IssuedRewardStatus)
ActivityKind = strawberry.enum(enums.ActivityKind)
RewardEventType = strawberry.enum(enums.RewardEventType)
RuleChangeAction = strawberry.enum(enums.RuleChangeAction, name="MilestoneRuleChangeAction")
LedgerAccount = strawberry.enum(enums.LedgerAccount)
StreakPeriod = strawberry.enum(enums.StreakPeriod)
StreakMetric = strawberry.enum(enums.StreakMetric)
