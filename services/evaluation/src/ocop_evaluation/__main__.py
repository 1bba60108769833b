from ocop_evaluation.main import run

run()
