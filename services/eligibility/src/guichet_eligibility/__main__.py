from guichet_common.runtime import run
from guichet_eligibility.app import create_app

run(create_app)
