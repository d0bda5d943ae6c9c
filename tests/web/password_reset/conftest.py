"""The privacy centre's fixtures: demo data on each backend, a local SMTP inbox, the app."""

from __future__ import annotations

from tests.web.privacy_centre import conftest as centre

# The centre's fixtures, found by pytest under these names.
anyio_backend, app, client, clock = centre.anyio_backend, centre.app, centre.client, centre.clock
inbox, mails, runtime, world = centre.inbox, centre.mails, centre.runtime, centre.world
demo_world = centre.demo_world
signed_in = centre.signed_in
