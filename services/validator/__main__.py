from services.validator.bootstrap import Validator
from services.validator.settings import ValidatorSettings
from shared.runtime import serve

settings = ValidatorSettings()
serve(Validator(settings).app(), settings.host, settings.port, "validator", settings)
