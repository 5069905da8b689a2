"""Sign-in limits against guessing: per address and username, per address, per username.

- Per (address, username), `sign_in_limit`: one client guessing one account's password.
- Per address, any username, `sign_in_address_limit`: one client spraying a few common passwords
  over many usernames (the per-pair limit alone let it try every name 10 times a minute).
- Per username, any address, `sign_in_user_limit`, counting failures only: many addresses (a
  botnet) guessing one account.

The per-username limit is what could lock the real user out: an attacker who knows the username
could spend its budget from anywhere. So it does not apply to an address from which this username
signed in successfully in the last 30 days (remembered in memory, per process): the member at
home or on their usual phone network still signs in while the account is under attack; a new
address waits until the window slides (the budget is per hour, so that is the worst case). A
lockout keyed by the address alone would not stop a botnet, and one keyed by the username alone
would hand every attacker a way to lock members out.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from huzhu.api.ratelimit import RateLimiter
from huzhu.api.settings import Settings

KNOWN_FOR_S = 30 * 86400.0
KNOWN_MAX = 200_000  # pairs kept; the oldest are forgotten first


class KnownAddresses:
    """(username, address) pairs that signed in successfully, for 30 days."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, username: str, address: str) -> None:
        with self._lock:
            self._seen[(username, address)] = self._clock() + KNOWN_FOR_S
            self._seen.move_to_end((username, address))
            while len(self._seen) > KNOWN_MAX:
                self._seen.popitem(last=False)

    def known(self, username: str, address: str) -> bool:
        with self._lock:
            until = self._seen.get((username, address))
            return until is not None and until > self._clock()


class SignInGuard:
    """Call `before()` ahead of checking the password, then `failed()` or `succeeded()`."""

    def __init__(
        self,
        limiter: RateLimiter,
        known: KnownAddresses,
        settings: Settings,
        address: str,
        username: str,
    ) -> None:
        self.limiter = limiter
        self.known = known
        self.settings = settings
        self.address = address
        # Usernames differ by case only in spelling; "Alice" must share alice's budget.
        self.username = username.casefold()

    def before(self) -> None:
        s = self.settings
        self.limiter.hit(s.sign_in_limit, "sign-in", self.address, self.username)
        self.limiter.hit(s.sign_in_address_limit, "sign-in-address", self.address)
        if not self.known.known(self.username, self.address):
            self.limiter.check(s.sign_in_user_limit, "sign-in-user", self.username)

    def failed(self) -> None:
        self.limiter.add(self.settings.sign_in_user_limit, "sign-in-user", self.username)

    def succeeded(self) -> None:
        self.known.remember(self.username, self.address)
