"""Every write of the service module: complaints and relationship maintenance."""

from .complaints import (
    IllegalComplaintStep,
    complaint_complete,
    complaint_create,
    complaint_forward,
    complaint_plan,
    complaint_respond,
    complaint_return_visit,
)
from .maintenance import (
    holiday_starts,
    maintenance_action_log,
    maintenance_action_record,
    maintenance_plan_generate,
    period_end,
    plan_owner,
    plan_tier,
    planned_actions,
    satisfaction_survey_record,
)

__all__ = [
    "IllegalComplaintStep",
    "complaint_complete",
    "complaint_create",
    "complaint_forward",
    "complaint_plan",
    "complaint_respond",
    "complaint_return_visit",
    "holiday_starts",
    "maintenance_action_log",
    "maintenance_action_record",
    "maintenance_plan_generate",
    "period_end",
    "plan_owner",
    "plan_tier",
    "planned_actions",
    "satisfaction_survey_record",
]
