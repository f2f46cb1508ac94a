from guichet_common.runtime import run
from guichet_intake.app import create_app

run(create_app)
