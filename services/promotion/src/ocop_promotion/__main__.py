from ocop_promotion.main import run

run()
