"""Production deployment: the WSGI entry and the templates `xuncha deploy-config` renders."""
