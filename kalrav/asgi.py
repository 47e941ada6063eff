import os

from django.core.asgi import get_asgi_application

from kalrav import data_dir

# Served without the kalrav command (another ASGI/WSGI server): files stay private here too.
data_dir.restrict_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalrav.settings")
application = get_asgi_application()
