"""The dashboard's JSON API (``/api/dashboard``), one module per screen.

``access`` holds what every view shares (the token check, the permission, the
JSON body); ``web/dashboard.py`` nests each screen's blueprint under one
``/api/dashboard`` blueprint, so the no-store header and the error mapping
apply to all of them.
"""
