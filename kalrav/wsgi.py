import os

from django.core.wsgi import get_wsgi_application

from kalrav import data_dir

# Served without the kalrav command (another ASGI/WSGI server): files stay private here too.
data_dir.restrict_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
application = get_wsgi_application()
