from ocop_registry.main import run

run()
