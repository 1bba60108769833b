"""What evaluation reacts to: one routing table."""

from ocop_contracts import ProductRated, ProductRegistered, topics
from ocop_contracts.events.registry import PriorCertificateDeclared, ProductUpdated
from ocop_evaluation.service_layer.ingest import Ingest
from ocop_platform.consumer import Subscription

# Records per poll of the ingest topic. A province sends a round's ratings at once, and each batch
# costs a few store round trips however many ratings it holds (the facts' and products' reads,
# the source ratings' and outbox markers' inserts, a relay pass): in bench/national.py's pipeline
# that was about a third of evaluation's store time with the service's default batch of 10.
INGEST_BATCH = 100

# What a province system needs to know, in the AsyncAPI document of the ingest subscriber.
INGEST_RULES = (
    "Ratings decided by a province system's council, keyed by product id. Evaluation checks "
    "each one (level province, at most 4★, stars within the band of the score under the rule "
    "set in force on rated_on, parts A/B/C within their maxima and adding up to the score, the "
    "product belongs to province_code) and re-emits it as a canonical ProductRated on "
    "ocop.evaluation.v1, holds it until its product is registered, or dead-letters it to "
    "ocop.ingest.evaluation.v1.dlq with the reason in the x-dlq-reason header.\n\n"
    "**Duplicates.** Set source_rating_id to the rating's own id in your system. A message with "
    "the same province_code, producer and source_rating_id as one received before, under a new "
    "event_id, is a re-send: with the same content (product_id, score, stars, level, rated_on, "
    "round_id, parts) it is acknowledged as a duplicate and nothing is re-emitted; with "
    "different content it is dead-lettered (field source_rating_id, naming what differs). A "
    "correction is a new rating: send it under a new source_rating_id. A rejected rating does "
    "not keep its source_rating_id. Without source_rating_id every event_id is a rating of its "
    "own. The same event_id redelivered is always applied once."
)


def subscriptions(ingest: Ingest) -> list[Subscription]:
    return [
        Subscription(
            topics.REGISTRY,
            {
                ProductRegistered: ingest.on_product_registered,
                ProductUpdated: ingest.on_product_registered,
                # A register's certificate issued before the platform: adopted, or dead-lettered.
                PriorCertificateDeclared: ingest.on_prior_certificate_declared,
            },
        ),
        # Province systems' ratings: checked, then re-emitted canonically or dead-lettered.
        Subscription(
            topics.INGEST_EVALUATION,
            {ProductRated: ingest.on_ingested_rating},
            unknown_types="dead_letter",
            description=INGEST_RULES,
            prefetch=ingest.prefetch,
            batch_size=INGEST_BATCH,
        ),
    ]
