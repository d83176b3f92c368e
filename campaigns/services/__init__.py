"""Writes of campaigns (issue #15), by concern: the daily date-driven run (daily.py), grants on events
(events.py: welcome, actions, boosts), staff's changes to campaigns (changes.py)."""
