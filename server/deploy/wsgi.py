"""The production WSGI entry: `gunicorn server.deploy.wsgi:app`.

The same app as `create_app()`, plus ProxyFix when XUNCHA_PROXY_HOPS says a reverse
proxy (nginx) sits in front.
"""

import gc

from server.app import create_app
from server.ops.proxy import install_proxy_fix

app = install_proxy_fix(create_app())
# Everything loaded so far (the app, its models, schemas, checklists, SQLAlchemy's
# compiled caches) lives as long as the process: moved out of the collector's reach, it is
# no longer scanned by every full collection, which a push's many short-lived row dicts
# set off often (bench.sync_push_cpu --freeze: about 9% less CPU per inspection). With
# --preload this runs in the master before the fork, and the frozen pages also stay
# shared with the workers.
gc.freeze()
