from services.web.bootstrap import WebApp
from services.web.settings import WebSettings
from shared.runtime import serve

settings = WebSettings()
serve(WebApp(settings).app(), settings.host, settings.port, "web", settings)
