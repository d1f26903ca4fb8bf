"""How every Baocao consumer takes messages from JetStream, and when it acknowledges them.

- :mod:`.subscriber`: the FastStream batch pull subscriber each service declares
  (``batch_subscriber``), bound to a durable ops provisioned.
- :mod:`.settling`: the acknowledgement policy (ack after commit and PubAck, nak on outages,
  one by one to find poison, dead-letter after ``POISON_AFTER`` deliveries).
- :mod:`.policy`: its constants, the transient-error rule and the durable's configuration.
- :mod:`.batch`, :mod:`.tracing`, :mod:`.lag`, :mod:`.faststream_metrics`: the handler's body
  type, per-message spans, the lag gauges, FastStream's Prometheus middleware with bounded labels.
"""

from shared.consuming.batch import Batch
from shared.consuming.policy import (
    ACK_WAIT_SECONDS,
    MAX_DELIVER,
    POISON_AFTER,
    ConsumerNotProvisioned,
    DeadLetter,
    consumer_config,
)
from shared.consuming.subscriber import BatchSubscriber, batch_subscriber
from shared.consuming.tracing import (
    handling,
    message_id,
    span_of,
    stored_at,
    submission_id_of,
    unit_of,
)

__all__ = [
    "ACK_WAIT_SECONDS",
    "MAX_DELIVER",
    "POISON_AFTER",
    "Batch",
    "BatchSubscriber",
    "ConsumerNotProvisioned",
    "DeadLetter",
    "batch_subscriber",
    "consumer_config",
    "handling",
    "message_id",
    "span_of",
    "stored_at",
    "submission_id_of",
    "unit_of",
]
