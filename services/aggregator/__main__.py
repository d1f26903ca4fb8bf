from services.aggregator.bootstrap import Aggregator
from services.aggregator.settings import AggregatorSettings
from shared.runtime import serve

settings = AggregatorSettings()
serve(Aggregator(settings).app(), settings.host, settings.port, "aggregator", settings)
