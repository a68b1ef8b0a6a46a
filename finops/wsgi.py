import os

from django.core.wsgi import get_wsgi_application

from finops.tracing import configure_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finops.settings")
# Before the application is built: Django's tracing middleware is added to the settings then.
configure_tracing(service="finops-web")
application = get_wsgi_application()
