from guichet_common.runtime import run
from guichet_payments.app import create_app

run(create_app)
