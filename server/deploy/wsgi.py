"""The production WSGI entry: `gunicorn server.deploy.wsgi:app`.

The same app as `create_app()`, plus ProxyFix when XUNCHA_PROXY_HOPS says a reverse
proxy (nginx) sits in front.
"""

from server.app import create_app
from server.ops.proxy import install_proxy_fix

app = install_proxy_fix(create_app())
