from ocop_reporting.main import run

run()
