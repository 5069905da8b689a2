"""The ASGI entry point for uvicorn: `uvicorn huzhu.api.main:app`."""

import gc

from huzhu.api.app import create_app

app = create_app(deliver_webhooks=True)
# Everything loaded so far (routes, schemas, plan documents) lives as long as the process: keep it
# out of the cyclic collector's full passes, which otherwise stall every request for their length.
gc.freeze()
