from services.intake.bootstrap import Intake
from services.intake.settings import IntakeSettings
from shared.runtime import serve

settings = IntakeSettings()
serve(Intake(settings).app(), settings.host, settings.port, "intake", settings)
