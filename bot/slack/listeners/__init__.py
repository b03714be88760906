"""Thin Bolt listeners: acknowledge, parse, hand over, reply."""
