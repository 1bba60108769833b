"""The layers' import rules: domain and service layers know no web framework.

HTTP lives at the edge (``entrypoints``, ``main``): a use case must run from a consumer, a CLI or a
unit test without FastAPI or Starlette loaded, even through a shared helper module.
"""

from __future__ import annotations

from ocop_devstack import codebase


def test_the_rule_sees_every_service_s_inner_layers() -> None:
    layers = {(m.path.parts[-5], m.layer) for m in codebase.service_modules() if m.layer}
    services = {p.name for p in (codebase.REPO / "services").iterdir() if (p / "src").is_dir()}
    assert {s for s, _ in layers} == services
    assert {layer for _, layer in layers} == set(codebase.INNER_LAYERS)


def test_no_domain_or_service_layer_module_loads_a_web_framework() -> None:
    offenders = codebase.inner_modules_reaching_web()
    assert offenders == {}, "\n".join(" -> ".join(chain) for chain in offenders.values())


def test_the_rule_can_fail() -> None:
    # The checker itself must be able to fail: an edge module reaches FastAPI, a helper does not.
    edge = codebase.Module(
        "ocop_platform.auth", codebase.REPO / "libs/platform/src/ocop_platform/auth.py"
    )
    assert codebase.web_framework_path(edge) == ["ocop_platform.auth", "fastapi"]
    clean = codebase.Module(
        "ocop_platform.identity", codebase.REPO / "libs/platform/src/ocop_platform/identity.py"
    )
    assert codebase.web_framework_path(clean) is None
