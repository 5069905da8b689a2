"""huzhu: software to run online mutual aid plans (网络互助).

A mutual aid plan is not insurance: the payout is a promise kept by the members, not guaranteed by
an insurer. See README.md for the layout.
"""

__version__ = "0.1.0"
