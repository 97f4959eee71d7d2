import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metu_strategy.settings")
# The application server is production unless DEBUG says otherwise: it refuses to start
# on the development key in the repository (settings.py).
os.environ.setdefault("DJANGO_REQUIRE_SECRET_KEY", "1")
application = get_wsgi_application()
