"""Deadline monitoring: the managers' dashboard, forecasts, timelines and statistics."""
