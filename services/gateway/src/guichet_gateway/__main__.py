from guichet_common.runtime import run
from guichet_gateway.app import create_app

run(create_app)
