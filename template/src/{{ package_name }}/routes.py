"""Your own routes: add your routers to `router` here.

This file is yours. The template writes it once, at `copier copy`, and `copier update`
never touches it again, so nothing here conflicts with an update. The generated
resources are in `api.py`, which the template rewrites when resources change; `main.py`
includes both.
"""

from fastapi import APIRouter

router = APIRouter()
