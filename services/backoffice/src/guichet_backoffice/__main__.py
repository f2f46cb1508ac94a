from guichet_backoffice.app import create_app
from guichet_common.runtime import run

run(create_app)
