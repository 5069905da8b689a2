"""Kept for the routes' imports: the ownership checks live in `services.access`, where the web
pages reach them too."""

from huzhu.services.accounts.ownership import (
    claim,
    membership,
    own_person_ids,
    person_of_membership,
)

__all__ = ["claim", "membership", "own_person_ids", "person_of_membership"]
