"""JSON log lines carry the correlation id of the request or event being handled."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from ocop_platform.logging import JsonFormatter, correlation_scope, current_correlation_id


def record(message: str = "rated %s", *args: object, **extra: Any) -> logging.LogRecord:
    return logging.getLogger("ocop.test").makeRecord(
        "ocop.test", logging.WARNING, __file__, 1, message, args or ("prd-1",), None, extra=extra
    )


def formatted(log_record: logging.LogRecord) -> dict[str, Any]:
    line = JsonFormatter("evaluation").format(log_record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert isinstance(parsed, dict)
    return parsed


def test_a_log_line_is_one_json_object_with_level_service_logger_and_message() -> None:
    entry = formatted(record())
    assert entry["level"] == "WARNING"
    assert entry["service"] == "evaluation"
    assert entry["logger"] == "ocop.test"
    assert entry["msg"] == "rated prd-1"


def test_a_log_line_inside_a_correlation_scope_carries_the_correlation_id() -> None:
    with correlation_scope("6b1f0c1e-0000-4000-8000-000000000001"):
        entry = formatted(record())
    assert entry["correlation_id"] == "6b1f0c1e-0000-4000-8000-000000000001"


def test_a_log_line_outside_a_correlation_scope_has_no_correlation_id() -> None:
    assert "correlation_id" not in formatted(record())


def test_leaving_a_nested_scope_restores_the_outer_correlation_id() -> None:
    with correlation_scope("outer"):
        with correlation_scope("inner"):
            assert current_correlation_id() == "inner"
        assert current_correlation_id() == "outer"
    assert current_correlation_id() is None


def test_extra_fields_become_keys_of_the_log_line() -> None:
    entry = formatted(record(topic="ocop.evaluation.v1", offset=12))
    assert (entry["topic"], entry["offset"]) == ("ocop.evaluation.v1", 12)


def test_standard_record_attributes_are_left_out() -> None:
    entry = formatted(record())
    assert not {"args", "levelno", "pathname", "lineno", "msecs"} & set(entry)


def test_an_exception_is_included_as_text() -> None:
    try:
        raise ValueError("bad score")
    except ValueError:
        failed = record()
        failed.exc_info = sys.exc_info()
    assert "ValueError: bad score" in formatted(failed)["exc"]


def test_vietnamese_text_is_written_unescaped() -> None:
    line = JsonFormatter("registry").format(record("đã đăng ký %s", "Tôm khô"))
    assert "đã đăng ký Tôm khô" in line


def test_events_emitted_while_handling_carry_its_correlation_and_cause() -> None:
    from uuid import uuid4

    from ocop_platform.logging import correlation_scope, trace_fields

    correlation, cause = uuid4(), uuid4()
    assert trace_fields() == {}
    with correlation_scope(str(correlation), causation_id=str(cause)):
        assert trace_fields() == {"correlation_id": correlation, "causation_id": cause}
    with correlation_scope("not-a-uuid"):
        assert trace_fields() == {}
