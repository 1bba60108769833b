"""Closed vocabularies used in event payloads. Values are English codes; labels live in docs/UI."""

from enum import StrEnum


class LegalForm(StrEnum):
    """Producer (chủ thể) legal forms eligible under QĐ 26/2026 Art. 2.3."""

    COOPERATIVE = "cooperative"  # hợp tác xã
    COOPERATIVE_GROUP = "cooperative_group"  # tổ hợp tác
    ENTERPRISE = "enterprise"  # doanh nghiệp nhỏ và vừa
    FARM = "farm"  # trang trại
    HOUSEHOLD = "household"  # hộ sản xuất có đăng ký kinh doanh
    ASSOCIATION = "association"  # hội, hiệp hội (tourism only)
    OPERATING_CENTRE = "operating_centre"  # trung tâm vận hành (tourism only)


class RatingLevel(StrEnum):
    PROVINCE = "province"
    CENTRAL = "central"


class CertificateOrigin(StrEnum):
    """Where a certificate (and the rating behind it) comes from."""

    COUNCIL = "council"  # decided by a council on the platform (the default)
    IMPORTED = "imported"  # issued before the platform, adopted from a province's register


class RevocationGround(StrEnum):
    """Grounds for revoking a certificate, QĐ 26/2026 Art. 8."""

    UNTRUE_DOSSIER = "untrue_dossier"  # forged or untrue dossier
    CRITERIA_NO_LONGER_MET = "criteria_no_longer_met"  # found on inspection
    LAW_BREACH = "law_breach"  # quality, food safety, environment, IP or labelling law
    MARK_MISUSE = "mark_misuse"  # misuse of the OCOP mark
    PRODUCTION_STOPPED = "production_stopped"
    OTHER_OFFICIAL_FINDING = "other_official_finding"


class VenueKind(StrEnum):
    FAIR = "fair"
    SHOWROOM = "showroom"  # showrooms and sales points, e.g. the Sa Đéc sales point
    ONLINE = "online"  # e-commerce listing


class DelistReason(StrEnum):
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_REVOKED = "certificate_revoked"
    PRODUCT_WITHDRAWN = "product_withdrawn"
    MANUAL = "manual"


class ActivityKind(StrEnum):
    NEWS_ITEM = "news_item"
    TV_REPORT = "tv_report"
    SOCIAL_MEDIA = "social_media"
    TRAINING = "training"
    OTHER = "other"


class TargetMetric(StrEnum):
    """What a province target counts (every kind used by the seed plans)."""

    CERTIFIED_PRODUCTS = "certified_products"  # new products at >= min_stars
    UPGRADED_PRODUCTS = "upgraded_products"  # e.g. 3★ -> 4★
    NATIONAL_PROPOSALS = "national_proposals"  # >= 90 points sent to the central council
    FIVE_STAR_PRODUCTS = "five_star_products"
    TRACEABLE_PRODUCTS = "traceable_products"
    VALUE_CHAIN_PRODUCTS = "value_chain_products"
    IMPROVED_PRODUCTS = "improved_products"
    STANDARDISED_PRODUCTS = "standardised_products"
    NEW_PRODUCERS = "new_producers"
    CONSOLIDATED_PRODUCERS = "consolidated_producers"
    EVALUATION_ROUNDS = "evaluation_rounds"
    FAIRS = "fairs"
    SALES_POINTS = "sales_points"
    MEDIA_ITEMS = "media_items"
    TV_REPORTS = "tv_reports"
    PEOPLE_TRAINED = "people_trained"
    TOURISM_VILLAGES = "tourism_villages"
    OTHER_ACTIVITY = "other_activity"
    # Added in issue #10 (additive): targets the seed plans tell apart.
    OFFICIALS_TRAINED = "officials_trained"  # state officials and OCOP managers trained (reported)
    PRODUCERS_TRAINED = "producers_trained"  # leaders of participating producers (reported)
    FAIR_PRODUCTS = "fair_products"  # distinct products placed in fairs (promotion's events)
    FAIR_PRODUCERS = "fair_producers"  # distinct producers of those products
    NEW_PARTICIPATING_PRODUCERS = "new_participating_producers"  # new, with a registered product


class TargetUnit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"  # of `base`
    PER_MONTH = "per_month"  # a rate over the target's period
