"""Demo data for a first look (`kalrav demo`, run by `make run`): two brands, a member for every
role, a month of posts and an inbox with three weeks of history.

It sits above the apps it fills, so no app imports it: `seed.load()` makes each part in order.
"""
