"""A prepaid member's account: place in family order and balance, per call, on a loaded database.

Usage: python bench/family_account.py DBNAME   (a PostgreSQL database with members, e.g. the one
bench/web_pages.py builds: huzhu_bench_round, 1,000,000 members). Prints ms per call for 5
random memberships. Before the account was read through the payer's own rows it aggregated every
account of the plan (7.5 s per call at 1M members); see bench/README.md.
"""

import sys
import time

from sqlalchemy import create_engine, text

from huzhu.storage.repositories.members.family import FamilyRepository

e = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/" + sys.argv[1])
with e.connect() as c:
    mids = [r[0] for r in c.execute(text("select id from memberships order by random() limit 5"))]
    print("members in db:", c.scalar(text("select count(*) from memberships")))
    r = FamilyRepository(c)
    t = time.perf_counter()
    out = [r.place_and_balance(m) for m in mids]
    print(f"{(time.perf_counter() - t) / len(mids) * 1000:.1f} ms per call", out[:2])
