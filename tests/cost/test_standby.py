"""Weekly standby agent-hours, checked against Microsoft's own examples ("Configure scaling",
Managed DevOps Pools: Manual standby), worked out by hand."""

from __future__ import annotations

import pytest

from mdpool.cost.standby import standby_hours

EMPTY = {}


def manual(days):
    return {"resourcePredictionsProfile": {"kind": "Manual"}, "resourcePredictions": {"timeZone": "UTC", "daysData": days}}


def week(**by_day):
    order = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    return [by_day.get(day, EMPTY) for day in order]


WORKDAY = {"09:00:00": 1, "17:00:00": 0}


def test_microsofts_weekday_example_is_forty_agent_hours():
    # One agent Monday to Friday 09:00-17:00: 8 hours x 5 days.
    days = week(monday=WORKDAY, tuesday=WORKDAY, wednesday=WORKDAY, thursday=WORKDAY, friday=WORKDAY)
    assert standby_hours(manual(days)).weekly == 40


def test_microsofts_monday_morning_example_is_four_agent_hours():
    assert standby_hours(manual(week(monday={"00:00:00": 1, "04:00:00": 0}))).weekly == 4


def test_midnight_to_nine_one_agent_then_ten_agents_to_five():
    # "a single standby agent starting from midnight through 09:00:00, followed by 10 standby agents until 17:00:00"
    assert standby_hours(manual(week(monday={"00:00:00": 1, "09:00:00": 10, "17:00:00": 0}))).weekly == 9 + 80


def test_a_count_is_kept_into_the_next_day():
    # "available starting at 09:00:00 on the specified day, and stopping at 17:00:00 the following day": 15 + 17 hours.
    assert standby_hours(manual(week(monday={"09:00:00": 1}, tuesday={"17:00:00": 0}))).weekly == 32


def test_counts_do_not_reset_at_the_end_of_the_week():
    # Saturday 20:00 -> 2 and nothing else: two agents all week long (the week wraps).
    assert standby_hours(manual(week(saturday={"20:00:00": 2}))).weekly == 2 * 168


def test_the_week_wraps_from_saturday_into_sunday():
    # Saturday 22:00 -> 1, Sunday 02:00 -> 0: two hours before midnight, two after.
    assert standby_hours(manual(week(saturday={"22:00:00": 1}, sunday={"02:00:00": 0}))).weekly == 4


def test_the_blogs_schedule():
    # config/example.yaml: Monday to Friday 04:00 -> 1, 18:00 -> 0: 14 hours x 5.
    day = {"04:00:00": 1, "18:00:00": 0}
    assert standby_hours(manual(week(monday=day, tuesday=day, wednesday=day, thursday=day, friday=day))).weekly == 70


def test_a_second_counts():
    assert standby_hours(manual(week(monday={"00:00:00": 3600, "00:00:01": 0}))).weekly == 1


def test_all_week_scheme_is_the_count_around_the_clock():
    assert standby_hours(manual([{"00:00:00": 3}])).weekly == 3 * 168


def test_an_empty_week_and_no_standby_cost_nothing():
    assert standby_hours(manual(week())).weekly == 0
    off = standby_hours({"kind": "Stateless"})
    assert (off.kind, off.weekly) == ("off", 0)


def test_automatic_standby_has_no_figure_and_says_why():
    result = standby_hours({"resourcePredictionsProfile": {"kind": "Automatic", "predictionPreference": "Balanced"}})
    assert result.weekly is None and "predicts" in result.note


@pytest.mark.parametrize(
    "days",
    [
        [{}] * 6,  # neither one nor seven
        week(monday={"24:00:00": 1}),  # not a time of day
        week(monday={"09:00:00": -1}),  # not a count
        week(monday={"09:00:00": True}),  # a boolean is not a count
        week(monday={"9:00": 1}),  # not hh:mm:ss
        "monday",
    ],
)
def test_an_unreadable_schedule_has_no_figure(days):
    assert standby_hours(manual(days)).weekly is None
