from services.notifier.bootstrap import Notifier
from services.notifier.settings import NotifierSettings
from shared.runtime import serve

settings = NotifierSettings()
serve(Notifier(settings).app(), settings.host, settings.port, "notifier", settings)
